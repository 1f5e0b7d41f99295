import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/index.js';
import { createMemoryStore } from './memory.js';
import { createRedisStore } from './redis/index.js';
import { createSqliteStore } from './sqlite.js';
import type { RegistryStore } from './types.js';

/**
 * The store that `REGISTRY_STORE` names. Opening SQLite may throw (unwritable path, newer schema);
 * a bad REDIS_URL throws too. Redis connects in the background; `load()` waits for it.
 */
export function createStore(
  config: Pick<GatewayConfig, 'registryStore' | 'registryPath'> &
    Partial<Pick<GatewayConfig, 'redisUrl' | 'redisKeyPrefix'>>,
  logger?: Logger,
): RegistryStore {
  switch (config.registryStore) {
    case 'sqlite':
      return createSqliteStore(config.registryPath);
    case 'memory':
      return createMemoryStore();
    case 'redis':
      return createRedisStore({
        url: config.redisUrl ?? 'redis://127.0.0.1:6379',
        prefix: config.redisKeyPrefix ?? 'msa-gateway:',
        ...(logger ? { logger } : {}),
      });
  }
}
