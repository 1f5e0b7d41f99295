import type { GatewayConfig } from '../../config/index.js';
import { createMemoryStore } from './memory.js';
import { createSqliteStore } from './sqlite.js';
import type { RegistryStore } from './types.js';

/** The store that `REGISTRY_STORE` names. Opening SQLite may throw (unwritable path, newer schema). */
export function createStore(config: Pick<GatewayConfig, 'registryStore' | 'registryPath'>): RegistryStore {
  switch (config.registryStore) {
    case 'sqlite':
      return createSqliteStore(config.registryPath);
    case 'memory':
      return createMemoryStore();
    case 'redis':
      throw new Error('REGISTRY_STORE=redis is not available yet; use sqlite or memory');
  }
}
