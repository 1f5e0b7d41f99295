/** Fields every stored record carries; the collection owns them. */
export interface StoredRecord {
  id: number;
  created_at: string;
  updated_at: string;
}

export type RecordFields<T extends StoredRecord> = Omit<T, keyof StoredRecord>;

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Collection<T extends StoredRecord> {
  page(limit: number, offset: number): Page<T>;
  get(id: number): T | undefined;
  find(predicate: (record: T) => boolean): T | undefined;
  insert(fields: RecordFields<T>): T;
  /** Replaces the fields of an existing record; undefined when the id is unknown. */
  update(id: number, fields: RecordFields<T>): T | undefined;
  remove(id: number): boolean;
}

/**
 * An in-memory table with integer ids (1, 2, 3, ... never reused, like a SQL sequence) and
 * timestamps. The samples are demos: their data lives as long as the process.
 */
export function createCollection<T extends StoredRecord>(now: () => Date = () => new Date()): Collection<T> {
  const records = new Map<number, T>();
  let nextId = 1;
  return {
    page(limit, offset) {
      // Map iteration order is insertion order, which is id order.
      const all = [...records.values()];
      return { items: all.slice(offset, offset + limit), total: all.length, limit, offset };
    },
    get: (id) => records.get(id),
    find(predicate) {
      for (const record of records.values()) if (predicate(record)) return record;
      return undefined;
    },
    insert(fields) {
      const stamp = now().toISOString();
      const record = { ...fields, id: nextId++, created_at: stamp, updated_at: stamp } as T;
      records.set(record.id, record);
      return record;
    },
    update(id, fields) {
      const current = records.get(id);
      if (!current) return undefined;
      const record = { ...fields, id, created_at: current.created_at, updated_at: now().toISOString() } as T;
      records.set(id, record);
      return record;
    },
    remove: (id) => records.delete(id),
  };
}
