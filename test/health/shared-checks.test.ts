/**
 * The health monitor with a HealthSharing: claims before checks, publishes what it found, adopts
 * the others' results (only for the same incarnation, never older ones), and falls back to local
 * checks when the coordinator fails. A fake sharing stands in for Redis or the cluster primary.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config/index.js';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import {
  type CheckTarget,
  createHealthMonitor,
  type HealthMonitor,
  type HealthSharing,
  parseSharedResult,
  type SharedCheckResult,
} from '../../src/health/index.js';
import { applyShared, INITIAL_STATE } from '../../src/health/status.js';
import { createMemoryStore, createRegistry, type Registry } from '../../src/registry/index.js';
import { type HealthServer, startHealthServer, waitFor } from './helpers.js';

interface FakeSharing extends HealthSharing {
  claims: CheckTarget[];
  published: SharedCheckResult[];
  grant: 'yes' | 'no' | 'throw';
  push(result: SharedCheckResult): void;
  known: SharedCheckResult[];
}

function fakeSharing(): FakeSharing {
  let deliver: ((r: SharedCheckResult) => void) | null = null;
  const fake: FakeSharing = {
    claims: [],
    published: [],
    known: [],
    grant: 'yes',
    claim(target) {
      fake.claims.push(target);
      if (fake.grant === 'throw') throw new Error('coordinator down');
      return fake.grant === 'yes';
    },
    publish: (r) => fake.published.push(r),
    subscribe(onResult) {
      deliver = onResult;
      return () => {
        deliver = null;
      };
    },
    snapshot: async () => fake.known,
    push: (r) => deliver?.(r),
  };
  return fake;
}

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

/** `intervalMs` is also the check timeout: short where a test waits for repeated checks. */
async function setup(sharing: FakeSharing, start = true, intervalMs = 100) {
  const config = testConfig({ healthCheckIntervalMs: intervalMs, healthCheckTimeoutMs: intervalMs });
  const events = createEventHub<GatewayEvent>();
  const registry: Registry = createRegistry({ store: createMemoryStore(), events });
  await registry.start();
  const monitor: HealthMonitor = createHealthMonitor({ config, registry, events, sharing });
  opened.push(registry, monitor);
  const changes: string[] = [];
  events.subscribe((e) => {
    if (e.type === 'status_changed') changes.push(`${e.old_status}->${e.new_status}: ${e.reason}`);
  });
  if (start) monitor.start();
  return { registry, monitor, changes };
}

async function server(): Promise<HealthServer> {
  const s = await startHealthServer('ok');
  opened.push(s);
  return s;
}

function resultFor(registry: Registry, overrides: Partial<SharedCheckResult> = {}): SharedCheckResult {
  const r = registry.instancesOf('users')[0]!;
  return {
    service_name: r.service_name,
    instance_id: r.instance_id,
    health_check_url: r.health_check_url,
    registered_at: r.registered_at,
    ok: false,
    reason: 'health check returned 503',
    at: Date.now(),
    verdict: 'UNHEALTHY',
    passes: 0,
    fails: 1,
    ...overrides,
  };
}

describe('health monitor with shared checks', () => {
  it('claims before each check and publishes the result with the state it led to', async () => {
    const s = await server();
    const sharing = fakeSharing();
    // One check, made at once: a timeout that a loaded CI machine's first connection cannot miss.
    const { registry, monitor } = await setup(sharing, true, 5_000);
    await registry.register({ service_name: 'users', base_url: s.url });
    await waitFor(() => sharing.published.length === 1, 6_000, 'a published result');
    const [r] = registry.instancesOf('users');
    expect(sharing.claims[0]).toEqual({
      service_name: 'users',
      instance_id: r!.instance_id,
      health_check_url: r!.health_check_url,
      registered_at: r!.registered_at,
    });
    expect(sharing.published[0]).toMatchObject({ ok: true, verdict: 'HEALTHY', passes: 1, fails: 0 });
    expect(monitor.healthOf('users', r!.instance_id).status).toBe('HEALTHY');
  });

  it('does not check what another gateway claimed, and adopts that gateway’s result', async () => {
    const s = await server();
    const sharing = fakeSharing();
    sharing.grant = 'no';
    const { registry, monitor, changes } = await setup(sharing);
    await registry.register({ service_name: 'users', base_url: s.url });
    await waitFor(() => sharing.claims.length >= 1, 1_000, 'a claim');
    expect(s.hits).toBe(0);
    sharing.push(resultFor(registry));
    const id = registry.instancesOf('users')[0]!.instance_id;
    expect(monitor.healthOf('users', id)).toMatchObject({
      status: 'UNHEALTHY',
      last_error: 'health check returned 503',
      consecutive_failures: 1,
    });
    expect(changes).toEqual(['UNKNOWN->UNHEALTHY: health check returned 503']);
    // Older results and results for another incarnation or URL change nothing.
    sharing.push(resultFor(registry, { ok: true, verdict: 'HEALTHY', at: Date.now() - 60_000 }));
    sharing.push(
      resultFor(registry, { ok: true, verdict: 'HEALTHY', registered_at: '2000-01-01T00:00:00.000Z' }),
    );
    sharing.push(
      resultFor(registry, { ok: true, verdict: 'HEALTHY', health_check_url: 'http://elsewhere/health' }),
    );
    expect(monitor.healthOf('users', id).status).toBe('UNHEALTHY');
    expect(s.hits).toBe(0);
  });

  it('checks locally while the coordinator fails', async () => {
    const s = await server();
    const sharing = fakeSharing();
    sharing.grant = 'throw';
    const { registry, monitor } = await setup(sharing);
    await registry.register({ service_name: 'users', base_url: s.url });
    const id = registry.instancesOf('users')[0]!.instance_id;
    await waitFor(() => monitor.healthOf('users', id).status === 'HEALTHY', 2_000, 'a local check');
    expect(s.hits).toBeGreaterThanOrEqual(1);
  });

  it('adopts the known results at start', async () => {
    const s = await server();
    const sharing = fakeSharing();
    sharing.grant = 'no';
    const { registry, monitor } = await setup(sharing, false);
    await registry.register({ service_name: 'users', base_url: s.url });
    sharing.known = [resultFor(registry)];
    monitor.start();
    const id = registry.instancesOf('users')[0]!.instance_id;
    await waitFor(() => monitor.healthOf('users', id).status === 'UNHEALTHY', 1_000, 'the snapshot');
  });

  it('adopts a result that arrived before the registration it belongs to', async () => {
    const s = await server();
    const sharing = fakeSharing();
    sharing.grant = 'no';
    const T = Date.parse('2024-05-01T10:00:00.000Z');
    const events = createEventHub<GatewayEvent>();
    // The registry's clock is fixed, so the registration's registered_at is known in advance.
    const registry = createRegistry({ store: createMemoryStore(), events, clock: { now: () => T } });
    await registry.start();
    const config = testConfig({ healthCheckIntervalMs: 60_000, healthCheckTimeoutMs: 100 });
    const monitor = createHealthMonitor({ config, registry, events, sharing });
    opened.push(registry, monitor);
    monitor.start();
    const early: SharedCheckResult = {
      service_name: 'users',
      instance_id: 'u-1',
      health_check_url: `${s.url}/health`,
      registered_at: new Date(T).toISOString(),
      ok: true,
      reason: 'health check passed',
      at: Date.now(),
      verdict: 'HEALTHY',
      passes: 1,
      fails: 0,
    };
    sharing.push(early);
    sharing.push({ ...early, instance_id: 'u-2', registered_at: '2000-01-01T00:00:00.000Z' });
    await registry.register({ service_name: 'users', base_url: s.url, instance_id: 'u-1' });
    await registry.register({ service_name: 'users', base_url: s.url, instance_id: 'u-2' });
    expect(monitor.healthOf('users', 'u-1').status).toBe('HEALTHY');
    expect(monitor.healthOf('users', 'u-2').status).toBe('UNKNOWN'); // another incarnation's result
    await waitFor(() => sharing.claims.length > 0, 1_000, 'the first check of u-2');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sharing.claims.map((c) => c.instance_id)).toEqual(['u-2']); // u-1 needed no check
  });
});

describe('applyShared (pure)', () => {
  const shared = {
    ok: false,
    reason: 'connection refused',
    at: 1_000,
    verdict: 'UNHEALTHY',
    passes: 0,
    fails: 2,
  } as const;

  it('adopts the verdict and counters of the checking gateway', () => {
    const { state, change } = applyShared(INITIAL_STATE, shared);
    expect(state).toMatchObject({
      status: 'UNHEALTHY',
      verdict: 'UNHEALTHY',
      fails: 2,
      consecutiveFailures: 2,
    });
    expect(state.lastCheckAt).toBe(1_000);
    expect(change).toEqual({ from: 'UNKNOWN', to: 'UNHEALTHY', reason: 'connection refused' });
  });

  it('keeps a local ejection unless the result passed', () => {
    const ejected = {
      ...INITIAL_STATE,
      status: 'UNHEALTHY',
      verdict: 'HEALTHY',
      ejectedUntil: 9_000,
    } as const;
    const pass = {
      ...shared,
      ok: true,
      reason: 'health check passed',
      verdict: 'HEALTHY',
      passes: 1,
      fails: 0,
    } as const;
    expect(applyShared(ejected, { ...pass, ok: false }).state.status).toBe('UNHEALTHY');
    const ended = applyShared(ejected, pass).state;
    expect(ended).toMatchObject({ status: 'HEALTHY', ejectedUntil: null, lastEjectionEnd: 1_000 });
  });
});

describe('parseSharedResult', () => {
  it.each(['', 'null', '[]', '{"service_name":"a"}', '{"x":1}'])('rejects %s', (text) => {
    expect(parseSharedResult(text)).toBeNull();
  });
});
