import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import { createRegistry, createSqliteStore, type SqliteStore } from '../../src/registry/index.js';
import { createGroupCommit } from '../../src/registry/store/group-commit.js';
import { registration, tempDir } from './fixtures.js';

/**
 * Group commit: writes that arrive together share one transaction (one fsync), each still settles
 * with its own result, in order, and only after the commit.
 */
describe('SQLite group commit', () => {
  let dir: string;
  let cleanup: () => void;
  let flushes: number[];
  let opened: SqliteStore[];
  const open = (): SqliteStore => {
    const store = createSqliteStore(join(dir, 'registry.db'), { onCommit: (n) => flushes.push(n) });
    opened.push(store);
    return store;
  };
  const ids = async (store: SqliteStore) => (await store.load()).map((r) => r.instance_id).sort();

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    flushes = [];
    opened = [];
  });
  afterEach(async () => {
    for (const store of opened) await store.close();
    cleanup();
  });

  it('commits writes queued together in one transaction, settling each after it', async () => {
    const store = open();
    const writes = Array.from({ length: 50 }, (_, i) => store.put(registration({ instance_id: `i-${i}` })));
    expect(flushes).toEqual([]); // nothing settles before the commit
    await Promise.all(writes);
    expect(flushes).toEqual([50]);
    expect(await ids(store)).toHaveLength(50);
  });

  it('fails only the write whose statement failed; the others of its batch are stored', async () => {
    const store = open();
    const bad = registration({ instance_id: 'bad', base_url: null as unknown as string }); // NOT NULL
    const results = await Promise.allSettled([
      store.put(registration({ instance_id: 'a' })),
      store.put(bad),
      store.put(registration({ instance_id: 'b' })),
      store.remove('user-service', 'nothing-here'),
    ]);
    expect(flushes).toEqual([4]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toHaveProperty('code', 'SQLITE_CONSTRAINT_NOTNULL');
    expect((results[3] as PromiseFulfilledResult<boolean>).value).toBe(false);
    expect(await ids(store)).toEqual(['a', 'b']);
  });

  it('applies a batch in the order it was queued, each write seeing the ones before it', async () => {
    const store = open();
    const [, removed, , renewed, , count] = await Promise.all([
      store.put(registration({ instance_id: 'a', weight: 1 })),
      store.remove('user-service', 'a'),
      store.put(registration({ instance_id: 'a', weight: 2, ttl_seconds: 60 })),
      store.renewLease('user-service', 'a', '2030-01-01T00:00:00.000Z'),
      store.put(registration({ service_name: 'other', instance_id: 'x' })),
      store.removeService('other'),
    ]);
    expect(flushes).toEqual([6]);
    expect([removed, renewed, count]).toEqual([true, true, 1]);
    expect(await store.load()).toEqual([
      registration({
        instance_id: 'a',
        weight: 2,
        ttl_seconds: 60,
        lease_expires_at: '2030-01-01T00:00:00.000Z',
      }),
    ]);
  });

  it('close() commits the writes still queued; load() reads them first', async () => {
    const store = open();
    const queued = store.put(registration({ instance_id: 'queued' }));
    expect(await ids(store)).toEqual(['queued']); // load flushed the queue
    await queued;
    const last = store.put(registration({ instance_id: 'last' }));
    await store.close();
    await last;
    const db = new Database(join(dir, 'registry.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT instance_id FROM instances ORDER BY 1').pluck().all()).toEqual([
        'last',
        'queued',
      ]);
    } finally {
      db.close();
    }
  });

  it('commits a lone write at once, and groups the writes that follow it in the same turn', async () => {
    const store = open();
    await store.put(registration({ instance_id: 'alone' }));
    expect(flushes).toEqual([1]);
    // Still the same turn of the event loop: these wait for its end and go together.
    const later = [
      store.put(registration({ instance_id: 'b' })),
      store.put(registration({ instance_id: 'c' })),
    ];
    await Promise.resolve();
    await store.put(registration({ instance_id: 'd' }));
    await Promise.all(later);
    expect(flushes).toEqual([1, 3]);
  });

  it('concurrent registrations of different instances reach the store in one commit', async () => {
    const store = open();
    const registry = createRegistry({ store, events: createEventHub<GatewayEvent>() });
    await registry.start();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        registry.register({ service_name: `svc-${i % 4}`, base_url: `http://127.0.0.1:9/${i}` }),
      ),
    );
    expect(results.every((r) => r.created)).toBe(true);
    expect(flushes).toEqual([40]);
    expect(registry.size.instances).toBe(40);
    await registry.close();
  });

  it('keeps two writes of one instance in order (one commit each) while other instances join', async () => {
    const store = open();
    const registry = createRegistry({ store, events: createEventHub<GatewayEvent>() });
    await registry.start();
    const [first, second, other] = await Promise.all([
      registry.register({ service_name: 's', base_url: 'http://127.0.0.1:9/x', weight: 1 }),
      registry.register({ service_name: 's', base_url: 'http://127.0.0.1:9/x', weight: 2 }),
      registry.register({ service_name: 's', base_url: 'http://127.0.0.1:9/y' }),
    ]);
    expect([first.created, second.created, other.created]).toEqual([true, false, true]);
    expect(second.previous?.weight).toBe(1);
    expect(registry.get('s', first.instance.instance_id)?.weight).toBe(2);
    expect(flushes).toEqual([2, 1]); // x and y together, then x's update
    await registry.close();
  });
});

describe('createGroupCommit', () => {
  it('runs each write on its own again when SQLite rolled the whole transaction back', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const commits = createGroupCommit(db);
    const results = await Promise.allSettled([
      commits.submit(() => insert.run('a').changes),
      commits.submit(() => {
        db.exec('ROLLBACK'); // as SQLite does after some errors (SQLITE_FULL, IOERR...)
        throw new Error('disk full');
      }),
      commits.submit(() => insert.run('b').changes),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual(['a', 'b']); // each once
    expect(db.inTransaction).toBe(false);
    db.close();
  });
});
