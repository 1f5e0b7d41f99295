/**
 * Cluster-wide budgets through Redis, and the explicit choice when Redis is down. Uses the
 * machine's Redis (TEST_REDIS_URL, default 127.0.0.1:6379) under a random key prefix, deleting
 * only its own keys; skipped when no Redis answers.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { call, isProblem } from '../helpers/http.js';
import { captureLogger, type EnvGateway, startFromEnv } from './helpers.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `msa-gateway-test:${randomBytes(6).toString('hex')}:`;

async function redisAnswers(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A loopback port where nothing listens: a Redis that is down. */
async function deadRedisUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `redis://127.0.0.1:${port}`;
}

const open: EnvGateway[] = [];
afterEach(async () => {
  for (const gw of open.splice(0)) await gw.close();
});

async function gateway(env: Record<string, string>, logger?: Logger): Promise<EnvGateway> {
  const gw = await startFromEnv(
    { RATE_LIMIT_STORE: 'redis', REDIS_KEY_PREFIX: PREFIX, ...env },
    logger ? { logger } : {},
  );
  open.push(gw);
  return gw;
}

describe.runIf(await redisAnswers())('rate limits shared through Redis', () => {
  afterAll(async () => {
    const client = new Redis(REDIS_URL);
    const keys = await client.keys(`${PREFIX}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  it('two gateways share one per-client budget', async () => {
    const env = { REDIS_URL, RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_MS: '60000' };
    const a = await gateway(env);
    const b = await gateway(env);
    const statuses: number[] = [];
    for (const gw of [a, b, a, b, a, b]) statuses.push((await call('GET', `${gw.url}/`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const limited = await call('GET', `${b.url}/api/discovery/services`);
    expect(isProblem(limited)).toBe(true);
    expect(limited.headers.get('ratelimit-limit')).toBe('4');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('defaults to the Redis store when the registry store is Redis', async () => {
    const { loadConfig } = await import('../../src/config/index.js');
    expect(loadConfig({ REGISTRY_STORE: 'redis' }).rateLimitStore).toBe('redis');
    expect(loadConfig({}).rateLimitStore).toBe('memory');
  });
});

describe('when the Redis rate-limit store is down', () => {
  it('fails open by default: requests pass without waiting on Redis, and it is logged once', async () => {
    const logs = captureLogger();
    const gw = await gateway({ REDIS_URL: await deadRedisUrl(), RATE_LIMIT_MAX: '1' }, logs.logger);
    expect(gw.gateway.config.rateLimitFailOpen).toBe(true);
    expect((await call('GET', `${gw.url}/`)).status).toBe(200);
    const started = Date.now();
    for (let i = 0; i < 5; i++) expect((await call('GET', `${gw.url}/`)).status).toBe(200);
    // Past the first connection attempt, an outage costs no wait per request.
    expect(Date.now() - started).toBeLessThan(400);
    expect(logs.text().match(/rate limit store unavailable/g)).toHaveLength(1);
  });

  it('fails closed with RATE_LIMIT_FAIL_OPEN=false: 503 problem with Retry-After', async () => {
    const gw = await gateway({
      REDIS_URL: await deadRedisUrl(),
      RATE_LIMIT_MAX: '100',
      RATE_LIMIT_FAIL_OPEN: 'false',
    });
    const res = await call('GET', `${gw.url}/api/discovery/services`);
    expect(res.status).toBe(503);
    expect(isProblem(res)).toBe(true);
    expect(res.body).toMatchObject({ code: 'GW_ERR_RATE_LIMIT_UNAVAILABLE' });
    expect(res.headers.get('retry-after')).toBe('1');
    // Probes stay up: an orchestrator must not restart a gateway because Redis is away.
    expect((await call('GET', `${gw.url}/health`)).status).toBe(200);
  });
});
