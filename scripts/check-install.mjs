// `npm run check-install`: is this installation able to run msa-gateway? One verdict line per
// check (✓ or ✗ with the detail), exit code 1 if any failed. Plain JavaScript so that it runs
// before a build exists and on a Node.js too old for the rest.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureBuilt, ROOT } from './ensure-build.mjs';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const require = createRequire(join(ROOT, 'package.json'));
const results = [];

async function check(name, run) {
  try {
    const detail = await run();
    results.push(true);
    console.log(`✓ ${name}${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    results.push(false);
    console.log(`✗ ${name}: ${err?.message ?? err}`);
  }
}

function nodeVersion() {
  const [wantMajor, wantMinor] = pkg.engines.node
    .match(/(\d+)\.(\d+)/)
    .slice(1)
    .map(Number);
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < wantMajor || (major === wantMajor && minor < wantMinor)) {
    throw new Error(
      `${process.version} is too old; package.json needs ${pkg.engines.node} (see README, Troubleshooting)`,
    );
  }
  return `${process.version} (needs ${pkg.engines.node})`;
}

async function dependencies() {
  const names = Object.keys(pkg.dependencies);
  const failed = [];
  for (const name of names) {
    await import(name).catch((err) => failed.push(`${name} (${err.code ?? err.message})`));
  }
  if (failed.length) throw new Error(`cannot load ${failed.join(', ')}: run npm ci`);
  return `${names.length} packages load`;
}

function sqlite() {
  const Database = require('better-sqlite3');
  const db = new Database(':memory:');
  try {
    db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('ok')");
    const { v, version } = db.prepare('SELECT v, sqlite_version() AS version FROM t').get();
    if (v !== 'ok') throw new Error('a query returned the wrong row');
    return `better-sqlite3 native module works (SQLite ${version})`;
  } finally {
    db.close();
  }
}

async function build() {
  const outcome = await ensureBuilt({ log: () => {} });
  return outcome === 'fresh' ? 'dist/ is up to date' : `built dist/ (${outcome})`;
}

/** Starts the built gateway on an ephemeral port, asks /health, stops it with SIGTERM. */
async function gateway() {
  const env = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    REGISTRY_STORE: 'memory',
    REGISTER_SAMPLE_SERVICES: 'false',
    ENVIRONMENT: 'development',
    LOG_LEVEL: 'info',
  };
  delete env.GATEWAY_CONFIG;
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const port = await listeningPort(child, exited);
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) });
    const body = await res.json();
    if (res.status !== 200 || body.status !== 'healthy')
      throw new Error(`/health answered ${res.status} ${JSON.stringify(body)}`);
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    if (code !== 0) throw new Error(`answered /health but did not exit cleanly on SIGTERM (${code})`);
    return `started on port ${port}, /health answered healthy, stopped on SIGTERM`;
  } catch (err) {
    throw new Error(`${err.message}${stderr.trim() ? ` — ${stderr.trim().split('\n')[0]}` : ''}`);
  } finally {
    child.kill('SIGKILL');
  }
}

/** The port from the gateway's "gateway listening" log line (it was asked for port 0). */
function listeningPort(child, exited) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no "gateway listening" log line within 10 s')), 10_000);
    exited.then((code) => reject(new Error(`exited with code ${code} before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        if (typeof entry.port === 'number' && /listening/.test(entry.msg)) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // Not a JSON log line.
      }
    });
  });
}

console.log(`msa-gateway ${pkg.version}: checking the installation in ${ROOT}`);
await check('Node.js version', nodeVersion);
await check('dependencies', dependencies);
await check('SQLite', sqlite);
await check('build', build);
await check('gateway start', gateway);
const failed = results.filter((ok) => !ok).length;
console.log(
  failed === 0 ? `All ${results.length} checks passed.` : `${failed} of ${results.length} checks failed.`,
);
process.exit(failed === 0 ? 0 : 1);
