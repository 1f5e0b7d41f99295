import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStream } from '../helpers/event-stream.js';
import { startGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http.js';
import { ensureBuilt, type SpawnedGateway, spawnGateway } from '../helpers/spawn-gateway.js';

type Service = { instances: { instance_id: string; base_url: string; lease_expires_at: string | null }[] };

/**
 * The gateway as a process: registrations on SQLite survive a restart (a clean one, and a
 * SIGKILL right after the 2xx), bad configuration stops start-up with one line, SIGTERM
 * exits promptly. Runs the built entry point (dist/src/main.js), building it if stale.
 */
describe('the gateway process', () => {
  let dir: string;
  const running: SpawnedGateway[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'msa-gateway-process-'));
    await ensureBuilt();
  }, 180_000);
  afterAll(() => {
    for (const child of running) child.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<{ gw: SpawnedGateway; url: string }> {
    const gw = spawnGateway(env);
    running.push(gw);
    const port = await gw.listening();
    return { gw, url: `http://127.0.0.1:${port}` };
  }

  async function kill(gw: SpawnedGateway): Promise<void> {
    gw.child.kill('SIGKILL');
    expect((await gw.exited).signal).toBe('SIGKILL');
  }

  /** A gateway on its own SQLite file, checking too rarely to matter. */
  const sqliteEnv = (file: string) => ({
    REGISTRY_STORE: 'sqlite',
    REGISTRY_PATH: join(dir, file),
    HEALTH_CHECK_INTERVAL_MS: '60000',
  });
  const services = (url: string) => `${url}/api/discovery/services`;

  it('registrations survive a clean restart on the same SQLite file', async () => {
    const path = join(dir, 'clean.db');
    const first = await startGateway({
      registryStore: 'sqlite',
      registryPath: path,
      healthCheckIntervalMs: 60_000,
    });
    const registered = await call<Service>('POST', `${first.url}/api/discovery/services`, {
      service_name: 'kept',
      base_url: 'http://127.0.0.1:9/v1',
      ttl_seconds: 3600,
      metadata: { zone: 'a' },
    });
    expect(registered.status).toBe(201);
    await first.close();
    const second = await startGateway({
      registryStore: 'sqlite',
      registryPath: path,
      healthCheckIntervalMs: 60_000,
    });
    try {
      const res = await call<Service>('GET', `${second.url}/api/discovery/services/kept`);
      expect(res.status).toBe(200);
      expect(res.body.instances[0]).toMatchObject({
        instance_id: registered.body.instances[0]!.instance_id,
        base_url: 'http://127.0.0.1:9/v1',
        metadata: { zone: 'a' },
        // A lease keeps its stored expiry across a restart.
        lease_expires_at: registered.body.instances[0]!.lease_expires_at,
      });
    } finally {
      await second.close();
    }
  });

  it('every admin write that got its 2xx survives a SIGKILL right after it', async () => {
    const env = sqliteEnv('killed.db');
    let { gw, url } = await start(env);
    await call('POST', services(url), { service_name: 'a', base_url: 'http://127.0.0.1:9/a' });
    const b = await call<Service>('POST', services(url), {
      service_name: 'b',
      base_url: 'http://127.0.0.1:9/b',
      ttl_seconds: 600,
    });
    expect(b.status).toBe(201);
    await kill(gw); // at once after the 2xx

    ({ gw, url } = await start(env));
    expect((await call<Service>('GET', `${services(url)}/a`)).status).toBe(200);
    const bId = b.body.instances[0]!.instance_id;
    const beat = await call<{ lease_expires_at: string }>(
      'PUT',
      `${services(url)}/b/instances/${bId}/heartbeat`,
    );
    expect(beat.status).toBe(200);
    expect((await call('DELETE', `${services(url)}/a`)).status).toBe(200);
    await kill(gw);

    ({ gw, url } = await start(env));
    expect((await call('GET', `${services(url)}/a`)).status).toBe(404);
    const after = await call<Service>('GET', `${services(url)}/b`);
    expect(after.status).toBe(200);
    expect(after.body.instances[0]!.lease_expires_at).toBe(beat.body.lease_expires_at);
    await kill(gw);
  });

  it('registrations answered together (group commit: one fsync for many) all survive a SIGKILL', async () => {
    const env = sqliteEnv('batched.db');
    let { gw, url } = await start(env);
    // Concurrent: their writes reach the store in the same turn and share its commits.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call('POST', services(url), { service_name: `batch-${i % 4}`, base_url: `http://127.0.0.1:9/b${i}` }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(201));
    await kill(gw); // at once after the last 2xx

    ({ gw, url } = await start(env));
    const listed = await call<{ services: Service[] }>('GET', services(url));
    const urls = listed.body.services.flatMap((s) => s.instances.map((i) => i.base_url));
    expect(urls.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `http://127.0.0.1:9/b${i}`).sort());
    await kill(gw);
  });

  it('PORT=abc stops start-up with one line naming PORT and a non-zero exit', async () => {
    const gw = spawnGateway({ PORT: 'abc' });
    running.push(gw);
    const { code } = await gw.exited;
    expect(code).not.toBe(0);
    const lines = gw.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/PORT/);
    expect(gw.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits promptly on SIGTERM even with an event stream open', async () => {
    const { gw, url } = await start({ REGISTRY_STORE: 'memory' });
    const stream = await openEventStream(`${url}/api/discovery/events`);
    const started = Date.now();
    gw.child.kill('SIGTERM');
    const { code } = await gw.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    await stream.ended;
  });
});
