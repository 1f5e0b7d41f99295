import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { createEventHub, type EventHub, type GatewayEvent } from '../../src/events.js';
import {
  createMemoryStore,
  createRegistry,
  type InstanceRegistration,
  type RegistryStore,
} from '../../src/registry/index.js';

/** A registration as the registry would store it, with every field overridable. */
export function registration(overrides: Partial<InstanceRegistration> = {}): InstanceRegistration {
  return {
    service_name: 'user-service',
    instance_id: 'i-1',
    base_url: 'http://127.0.0.1:8001',
    health_check_url: 'http://127.0.0.1:8001/health',
    metadata: { version: '1.0.0', nested: { list: [1, 'two', null] } },
    weight: 1,
    registered_at: '2024-05-01T10:00:00.000Z',
    updated_at: '2024-05-01T10:00:00.000Z',
    ttl_seconds: null,
    lease_expires_at: null,
    ...overrides,
  };
}

/** A fresh temporary folder and its cleanup. */
export function tempDir(prefix = 'msa-registry-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A clock tests move by hand. */
export function manualClock(start = Date.parse('2024-05-01T10:00:00.000Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}

type Method = 'load' | 'put' | 'remove' | 'removeService' | 'renewLease';

/**
 * Wraps a store so tests can make chosen methods fail (a dead disk) or hold them until released
 * (a slow one), to see what the registry does meanwhile.
 */
export function controllableStore(inner: RegistryStore) {
  const failing = new Set<Method>();
  let gate: Promise<void> | null = null;
  let open: () => void = () => {};
  const wrap =
    <A extends unknown[], R>(method: Method, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (gate) await gate;
      if (failing.has(method)) throw new Error(`injected ${method} failure`);
      return fn(...args);
    };
  const store: RegistryStore = {
    name: inner.name,
    load: wrap('load', () => inner.load()),
    put: wrap('put', (r: InstanceRegistration) => inner.put(r)),
    remove: wrap('remove', (s: string, i: string) => inner.remove(s, i)),
    removeService: wrap('removeService', (s: string) => inner.removeService(s)),
    renewLease: wrap('renewLease', (s: string, i: string, at: string) => inner.renewLease(s, i, at)),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  return {
    store,
    fail: (...methods: Method[]) => {
      for (const m of methods) failing.add(m);
    },
    heal: () => failing.clear(),
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release() {
      gate = null;
      open();
    },
  };
}

/** Every event the hub emits, in order. */
export function recordEvents(hub: EventHub<GatewayEvent>): GatewayEvent[] {
  const seen: GatewayEvent[] = [];
  hub.subscribe((e) => seen.push(e));
  return seen;
}

/** A registry on a controllable memory store with a manual clock, recording its events. */
export function memoryHarness(start: number) {
  const control = controllableStore(createMemoryStore());
  const events = createEventHub<GatewayEvent>();
  const seen = recordEvents(events);
  const clock = manualClock(start);
  const registry = createRegistry({ store: control.store, events, clock });
  return { control, events, seen, clock, registry };
}

/** The GatewayError a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function gatewayErrorOf(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}
