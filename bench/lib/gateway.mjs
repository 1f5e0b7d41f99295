// The gateway under test: the built dist/ started as a child process with a sqlite store in a
// temp dir, and the admin-API calls the benchmark makes (register, wait until healthy).
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { sleep, startProcess } from './procs.mjs';

/** Only what the gateway needs: no GATEWAY_* or REGISTRY_* leaking in from the caller's shell. */
function cleanEnv(extra) {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  const env = {};
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...extra };
}

/**
 * Starts `node [nodeArgs] dist/src/main.js` pinned to `core` with the benchmark's settings
 * (`env` adds or overrides). Returns the child at once; `waitUntilUp` waits for /health.
 */
export function gatewayProcess({ root, core, port, tmpDir, name = 'gateway', nodeArgs = [], env = {} }) {
  return startProcess({
    name,
    command: process.execPath,
    args: [...nodeArgs, join(root, 'dist', 'src', 'main.js')],
    core,
    cwd: tmpDir,
    logDir: tmpDir,
    inheritEnv: false,
    env: cleanEnv({
      PORT: String(port),
      HOST: '127.0.0.1',
      ENVIRONMENT: 'development',
      LOG_LEVEL: 'warn',
      REGISTER_SAMPLE_SERVICES: 'false',
      REGISTRY_STORE: 'sqlite',
      REGISTRY_PATH: join(tmpDir, `${name}-registry.db`),
      ...env,
    }),
  });
}

/** Resolves once GET /health answers 200 (bounded), else rejects naming the log. */
export async function waitUntilUp(child, port, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await request(`http://127.0.0.1:${port}/health`);
      await res.body.dump();
      if (res.statusCode === 200) return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${child.benchName} did not answer /health; see ${child.logFile}`);
}

/** Registers one instance through the admin API; resolves with the HTTP status. */
export async function register(dispatcher, origin, body) {
  const res = await request(`${origin}/api/discovery/services`, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200 && res.statusCode !== 201) {
    throw new Error(`registration answered ${res.statusCode}: ${text.slice(0, 300)}`);
  }
  return res.statusCode;
}

/** GETs JSON from the gateway. */
export async function getJson(url) {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.json() };
}

/** Waits (bounded) until `service` reports HEALTHY. */
export async function waitHealthy(origin, service, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { status, body } = await getJson(`${origin}/api/discovery/services/${service}`).catch(() => ({}));
    if (status === 200 && body.status === 'HEALTHY') return;
    await sleep(100);
  }
  throw new Error(`${service} did not become HEALTHY within ${timeoutMs} ms`);
}

/** Removes the `hc-…` services registerMany made (bounded: one DELETE per service). */
export async function deregisterServices(origin, services) {
  for (let i = 0; i < services; i++) {
    const name = `hc-${String(i).padStart(3, '0')}`;
    const res = await request(`${origin}/api/discovery/services/${name}`, { method: 'DELETE' });
    await res.body.dump();
  }
}

/**
 * Registers `count` instances (as `services` services) whose health checks all go to
 * `healthOrigin`, `concurrency` requests at a time. Resolves with the elapsed milliseconds.
 */
export async function registerMany({ origin, healthOrigin, count, services, concurrency }) {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    // Bounded: each pass takes one index and the loop ends at `count`.
    while (next < count) {
      const i = next++;
      const service = `hc-${String(i % services).padStart(3, '0')}`;
      await register(pool, origin, { service_name: service, base_url: `${healthOrigin}/i/${i}` });
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    return performance.now() - started;
  } finally {
    await pool.close();
  }
}
