/**
 * GATEWAY_WORKERS=2 as a user runs it: the built gateway (dist/src/main.js) as a real process tree.
 * Workers tell themselves apart with `X-Gateway-Worker: <pid>`, which only LOG_LEVEL=debug sends.
 */
import { request } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, type SpawnedGateway, spawnGateway } from '../helpers/spawn-gateway.js';
import { waitFor } from '../helpers/wait-for.js';
import { tempDir } from '../registry/fixtures.js';
import { type Instance, sleep, startInstance } from './helpers.js';
import { deletePrefix, freePort, REDIS_URL, uniquePrefix } from './redis-helpers.js';

interface Answer {
  status: number;
  worker: string;
  body: Record<string, unknown>;
}

/** One request on a new TCP connection, so the cluster's round robin picks a worker each time. */
function fresh(port: number, path: string, method = 'GET', body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent: false,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            worker: String(res.headers['x-gateway-worker'] ?? ''),
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function manyFresh(port: number, path: string, count: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i++) answers.push(await fresh(port, path));
  return answers;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('GATEWAY_WORKERS=2 (real processes)', () => {
  let gateway: SpawnedGateway | null = null;
  let svc: Instance | null = null;
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    await ensureBuilt();
  }, 180_000);

  afterEach(async () => {
    if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGTERM');
      await Promise.race([gateway.exited, sleep(15_000)]);
    }
    gateway = null;
    await svc?.close();
    svc = null;
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function startCluster(env: Record<string, string>): Promise<number> {
    const port = await freePort();
    gateway = spawnGateway({ GATEWAY_WORKERS: '2', PORT: String(port), LOG_LEVEL: 'debug', ...env });
    await waitFor(
      () =>
        gateway!.logs.filter((l) => l.msg === 'gateway listening').length === 2 ||
        gateway!.child.exitCode !== null,
      30_000,
      () => `two workers listening (stderr: ${gateway!.stderr()})`,
    );
    expect(gateway.child.exitCode).toBeNull();
    return port;
  }

  async function bothWorkersServeOneView(port: number): Promise<string[]> {
    svc = await startInstance('orders-1');
    const first = await fresh(port, '/api/discovery/services', 'POST', {
      service_name: 'orders',
      base_url: svc.url,
      instance_id: 'o-1',
    });
    expect(first.status).toBe(201);
    // Every later answer, from either worker, shows the registration the other one accepted.
    const answers = await waitFor(
      async () => {
        const all = await manyFresh(port, '/api/discovery/services/orders', 6);
        return all.every((a) => a.status === 200) ? all : null;
      },
      2_000,
      'both workers to see the registration',
    );
    const workers = [...new Set(answers.map((a) => a.worker))];
    expect(workers).toHaveLength(2);
    const proxied = await manyFresh(port, '/proxy/orders/hello', 4);
    expect(proxied.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(proxied.map((a) => a.worker)).size).toBe(2);
    // A deregistration through one worker is seen by both.
    expect((await fresh(port, '/api/discovery/services/orders', 'DELETE')).status).toBe(200);
    await waitFor(
      async () => {
        const all = await manyFresh(port, '/api/discovery/services/orders', 4);
        return all.every((a) => a.status === 404);
      },
      2_000,
      'both workers to drop the service',
    );
    return workers;
  }

  async function stopsGracefully(workers: string[]): Promise<void> {
    gateway!.child.kill('SIGTERM');
    const { code } = await gateway!.exited;
    expect(code).toBe(0);
    await waitFor(() => workers.every((pid) => !alive(Number(pid))), 5_000, 'every worker to exit');
  }

  it('sqlite: both workers serve, agree on one registry the primary owns, and stop on SIGTERM', async () => {
    const { dir, cleanup } = tempDir('msa-workers-');
    cleanups.push(cleanup);
    const port = await startCluster({ REGISTRY_STORE: 'sqlite', REGISTRY_PATH: `${dir}/registry.db` });
    const workers = await bothWorkersServeOneView(port);
    await stopsGracefully(workers);
  }, 60_000);

  it('sqlite: the primary checks each instance once per interval for all workers', async () => {
    const { dir, cleanup } = tempDir('msa-workers-');
    cleanups.push(cleanup);
    const port = await startCluster({
      REGISTRY_STORE: 'sqlite',
      REGISTRY_PATH: `${dir}/registry.db`,
      HEALTH_CHECK_INTERVAL_MS: '300',
      HEALTH_CHECK_TIMEOUT_MS: '200',
    });
    svc = await startInstance('orders-1');
    await fresh(port, '/api/discovery/services', 'POST', { service_name: 'orders', base_url: svc.url });
    await waitFor(
      async () => {
        const all = await manyFresh(port, '/api/discovery/services/orders', 4);
        return all.every((a) => a.body.status === 'HEALTHY');
      },
      3_000,
      'both workers to see HEALTHY',
    );
    const from = svc.healthHits;
    await sleep(3_000);
    expect(svc.healthHits - from).toBeLessThanOrEqual(13); // ~10; three checkers would make ~30
  }, 60_000);

  it('redis: each worker is a full gateway on the shared store', async () => {
    const prefix = uniquePrefix();
    cleanups.push(() => deletePrefix(prefix));
    const port = await startCluster({ REGISTRY_STORE: 'redis', REDIS_URL, REDIS_KEY_PREFIX: prefix });
    const workers = await bothWorkersServeOneView(port);
    await stopsGracefully(workers);
  }, 60_000);
});
