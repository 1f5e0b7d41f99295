import { join } from 'node:path';
import { createMemoryStore, createSqliteStore } from '../../src/registry/index.js';
import { tempDir } from './fixtures.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('memory', () => {
  const store = createMemoryStore();
  return { store, dispose: () => store.close() };
});

describeStoreContract('sqlite', () => {
  const { dir, cleanup } = tempDir();
  const store = createSqliteStore(join(dir, 'registry.db'));
  return {
    store,
    async dispose() {
      await store.close();
      cleanup();
    },
  };
});
