import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyRepository } from './clean-copy/copy-repo.js';
import { buildImage, type InstallCache, installKey } from './clean-copy/docker-build.js';
import { runContainer } from './clean-copy/run-container.js';

/**
 * `npm run check:clean-copy`: what a new user and the Docker images do, on a clean copy of the
 * repository (as committed, without node_modules or dist). `bash install.sh`, then every
 * Dockerfile instruction except image-only ones (see clean-copy/docker-build.ts), then each image's
 * CMD runs and must pass its own HEALTHCHECK and stop on SIGTERM. `npm ci` compiles
 * better-sqlite3 (a minute or two), so it runs once: the images reuse install.sh's result
 * for the same lock file. One ✓/✗ line per step; exit code 1 on the first failure.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'msa-clean-copy-'));
const context = join(scratch, 'repo');
const cache: InstallCache = new Map();
const log = (line: string) => process.stdout.write(`  ${line}\n`);

async function step<T>(name: string, work: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    const result = await work();
    console.log(`✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  } catch (err) {
    console.log(`✗ ${name}: ${(err as Error).message}`);
    console.log(`  the copy stays in ${scratch} for a look`);
    process.exit(1);
  }
}

/** npm's own variables would steer the nested npm runs (this script runs under `npm run`). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

const env = cleanEnv();
await step(`copy the repository into ${context}`, () => log(`${copyRepository(ROOT, context)} files`));
await step('bash install.sh', () => {
  const result = spawnSync('bash', ['install.sh'], { cwd: context, env, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`exited with ${result.status}`);
  // install.sh ran the Dockerfiles' `npm ci` on the same lock file: they reuse its node_modules.
  cache.set(installKey('npm ci --no-audit --no-fund', context), context);
});
const prod = await step('Dockerfile: every instruction', () =>
  buildImage(join(context, 'Dockerfile'), context, join(scratch, 'prod'), cache, log),
);
await step('Dockerfile: CMD (the gateway) passes HEALTHCHECK', () => runContainer(prod, prod.cmd).then(log));
await step('Dockerfile: a sample service as compose runs it', () =>
  runContainer(prod, ['node', 'dist/samples/user-service/main.js']).then(log),
);
const dev = await step('Dockerfile.dev: every instruction', () =>
  buildImage(join(context, 'Dockerfile.dev'), context, join(scratch, 'dev'), cache, log),
);
await step('Dockerfile.dev: CMD (tsc --watch + node --watch) passes HEALTHCHECK', () =>
  runContainer(dev, dev.cmd).then(log),
);
rmSync(scratch, { recursive: true, force: true });
console.log('All clean-copy checks passed.');
