import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * The built dashboard (dist/dashboard, made by `npm run build:dashboard`), read once into
 * memory: a few small files, so serving them costs no disk access and no stat per request.
 */

export interface DashboardAsset {
  readonly body: Buffer;
  /** The gzip form when it is smaller, else null. */
  readonly gzip: Buffer | null;
  readonly contentType: string;
  /** Strong validator of the identity body; the gzip form's is the same with a `-gz` suffix. */
  readonly etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** dist/dashboard of the package this module belongs to, whether run from src/ (tests) or dist/src/. */
export function defaultDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return join(process.cwd(), 'dist', 'dashboard');
    dir = parent;
  }
  return join(dir, 'dist', 'dashboard');
}

/** Loads every servable file of `dir` by name; null when the dashboard is not built (no index.html). */
export function loadDashboardAssets(dir: string): Map<string, DashboardAsset> | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const assets = new Map<string, DashboardAsset>();
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    const path = join(dir, name);
    if (contentType === undefined || !statSync(path).isFile()) continue;
    const body = readFileSync(path);
    const gzip = gzipSync(body, { level: 9 });
    assets.set(name, {
      body,
      gzip: gzip.length < body.length ? gzip : null,
      contentType,
      etag: '"' + createHash('sha256').update(body).digest('base64url').slice(0, 27) + '"',
    });
  }
  return assets;
}
