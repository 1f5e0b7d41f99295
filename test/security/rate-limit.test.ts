import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore, type Verdict } from '../../src/security/index.js';
import { startHealthServer } from '../helpers/health-server.js';
import { call, isProblem } from '../helpers/http.js';
import { type EnvGateway, startFromEnv } from './helpers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function gateway(env: Record<string, string>, file?: Record<string, unknown>): Promise<EnvGateway> {
  const extra: Record<string, string> = {};
  if (file) {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'gw-rl-')), 'gateway.yaml');
    writeFileSync(path, JSON.stringify(file));
    extra.GATEWAY_CONFIG = path;
  }
  const gw = await startFromEnv({ ...env, ...extra });
  open.push(gw);
  return gw;
}

async function rateLimitedCount(gw: EnvGateway, scope: string): Promise<number> {
  const metric = await gw.gateway.metrics.rateLimitedTotal.get();
  return metric.values.find((v) => v.labels.scope === scope)?.value ?? 0;
}

describe('the memory rate-limit store', () => {
  it('counts a fixed window per key and resets it when the window ends', () => {
    let now = 1_000;
    const store = createMemoryRateLimitStore({ now: () => now });
    const hit = (key = 'a') => store.hit(key, 2, 10_000) as Verdict;
    expect(hit()).toEqual({ allowed: true, limit: 2, remaining: 1, resetSeconds: 10 });
    expect(hit()).toMatchObject({ allowed: true, remaining: 0 });
    now += 4_000;
    expect(hit()).toEqual({ allowed: false, limit: 2, remaining: 0, resetSeconds: 6 });
    expect(hit('b')).toMatchObject({ allowed: true, remaining: 1 });
    now += 6_000;
    expect(hit()).toMatchObject({ allowed: true, remaining: 1, resetSeconds: 10 });
  });

  it('holds a bounded number of keys under a flood of distinct clients', () => {
    const store = createMemoryRateLimitStore({ maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) store.hit(`client-${i}`, 5, 60_000);
    // The newest client still has its window; the oldest were evicted to make room.
    expect((store.hit('client-9999', 5, 60_000) as Verdict).remaining).toBe(3);
    expect((store.hit('client-0', 5, 60_000) as Verdict).remaining).toBe(4);
  });
});

describe('the per-client budget (RATE_LIMIT_MAX)', () => {
  it('is off unless configured: no RateLimit headers, never 429', async () => {
    const gw = await gateway({});
    expect(gw.gateway.config.rateLimitMax).toBeNull();
    for (let i = 0; i < 30; i++) {
      const res = await call('GET', `${gw.url}/api/discovery/services`);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
    }
  });

  it('answers 429 problem JSON with Retry-After and RateLimit-* past the budget, admin and proxy alike', async () => {
    const gw = await gateway({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
    const remaining: (string | null)[] = [];
    for (const path of ['/api/discovery/services', '/proxy/nothing/x', '/']) {
      const res = await call('GET', `${gw.url}${path}`);
      expect(res.status).not.toBe(429);
      remaining.push(res.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    for (const path of ['/api/discovery/services', '/proxy/nothing/x', '/metrics']) {
      const res = await call('GET', `${gw.url}${path}`);
      expect(res.status).toBe(429);
      expect(isProblem(res)).toBe(true);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      expect(res.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    }
    // Liveness and readiness probes are never limited.
    expect((await call('GET', `${gw.url}/health`)).status).toBe(200);
    expect((await call('GET', `${gw.url}/ready`)).status).toBe(200);
    expect(await rateLimitedCount(gw, 'client')).toBe(3);
  });

  it('opens again when the window ends', async () => {
    const gw = await gateway({ RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW_MS: '300' });
    expect((await call('GET', `${gw.url}/`)).status).toBe(200);
    expect((await call('GET', `${gw.url}/`)).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await call('GET', `${gw.url}/`)).status).toBe(200);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY trusts the peer', async () => {
    const untrusting = await gateway({ RATE_LIMIT_MAX: '1' });
    expect(
      (await call('GET', `${untrusting.url}/`, undefined, { 'x-forwarded-for': '203.0.113.1' })).status,
    ).toBe(200);
    expect(
      (await call('GET', `${untrusting.url}/`, undefined, { 'x-forwarded-for': '203.0.113.2' })).status,
    ).toBe(429);

    const trusting = await gateway({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '127.0.0.1' });
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      expect((await call('GET', `${trusting.url}/`, undefined, { 'x-forwarded-for': client })).status).toBe(
        200,
      );
    }
    // A client cannot pick its own key by prepending addresses: the rightmost untrusted hop counts.
    const spoof = { 'x-forwarded-for': '198.51.100.7, 203.0.113.1' };
    expect((await call('GET', `${trusting.url}/`, undefined, spoof)).status).toBe(429);
  });
});

describe('route and service budgets (config file)', () => {
  it('limit per client on one route and one service, through every way of reaching it', async () => {
    const instance = await startHealthServer();
    open.push(instance);
    const gw = await gateway(
      {},
      {
        routes: [
          { prefix: '/limited', service: 'svc', rate_limit: { max: 2, window_ms: 60_000 } },
          { prefix: '/free', service: 'svc' },
          { prefix: '/other', service: 'other' },
        ],
        rate_limits: { svc: { max: 4, window_ms: 60_000 } },
      },
    );
    await gw.gateway.registry.register({ service_name: 'svc', base_url: instance.url });
    await gw.gateway.registry.register({ service_name: 'other', base_url: instance.url });
    const status = async (path: string) => (await call('GET', `${gw.url}${path}`)).status;

    const first = await call('GET', `${gw.url}/limited/a`);
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(await status('/limited/a')).toBe(200);
    const refused = await call('GET', `${gw.url}/limited/a`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(refused.body).toMatchObject({ code: 'GW_ERR_RATE_LIMITED' });
    // The service budget (4) also counted the two allowed /limited requests.
    expect(await status('/free/a')).toBe(200);
    expect(await status('/proxy/svc/a')).toBe(200);
    expect(await status('/proxy/svc/a')).toBe(429);
    expect(await status('/free/a')).toBe(429);
    expect(await status('/other/a')).toBe(200);
    expect(await rateLimitedCount(gw, 'route')).toBe(1);
    expect(await rateLimitedCount(gw, 'service')).toBe(2);
    // Nothing refused reached the instance.
    expect(instance.requests.filter((r) => r.url !== '/health')).toHaveLength(5);
  });
});
