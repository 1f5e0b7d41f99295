import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { InstanceRegistration } from '../types.js';
import { createGroupCommit } from './group-commit.js';
import type { RegistryStore } from './types.js';

/**
 * The embedded, durable store: one SQLite file. Writes go through group commit (group-commit.ts):
 * writes that arrive together share one transaction and so one fsync of the WAL, each fails only
 * on its own, and every promise settles only after the commit (with `synchronous = FULL`, after
 * the fsync): a 2xx answered after `put` survives a SIGKILL of the gateway right after.
 */

/** Schema migrations, applied in order; `PRAGMA user_version` records how many ran. */
const MIGRATIONS: readonly string[] = [
  // v1. The primary key serves every query (by instance, and by service as its prefix); lease
  // expiry is scheduled in memory, so no index on lease_expires_at is needed.
  `CREATE TABLE instances (
     service_name     TEXT    NOT NULL,
     instance_id      TEXT    NOT NULL,
     base_url         TEXT    NOT NULL,
     health_check_url TEXT    NOT NULL,
     metadata         TEXT    NOT NULL,
     weight           INTEGER NOT NULL,
     registered_at    TEXT    NOT NULL,
     updated_at       TEXT    NOT NULL,
     ttl_seconds      INTEGER,
     lease_expires_at TEXT,
     PRIMARY KEY (service_name, instance_id)
   ) WITHOUT ROWID`,
];

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

interface Row {
  service_name: string;
  instance_id: string;
  base_url: string;
  health_check_url: string;
  metadata: string;
  weight: number;
  registered_at: string;
  updated_at: string;
  ttl_seconds: number | null;
  lease_expires_at: string | null;
}

function openDatabase(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Another process (a backup, a second gateway by mistake) may hold the lock for a moment.
    db.pragma('busy_timeout = 5000');
    migrate(db, path);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `registry database ${path} has schema version ${version}, newer than this gateway's ${MIGRATIONS.length}`,
    );
  }
  db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

function fromRow(row: Row): InstanceRegistration {
  return {
    service_name: row.service_name,
    instance_id: row.instance_id,
    base_url: row.base_url,
    health_check_url: row.health_check_url,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    weight: row.weight,
    registered_at: row.registered_at,
    updated_at: row.updated_at,
    ttl_seconds: row.ttl_seconds,
    lease_expires_at: row.lease_expires_at,
  };
}

function toRow(r: InstanceRegistration): Row {
  return { ...r, metadata: JSON.stringify(r.metadata) };
}

/** The SQLite store, with its durability settings readable (for tests and diagnostics). */
export interface SqliteStore extends RegistryStore {
  readonly path: string;
  /** The connection's `journal_mode` (`wal`) and `synchronous` (2 = FULL). */
  settings(): { journalMode: string; synchronous: number };
}

export interface SqliteStoreOptions {
  /** Told after each flush of queued writes: how many writes it carried (tests, diagnostics). */
  readonly onCommit?: (writes: number) => void;
}

/** Opens (creating the folder, the file and the schema if missing) the SQLite store at `path`. */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  let db: Database.Database;
  try {
    db = openDatabase(path);
  } catch (err) {
    throw new Error(`cannot open the registry store at ${path}: ${(err as Error).message}`, { cause: err });
  }
  const selectAll = db.prepare<[], Row>('SELECT * FROM instances');
  const upsert = db.prepare<Row>(
    `INSERT OR REPLACE INTO instances
       (service_name, instance_id, base_url, health_check_url, metadata, weight,
        registered_at, updated_at, ttl_seconds, lease_expires_at)
     VALUES (@service_name, @instance_id, @base_url, @health_check_url, @metadata, @weight,
        @registered_at, @updated_at, @ttl_seconds, @lease_expires_at)`,
  );
  const deleteOne = db.prepare('DELETE FROM instances WHERE service_name = ? AND instance_id = ?');
  const deleteService = db.prepare('DELETE FROM instances WHERE service_name = ?');
  const renew = db.prepare(
    'UPDATE instances SET lease_expires_at = ? WHERE service_name = ? AND instance_id = ?',
  );
  const selectOne = db.prepare('SELECT 1');
  // One read transaction: a consistent snapshot, and one lock instead of one per row.
  const loadAll = db.transaction(() => selectAll.all().map(fromRow));
  const writes = createGroupCommit(db, options.onCommit);

  return {
    name: 'sqlite',
    path,
    settings: () => ({
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      synchronous: db.pragma('synchronous', { simple: true }) as number,
    }),
    async load() {
      writes.flush(); // a read sees every write queued before it
      return loadAll.deferred();
    },
    put(registration) {
      return writes.submit(() => {
        upsert.run(toRow(registration));
      });
    },
    remove(serviceName, instanceId) {
      return writes.submit(() => deleteOne.run(serviceName, instanceId).changes > 0);
    },
    removeService(serviceName) {
      return writes.submit(() => deleteService.run(serviceName).changes);
    },
    renewLease(serviceName, instanceId, leaseExpiresAt) {
      return writes.submit(() => renew.run(leaseExpiresAt, serviceName, instanceId).changes > 0);
    },
    async ping() {
      if (!db.open) return false;
      try {
        selectOne.get();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (!db.open) return;
      writes.flush(); // writes already accepted are committed first
      db.close();
    },
  };
}
