import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('scale-out settings', () => {
  it('defaults: one worker, prefix msa-gateway:', () => {
    const config = loadConfig({});
    expect(config.gatewayWorkers).toBe(1);
    expect(config.redisKeyPrefix).toBe('msa-gateway:');
  });

  it('GATEWAY_WORKERS takes a count or auto (the available cores)', () => {
    expect(loadConfig({ GATEWAY_WORKERS: '4' }).gatewayWorkers).toBe(4);
    expect(loadConfig({ GATEWAY_WORKERS: 'AUTO' }).gatewayWorkers).toBe(availableParallelism());
  });

  it.each([
    [{ GATEWAY_WORKERS: '0' }, /GATEWAY_WORKERS/],
    [{ GATEWAY_WORKERS: 'many' }, /GATEWAY_WORKERS/],
    [{ REDIS_KEY_PREFIX: 'has space' }, /REDIS_KEY_PREFIX/],
    [{ REDIS_URL: 'redis+sentinel://s1:26379' }, /REDIS_URL/],
    [{ REDIS_URL: 'http://redis' }, /REDIS_URL/],
  ])('refuses %o with one line naming the variable', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('accepts Sentinel host lists', () => {
    const url = 'redis+sentinel://:pw@10.0.0.5:26379,10.0.0.6:26379/mymaster/2?sentinel_password=x';
    expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
  });
});
