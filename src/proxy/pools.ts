/**
 * One keep-alive undici Pool per instance, created on first use and kept warm. The hot path finds
 * a pool through a WeakMap keyed by the registration object (registrations are immutable and
 * replaced on change), so a lookup is one hash access without building a key string. The registry's
 * events retire pools: `deregistered` / `expired` close it, a `registered` update that changed the
 * base_url replaces it. Closing lets requests in flight finish.
 */
import type { EventHub, GatewayEvent } from '../events.js';
import { Pool } from '../http/undici.js';
import { type InstanceRegistration, instanceKey, type Registry } from '../registry/types.js';

export interface PoolEntry {
  readonly pool: Pool;
  readonly baseUrl: string;
  readonly url: URL;
  /** The base_url's path prefix: `''` or `/prefix` (no trailing slash). */
  readonly basePath: string;
  closed: boolean;
}

export interface PoolOptions {
  readonly headersTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Bounds the wait for pools with requests still in flight at shutdown. */
  readonly closeGraceMs: number;
}

/** Connections per instance: generous, since a queue in front of a slow instance only adds latency. */
const CONNECTIONS_PER_INSTANCE = 1024;

export class PoolSet {
  private readonly byKey = new Map<string, PoolEntry>();
  private readonly byRegistration = new WeakMap<InstanceRegistration, PoolEntry>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly registry: Registry,
    events: EventHub<GatewayEvent>,
    private readonly options: PoolOptions,
  ) {
    this.unsubscribe = events.subscribe((event) => this.onEvent(event));
  }

  /** The pool entry of a routable instance, or null when it is no longer registered. */
  entryFor(instance: InstanceRegistration): PoolEntry | null {
    const cached = this.byRegistration.get(instance);
    if (cached !== undefined && !cached.closed) return cached;
    const current = this.registry.get(instance.service_name, instance.instance_id);
    if (current === undefined) return null;
    const key = instanceKey(instance.service_name, instance.instance_id);
    let entry = this.byKey.get(key);
    if (entry === undefined || entry.baseUrl !== current.base_url) {
      if (entry !== undefined) this.retire(key, entry);
      entry = this.create(current.base_url);
      this.byKey.set(key, entry);
    }
    this.byRegistration.set(instance, entry);
    return entry;
  }

  get size(): number {
    return this.byKey.size;
  }

  private create(baseUrl: string): PoolEntry {
    const url = new URL(baseUrl);
    const { headersTimeoutMs, connectTimeoutMs } = this.options;
    const pool = new Pool(url.origin, {
      connections: CONNECTIONS_PER_INSTANCE,
      pipelining: 1,
      headersTimeout: headersTimeoutMs,
      bodyTimeout: headersTimeoutMs,
      // SPEC section 2: a connect is bounded by the smaller of the two timeouts.
      connectTimeout: Math.min(connectTimeoutMs, headersTimeoutMs),
      keepAliveTimeout: 10_000,
    });
    // A pool emits 'connectionError' for refused connects; the request's own error reports it.
    pool.on('connectionError', () => {});
    const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
    return { pool, baseUrl, url, basePath, closed: false };
  }

  private retire(key: string, entry: PoolEntry): void {
    if (this.byKey.get(key) === entry) this.byKey.delete(key);
    entry.closed = true;
    entry.pool.close().catch(() => {});
  }

  private onEvent(event: GatewayEvent): void {
    if (event.type === 'status_changed' || event.type === 'peer_passive') return;
    const key = instanceKey(event.service_name, event.instance_id);
    const entry = this.byKey.get(key);
    if (entry === undefined) return;
    if (event.type === 'registered') {
      const current = this.registry.get(event.service_name, event.instance_id);
      if (current !== undefined && current.base_url === entry.baseUrl) return;
    }
    this.retire(key, entry);
  }

  /** Closes every pool: in-flight requests get `closeGraceMs` to finish, then are cut. */
  async close(): Promise<void> {
    this.unsubscribe();
    const entries = [...this.byKey.values()];
    this.byKey.clear();
    await Promise.all(entries.map((entry) => this.closeEntry(entry)));
  }

  private async closeEntry(entry: PoolEntry): Promise<void> {
    entry.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => {
      timer = setTimeout(resolve, this.options.closeGraceMs, 'late');
    });
    const result = await Promise.race([entry.pool.close().then(() => 'closed' as const), grace]).catch(
      () => 'late' as const,
    );
    clearTimeout(timer);
    if (result === 'late') await entry.pool.destroy().catch(() => {});
  }
}
