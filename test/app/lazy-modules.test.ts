/**
 * A gateway on sqlite with local rate limits and no JWT route loads neither ioredis nor jose, nor
 * undici's index (fetch, WebSocket and the rest; the proxy and the checks take Pool and Agent
 * from their own files, src/http/undici.ts): they are imported where they are first needed,
 * which keeps their module graphs off the heap of the common deployment. (yaml is not among them:
 * @fastify/swagger needs it anyway.)
 *
 * ioredis and undici are CommonJS, required on first use: Node's require cache tells whether they
 * were loaded (each vitest fork starts with an empty one). jose is ESM, imported on the first
 * token: a vi.mock factory notes its first import. The last test shows the probes do see a load.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Agent, Pool } from '../../src/http/undici.js';
import { createRedisClient } from '../../src/registry/index.js';
import { closeAll, echo, send, startGateway, startInstance } from '../proxy/harness.js';

const { imported, noting } = vi.hoisted(() => {
  const imported = new Set<string>();
  const noting = (name: string) => async (importOriginal: () => Promise<unknown>) => {
    imported.add(name);
    return importOriginal();
  };
  return { imported, noting };
});
vi.mock('jose', noting('jose'));

const require = createRequire(import.meta.url);
const required = (name: string) => require.cache[require.resolve(name)] !== undefined;

const dir = mkdtempSync(join(tmpdir(), 'lazy-modules-'));
afterEach(closeAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';

/** An HS256 token signed here, not with jose: importing jose in this file would trip its probe. */
function hs256(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${signed}.${createHmac('sha256', SECRET).update(signed).digest('base64url')}`;
}

describe('modules loaded on first use', () => {
  it('a sqlite gateway without a config file or JWT route loads no ioredis, jose or undici index', async () => {
    const instance = await startInstance(echo('a'));
    const gw = await startGateway({ registryStore: 'sqlite', registryPath: join(dir, 'registry.db') });
    await gw.register({ service_name: 'svc', base_url: instance.url });
    await gw.waitStatus('svc', gw.gateway.registry.instancesOf('svc')[0]!.instance_id, 'HEALTHY');
    expect((await send('GET', `${gw.url}/proxy/svc/a`)).status).toBe(200);
    expect({ ioredis: required('ioredis'), jose: imported.has('jose'), undici: required('undici') }).toEqual({
      ioredis: false,
      jose: false,
      undici: false,
    });
  });

  it('(the probes work: a JWT route and a Redis client load them)', async () => {
    const instance = await startInstance(echo('a'));
    const gw = await startGateway({
      routes: [
        { prefix: '/secure', service: 'svc', auth: { type: 'jwt', secret: SECRET, algorithms: ['HS256'] } },
      ],
    });
    await gw.register({ service_name: 'svc', base_url: instance.url });
    await gw.waitStatus('svc', gw.gateway.registry.instancesOf('svc')[0]!.instance_id, 'HEALTHY');
    expect(imported.has('jose')).toBe(false);
    const token = hs256({ sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 });
    const reply = await send('GET', `${gw.url}/secure/x`, { headers: { authorization: `Bearer ${token}` } });
    expect(reply.status).toBe(200);
    expect(imported.has('jose')).toBe(true);

    // Connects lazily in the background; nothing is sent, and it is closed at once.
    const client = createRedisClient('redis://127.0.0.1:6379', {
      connectionName: 'lazy-probe',
      commandTimeoutMs: 500,
    });
    client.disconnect();
    expect(required('ioredis')).toBe(true);

    // A service's own OpenAPI document is fetched with undici's `request`: the index loads then,
    // and its Pool and Agent are the very classes the gateway took from their files.
    expect(required('undici')).toBe(false);
    await send('GET', `${gw.url}/docs/services/svc/openapi.json`);
    expect(required('undici')).toBe(true);
    const index = require('undici') as typeof import('undici');
    expect(index.Pool).toBe(Pool);
    expect(index.Agent).toBe(Agent);
  });
});
