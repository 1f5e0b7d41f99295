// Builds the dashboard into dist/dashboard: index.html, app.js, app.css (no source maps,
// nothing fetched at run time, so the page works offline and under a strict CSP).
// Type checking is `tsc -p dashboard/tsconfig.json`, run by `npm run build:dashboard` first.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/dashboard`;

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: [
    { in: 'dashboard/src/main.ts', out: 'app' },
    { in: 'dashboard/src/app.css', out: 'app' },
  ],
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome105', 'firefox110', 'safari16'],
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(`${root}dashboard/index.html`, `${out}/index.html`);
