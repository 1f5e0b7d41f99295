// Builds dist/ from the TypeScript sources when it is missing or older than them, so
// `npm start` and the checks start from a fresh build without compiling on every start.
// Plain JavaScript on purpose: it runs before any build exists.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** TypeScript compiled file by file into dist/ (tsconfig.build.json). */
const SOURCE_DIRS = ['src', 'samples', 'scripts'];
/** Bundled sources: their newest file must be older than the bundle's output. */
const BUNDLES = [{ sources: 'dashboard', output: 'dist/dashboard/index.html' }];
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

function* typescriptSources(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* typescriptSources(path);
    else if (/\.m?ts$/.test(entry.name) && !/\.(d|test)\.m?ts$/.test(entry.name)) yield path;
  }
}

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : -1);

function newestIn(dir) {
  let newest = mtime(dir);
  for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : mtime(path));
  }
  return newest;
}

/** The first reason dist/ is out of date, or null when every source has a newer output. */
export function staleReason(root = ROOT) {
  let oldestOutput = Number.POSITIVE_INFINITY;
  for (const dir of SOURCE_DIRS) {
    for (const source of typescriptSources(join(root, dir))) {
      const rel = relative(root, source);
      const output = join(root, 'dist', rel.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs'));
      const built = mtime(output);
      if (built < 0) return `${rel} has no build output`;
      if (built < mtime(source)) return `${rel} changed since the last build`;
      oldestOutput = Math.min(oldestOutput, built);
    }
  }
  for (const { sources, output } of BUNDLES) {
    if (!existsSync(join(root, sources))) continue;
    const built = mtime(join(root, output));
    if (built < newestIn(join(root, sources))) return `${sources}/ changed since the last build`;
    oldestOutput = Math.min(oldestOutput, built);
  }
  const config = CONFIG_FILES.find((file) => mtime(join(root, file)) > oldestOutput);
  return config ? `${config} changed since the last build` : null;
}

/** One build at a time per checkout: parallel test files and `npm start` may all ask for one. */
async function withBuildLock(root, work) {
  const lock = join(
    tmpdir(),
    `msa-gateway-build-${createHash('sha1').update(root).digest('hex').slice(0, 12)}.lock`,
  );
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (!lockHolderAlive(lock)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another build still holds ${lock}`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockHolderAlive(lock) {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return true;
  } catch (err) {
    // No pid file yet means the holder is between mkdir and write: treat it as alive.
    return err.code === 'EPERM' || (err.code === 'ENOENT' && Date.now() - statSync(lock).mtimeMs < 5_000);
  }
}

/** `npm run build`, whatever it consists of; its output goes to this process's stderr. */
function runBuild(root) {
  if (!existsSync(join(root, 'node_modules', 'typescript'))) {
    return Promise.reject(new Error('the dependencies are not installed: run npm ci first'));
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npm', ['run', 'build', '--silent'], {
      cwd: root,
      stdio: ['ignore', process.stderr, process.stderr],
      shell: process.platform === 'win32',
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`the build failed (npm run build exited with ${code}); see the errors above`)),
    );
  });
}

/**
 * Builds when needed. Resolves with what happened ('fresh' or the reason it built); rejects
 * with one clear message when the build fails.
 */
export async function ensureBuilt({ root = ROOT, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (staleReason(root) === null) return 'fresh';
  return withBuildLock(root, async () => {
    const reason = staleReason(root);
    if (reason === null) return 'fresh';
    log(`building (${reason}) ...`);
    const started = Date.now();
    await runBuild(root);
    log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return reason;
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureBuilt().catch((err) => {
    process.stderr.write(`msa-gateway: ${err.message}\n`);
    process.exit(1);
  });
}
