import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { startGateway } from '../helpers/gateway.js';
import { startHealthServer } from '../helpers/health-server.js';
import { call } from '../helpers/http.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-sec-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileConfig(doc: Record<string, unknown>, env: Record<string, string> = {}) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, JSON.stringify(doc));
  return loadConfig({ GATEWAY_CONFIG: file, ...env });
}

function refusal(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('security settings', () => {
  it('defaults: memory counters, fail open, no proxies trusted, no service budgets', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ rateLimitStore: 'memory', rateLimitFailOpen: true, trustProxy: false });
    expect(config.rateLimitMax).toBeNull();
    expect(config.rateLimits).toEqual({});
  });

  it('reads RATE_LIMIT_STORE, RATE_LIMIT_FAIL_OPEN and the rate_limits section, also from the file settings', () => {
    const config = fileConfig(
      {
        settings: {
          rate_limit_store: 'redis',
          rate_limit_fail_open: false,
          trust_proxy: ['10.0.0.0/8', '::1'],
        },
        rate_limits: { orders: { max: 100, window_ms: 1_000 } },
        routes: [{ prefix: '/o', service: 'orders', rate_limit: { max: 5, window_ms: 60_000 } }],
      },
      { RATE_LIMIT_FAIL_OPEN: 'true' },
    );
    expect(config.rateLimitStore).toBe('redis');
    expect(config.rateLimitFailOpen).toBe(true); // the environment wins over the file
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '::1']);
    expect(config.rateLimits).toEqual({ orders: { max: 100, window_ms: 1_000 } });
    expect(config.routes[0]!.rate_limit).toEqual({ max: 5, window_ms: 60_000 });
  });

  it.each([
    [() => loadConfig({ RATE_LIMIT_STORE: 'etcd' }), /RATE_LIMIT_STORE/],
    [() => loadConfig({ RATE_LIMIT_FAIL_OPEN: 'maybe' }), /RATE_LIMIT_FAIL_OPEN/],
    [() => fileConfig({ rate_limits: { s: { max: 0, window_ms: 1000 } } }), /rate_limits\.s\.max/],
    [() => fileConfig({ rate_limits: { s: { max: 1 } } }), /rate_limits\.s/],
    [
      () => fileConfig({ routes: [{ prefix: '/a', service: 's', rate_limit: { max: 1, window_ms: 10 } }] }),
      /routes\.0\.rate_limit/,
    ],
    [() => fileConfig({ ratelimits: {} }), /unknown section "ratelimits".*rate_limits/],
  ])('refuses a bad value with one line naming it (%#)', (load, message) => {
    expect(refusal(load)).toMatch(message);
  });
});

describe('a config reload', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });

  it('applies new route auth and service budgets without a restart', async () => {
    const instance = await startHealthServer();
    open.push(instance);
    const gw = await startGateway({
      healthCheckIntervalMs: 60_000,
      routes: [{ prefix: '/r', service: 'svc' }],
    });
    open.push(gw);
    await gw.gateway.registry.register({ service_name: 'svc', base_url: instance.url });
    expect((await call('GET', `${gw.url}/r/a`)).status).toBe(200);
    gw.gateway.proxy.applyConfig({
      routes: [
        {
          prefix: '/r',
          service: 'svc',
          auth: { type: 'api_key', keys: [{ id: 'k', sha256: 'a'.repeat(64) }] },
        },
        { prefix: '/open', service: 'other' },
      ],
      balancing: {},
      rateLimits: { other: { max: 1, window_ms: 60_000 } },
    });
    expect((await call('GET', `${gw.url}/r/a`)).status).toBe(401);
    await gw.gateway.registry.register({ service_name: 'other', base_url: instance.url });
    expect((await call('GET', `${gw.url}/open/a`)).status).toBe(200);
    expect((await call('GET', `${gw.url}/open/a`)).status).toBe(429);
  });
});
