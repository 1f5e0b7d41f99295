import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import {
  createRegistry,
  createSqliteStore,
  createStore,
  type RegistryStore,
  SQLITE_SCHEMA_VERSION,
  type SqliteStore,
} from '../../src/registry/index.js';
import { registration, tempDir } from './fixtures.js';

describe('SQLite store', () => {
  let dir: string;
  let cleanup: () => void;
  const opened: RegistryStore[] = [];
  const open = (path = join(dir, 'registry.db')): SqliteStore => {
    const store = createSqliteStore(path);
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    cleanup();
  });

  it('creates missing folders for its file', async () => {
    const path = join(dir, 'nested', 'deeper', 'registry.db');
    const store = open(path);
    await store.put(registration());
    expect(existsSync(path)).toBe(true);
  });

  it('uses WAL with synchronous FULL, and records its schema version', async () => {
    const path = join(dir, 'registry.db');
    const store = open(path);
    expect(store.settings()).toEqual({ journalMode: 'wal', synchronous: 2 });
    await store.put(registration());
    const probe = new Database(path, { readonly: true });
    try {
      expect(probe.pragma('journal_mode', { simple: true })).toBe('wal'); // persistent in the file
      expect(probe.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    } finally {
      probe.close();
    }
  });

  it('keeps its rows across close and reopen', async () => {
    const first = open();
    await first.put(registration({ instance_id: 'a' }));
    await first.put(registration({ instance_id: 'b', lease_expires_at: '2030-01-01T00:00:00.000Z' }));
    await first.remove('user-service', 'a');
    await first.close();
    const rows = await open().load();
    expect(rows).toEqual([registration({ instance_id: 'b', lease_expires_at: '2030-01-01T00:00:00.000Z' })]);
  });

  it('refuses a database written by a newer schema, with a clear message', () => {
    const path = join(dir, 'registry.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => open(path)).toThrow(/newer than this gateway/);
  });

  it('says which path it could not open', () => {
    const notAFolder = join(dir, 'file');
    writeFileSync(notAFolder, '');
    const path = join(notAFolder, 'registry.db');
    expect(() => open(path)).toThrow(`cannot open the registry store at ${path}`);
  });

  it('loads 5,000 registrations across services with their leases intact', async () => {
    const path = join(dir, 'registry.db');
    await open(path).close(); // creates the schema
    // Seed in one transaction: 5,000 separate fsyncs would only measure the disk.
    const db = new Database(path);
    const insert = db.prepare(
      `INSERT INTO instances VALUES (@service_name, @instance_id, @base_url, @health_check_url,
         @metadata, @weight, @registered_at, @updated_at, @ttl_seconds, @lease_expires_at)`,
    );
    db.transaction(() => {
      for (let i = 0; i < 5_000; i++) {
        const leased = i % 2 === 0;
        const r = registration({
          service_name: `svc-${i % 50}`,
          instance_id: `i-${i}`,
          base_url: `http://10.0.${Math.floor(i / 250)}.${i % 250}:8000`,
          ttl_seconds: leased ? 60 : null,
          lease_expires_at: leased ? '2099-01-01T00:00:00.000Z' : null,
        });
        insert.run({ ...r, metadata: JSON.stringify(r.metadata) });
      }
    })();
    db.close();

    const reopened = open(path);
    const registry = createRegistry({ store: reopened, events: createEventHub<GatewayEvent>() });
    await registry.start();
    expect(registry.size).toEqual({ services: 50, instances: 5_000 });
    expect(registry.instancesOf('svc-7')).toHaveLength(100);
    expect(registry.all().filter((r) => r.lease_expires_at !== null)).toHaveLength(2_500);
    expect(registry.get('svc-3', 'i-3')?.metadata).toEqual(registration().metadata);
    await registry.close();
  });
});

describe('createStore', () => {
  it('returns the store the config names', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const memory = createStore({ registryStore: 'memory', registryPath: 'unused' });
      expect(memory.name).toBe('memory');
      const sqlite = createStore({ registryStore: 'sqlite', registryPath: join(dir, 'r.db') });
      expect(sqlite.name).toBe('sqlite');
      await sqlite.close();
    } finally {
      cleanup();
    }
  });

  it('opens the redis store for REGISTRY_STORE=redis, and refuses a bad REDIS_URL', async () => {
    const redis = createStore({
      registryStore: 'redis',
      registryPath: 'x',
      redisKeyPrefix: 'msa-gateway-test:none:',
    });
    expect(redis.name).toBe('redis');
    await redis.close();
    expect(() =>
      createStore({ registryStore: 'redis', registryPath: 'x', redisUrl: 'redis+sentinel://h' }),
    ).toThrow(/REDIS_URL/);
  });
});
