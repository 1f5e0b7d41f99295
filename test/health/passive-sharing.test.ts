/**
 * Passive changes shared between gateways (shared-checks.ts): announced once when an ejection
 * begins or ends (never per failure), and the others' announced as `peer_passive` events for
 * instances this gateway knows. A fake sharing stands in for Redis.
 */
import { describe, expect, it } from 'vitest';
import { createEventHub, type GatewayEvent } from '../../src/events.js';
import type { Entry } from '../../src/health/membership.js';
import { createSharedChecks } from '../../src/health/shared-checks.js';
import {
  type HealthSharing,
  type PassiveReport,
  type PeerPassiveReport,
  parsePassiveReport,
} from '../../src/health/sharing.js';
import {
  applyPassive,
  applyResult,
  expireEjection,
  INITIAL_STATE,
  type Transition,
} from '../../src/health/status.js';

const POLICY = { threshold: 2, baseMs: 1_000, maxMs: 10_000 };
const THRESHOLDS = { healthy: 1, unhealthy: 2 };

function entry(service = 'orders', id = 'o-1'): Entry {
  return {
    service,
    id,
    registration: { service_name: service, instance_id: id } as Entry['registration'],
    state: INITIAL_STATE,
    removed: false,
    check: null,
  };
}

function setup() {
  const published: PassiveReport[] = [];
  let deliver: ((r: PeerPassiveReport) => void) | null = null;
  const sharing: HealthSharing = {
    claim: () => true,
    publish: () => {},
    subscribe: () => () => {},
    snapshot: async () => [],
    publishPassive: (r) => published.push(r),
    subscribePassive(onReport) {
      deliver = onReport;
      return () => {
        deliver = null;
      };
    },
  };
  const known = entry();
  const events = createEventHub<GatewayEvent>();
  const seen: GatewayEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const shared = createSharedChecks({
    sharing,
    events,
    now: () => 5_000,
    claimTtlMs: () => 100,
    find: (service, id) => (service === known.service && id === known.id ? known : undefined),
    apply: () => {},
    entries: () => [known],
  });
  /** Applies a transition to the entry the way the monitor's commit() does. */
  const commit = (transition: Transition) => {
    const before = known.state;
    known.state = transition.state;
    shared.passiveChanged(known, before, transition);
  };
  return { shared, published, seen, known, commit, deliver: (r: PeerPassiveReport) => deliver?.(r) };
}

describe('passive changes shared as events', () => {
  it('publishes an ejection and its end once each, not each failure', () => {
    const { published, known, commit } = setup();
    commit(applyResult(known.state, { ok: true, reason: 'health check passed', at: 0 }, THRESHOLDS));
    for (let i = 0; i < 2; i++) commit(applyPassive(known.state, 'reset', 1_000, POLICY));
    // Ejected: more failures change nothing that is announced.
    for (let i = 0; i < 5; i++) commit(applyPassive(known.state, 'connect', 1_100, POLICY));
    commit(expireEjection(known.state, 10_000));
    expect(published).toEqual([
      {
        service_name: 'orders',
        instance_id: 'o-1',
        change: 'ejected',
        reason: 'passive: 2 consecutive failures',
        at: 5_000,
      },
      {
        service_name: 'orders',
        instance_id: 'o-1',
        change: 'ejection_ended',
        reason: 'passive ejection ended',
        at: 5_000,
      },
    ]);
  });

  it('announces an ejection that ends while active checks fail the instance, which shows no status change', () => {
    const { published, known, commit } = setup();
    commit(applyResult(known.state, { ok: true, reason: 'health check passed', at: 0 }, THRESHOLDS));
    for (let i = 0; i < 2; i++) commit(applyPassive(known.state, 'timeout', 1_000, POLICY));
    for (let i = 0; i < 2; i++) {
      commit(
        applyResult(known.state, { ok: false, reason: 'health check returned 500', at: 1_500 }, THRESHOLDS),
      );
    }
    const ended = expireEjection(known.state, 10_000);
    expect(ended.change).toBeNull(); // UNHEALTHY before and after
    commit(ended);
    expect(published.map((p) => [p.change, p.reason])).toEqual([
      ['ejected', 'passive: 2 consecutive failures'],
      ['ejection_ended', 'passive ejection ended'],
    ]);
  });

  it("turns another gateway's report into a peer_passive event, for known instances only", () => {
    const { shared, seen, deliver } = setup();
    shared.start();
    const report = {
      service_name: 'orders',
      instance_id: 'o-1',
      gateway_id: 'gw-a',
      change: 'ejected' as const,
      reason: 'passive: 3 consecutive failures',
      at: Date.parse('2025-01-01T00:00:00.000Z'),
    };
    deliver(report);
    deliver({ ...report, instance_id: 'unknown' });
    expect(seen).toEqual([
      {
        type: 'peer_passive',
        service_name: 'orders',
        instance_id: 'o-1',
        timestamp: '2025-01-01T00:00:00.000Z',
        gateway_id: 'gw-a',
        change: 'ejected',
        reason: 'passive: 3 consecutive failures',
      },
    ]);
    shared.stop();
    deliver(report);
    expect(seen).toHaveLength(1);
  });

  it('reads only well-formed reports', () => {
    const good = {
      service_name: 's',
      instance_id: 'i',
      gateway_id: 'g',
      change: 'ejected',
      reason: 'r',
      at: 1,
    };
    expect(parsePassiveReport(JSON.stringify(good))).toEqual(good);
    for (const bad of [
      'nope',
      'null',
      '[]',
      JSON.stringify({ ...good, change: 'maybe' }),
      JSON.stringify({ ...good, at: 'x' }),
    ]) {
      expect(parsePassiveReport(bad)).toBeNull();
    }
  });
});
