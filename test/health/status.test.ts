import { describe, expect, it } from 'vitest';
import { combineStatus, viewService } from '../../src/health/routable.js';
import {
  applyPassive,
  applyResult,
  type EjectionPolicy,
  ejectionMs,
  expireEjection,
  type HealthState,
  INITIAL_STATE,
  type Thresholds,
} from '../../src/health/status.js';
import type { InstanceStatus, OutcomeKind } from '../../src/health/types.js';
import type { InstanceRegistration } from '../../src/registry/types.js';

const PASS = 'health check passed';
const FAIL = 'health check returned 500';
const policy: EjectionPolicy = { threshold: 3, baseMs: 30_000, maxMs: 300_000 };

/** Runs active results ('+' pass, '-' fail) through applyResult; returns the statuses and reasons of changes. */
function runActive(results: string, t: Thresholds, from: HealthState = INITIAL_STATE) {
  let state = from;
  const statuses: InstanceStatus[] = [];
  const changes: string[] = [];
  let at = 1_000;
  for (const r of results) {
    at += 1_000;
    const step = applyResult(state, { ok: r === '+', reason: r === '+' ? PASS : FAIL, at }, t);
    state = step.state;
    statuses.push(state.status);
    if (step.change) changes.push(`${step.change.from}->${step.change.to}: ${step.change.reason}`);
  }
  return { state, statuses, changes };
}

describe('active results', () => {
  const H = 'HEALTHY';
  const U = 'UNHEALTHY';
  it.each<[string, Thresholds, string, InstanceStatus[]]>([
    ['the first pass sets HEALTHY at once, whatever the threshold', { healthy: 3, unhealthy: 3 }, '+', [H]],
    ['the first failure sets UNHEALTHY at once', { healthy: 3, unhealthy: 3 }, '-', [U]],
    ['HEALTHY needs unhealthy=2 failures in a row', { healthy: 1, unhealthy: 2 }, '+--', [H, H, U]],
    [
      'a pass between failures restarts the count',
      { healthy: 1, unhealthy: 2 },
      '+-+-+--',
      [H, H, H, H, H, H, U],
    ],
    ['UNHEALTHY needs healthy=3 passes in a row', { healthy: 3, unhealthy: 1 }, '-+++', [U, U, U, H]],
    ['a failure between passes restarts the count', { healthy: 2, unhealthy: 1 }, '-+-++', [U, U, U, U, H]],
    ['thresholds of 1 flip on every result', { healthy: 1, unhealthy: 1 }, '+-+-', [H, U, H, U]],
  ])('%s', (_name, t, results, expected) => {
    expect(runActive(results, t).statuses).toEqual(expected);
  });

  it('reports each change with the result reason', () => {
    const { changes } = runActive('+--++', { healthy: 2, unhealthy: 2 });
    expect(changes).toEqual([
      `UNKNOWN->HEALTHY: ${PASS}`,
      `HEALTHY->UNHEALTHY: ${FAIL}`,
      `UNHEALTHY->HEALTHY: ${PASS}`,
    ]);
  });

  it('keeps last_check_at, last_error and consecutive failures', () => {
    const t = { healthy: 1, unhealthy: 5 };
    const failed = runActive('+--', t).state;
    expect(failed).toMatchObject({ lastCheckAt: 4_000, lastError: FAIL, consecutiveFailures: 2 });
    const passed = runActive('+', t, failed).state;
    expect(passed).toMatchObject({ lastCheckAt: 2_000, lastError: null, consecutiveFailures: 0 });
  });
});

/** Applies passive outcomes at 1 ms steps from `at`. */
function runPassive(kinds: OutcomeKind[], from: HealthState, at = 10_000) {
  let state = from;
  const reasons: string[] = [];
  for (const kind of kinds) {
    const step = applyPassive(state, kind, at++, policy);
    state = step.state;
    if (step.change) reasons.push(`${step.change.to}: ${step.change.reason}`);
  }
  return { state, reasons };
}

const healthy = runActive('+', { healthy: 1, unhealthy: 1 }).state;

describe('passive outcomes', () => {
  it.each<[string, OutcomeKind[], InstanceStatus, number]>([
    ['three connect failures eject', ['connect', 'connect', 'connect'], 'UNHEALTHY', 1],
    ['timeouts and resets count too', ['timeout', 'reset', 'connect'], 'UNHEALTHY', 1],
    ['an ok resets the count', ['connect', 'connect', 'ok', 'connect', 'connect'], 'HEALTHY', 0],
    ['two failures are not enough', ['reset', 'reset'], 'HEALTHY', 0],
  ])('%s', (_name, kinds, status, ejections) => {
    const { state } = runPassive(kinds, healthy);
    expect(state.status).toBe(status);
    expect(state.ejections).toBe(ejections);
  });

  it('ejects with the reason "passive: 3 consecutive failures" for the base time', () => {
    const { state, reasons } = runPassive(['connect', 'connect', 'connect'], healthy);
    expect(reasons).toEqual(['UNHEALTHY: passive: 3 consecutive failures']);
    expect(state.ejectedUntil).toBe(10_002 + 30_000);
    expect(state.lastError).toBe('passive: 3 consecutive failures');
    expect(state.consecutiveFailures).toBe(3);
  });

  it('ejects an instance never checked yet (UNKNOWN)', () => {
    expect(runPassive(['timeout', 'timeout', 'timeout'], INITIAL_STATE).state.status).toBe('UNHEALTHY');
  });

  it('does not eject an instance active checks already failed', () => {
    const failed = runActive('-', { healthy: 1, unhealthy: 1 }).state;
    const { state, reasons } = runPassive(['connect', 'connect', 'connect'], failed);
    expect(reasons).toEqual([]);
    expect(state.ejectedUntil).toBeNull();
  });

  it('ok on a clean state changes nothing', () => {
    expect(applyPassive(healthy, 'ok', 1, policy).state).toEqual(healthy);
  });
});

describe('ejection back-off', () => {
  it.each([
    [1, 30_000],
    [2, 60_000],
    [5, 150_000],
    [10, 300_000],
    [50, 300_000],
  ])('ejection number %i lasts %i ms', (n, ms) => {
    expect(ejectionMs(n, policy)).toBe(ms);
  });

  const eject = (s: HealthState, at: number) => runPassive(['connect', 'connect', 'connect'], s, at).state;

  it('grows with repeated ejections and recovers by itself each time', () => {
    let state = healthy;
    const lengths: number[] = [];
    let at = 10_000;
    for (let i = 0; i < 4; i++) {
      state = eject(state, at);
      lengths.push(state.ejectedUntil! - (at + 2));
      at = state.ejectedUntil!;
      expect(expireEjection(state, at - 1).change).toBeNull();
      const recovered = expireEjection(state, at);
      expect(recovered.change).toEqual({
        from: 'UNHEALTHY',
        to: 'HEALTHY',
        reason: 'passive ejection ended',
      });
      state = recovered.state;
      at += 1_000;
    }
    expect(lengths).toEqual([30_000, 60_000, 90_000, 120_000]);
  });

  it('returns to UNKNOWN (routable) when no active check ever ran', () => {
    const ejected = eject(INITIAL_STATE, 0);
    expect(expireEjection(ejected, ejected.ejectedUntil!).state.status).toBe('UNKNOWN');
  });

  it('stays UNHEALTHY after the ejection when active checks failed meanwhile', () => {
    const ejected = eject(healthy, 10_000);
    const failed = runActive('--', { healthy: 1, unhealthy: 2 }, ejected).state;
    expect(failed.status).toBe('UNHEALTHY');
    const end = expireEjection(failed, failed.ejectedUntil!);
    expect(end.change).toBeNull();
    expect(end.state).toMatchObject({ status: 'UNHEALTHY', ejectedUntil: null });
  });

  it('ends at once when an active check passes', () => {
    const ejected = eject(healthy, 10_000);
    const step = applyResult(ejected, { ok: true, reason: PASS, at: 11_000 }, { healthy: 3, unhealthy: 3 });
    expect(step.change).toEqual({ from: 'UNHEALTHY', to: 'HEALTHY', reason: PASS });
    expect(step.state).toMatchObject({ ejectedUntil: null, lastEjectionEnd: 11_000, ejections: 1 });
    // The timer that fires later changes nothing.
    expect(expireEjection(step.state, 40_002).change).toBeNull();
  });

  it('forgives earlier ejections after a good spell as long as the longest back-off', () => {
    let state = eject(healthy, 0);
    state = expireEjection(state, state.ejectedUntil!).state;
    const soon = eject(state, state.lastEjectionEnd! + 1_000);
    expect(soon.ejections).toBe(2);
    const late = eject(state, state.lastEjectionEnd! + policy.maxMs);
    expect(late.ejections).toBe(1);
  });
});

describe('routing view (healthy_then_unknown)', () => {
  const reg = (id: string) => ({ instance_id: id }) as InstanceRegistration;
  const list = [reg('a'), reg('b'), reg('c')];
  const view = (statuses: Record<string, InstanceStatus>) =>
    viewService(list, (r) => statuses[r.instance_id] ?? 'UNKNOWN');

  it.each<[string, Record<string, InstanceStatus>, string[], InstanceStatus]>([
    ['HEALTHY ones when any', { a: 'UNKNOWN', b: 'HEALTHY', c: 'UNHEALTHY' }, ['b'], 'HEALTHY'],
    ['else UNKNOWN ones', { a: 'UNKNOWN', b: 'UNHEALTHY', c: 'UNKNOWN' }, ['a', 'c'], 'UNKNOWN'],
    ['never UNHEALTHY ones', { a: 'UNHEALTHY', b: 'UNHEALTHY', c: 'UNHEALTHY' }, [], 'UNHEALTHY'],
    ['keeps registry order', { a: 'HEALTHY', b: 'UNKNOWN', c: 'HEALTHY' }, ['a', 'c'], 'HEALTHY'],
  ])('%s', (_name, statuses, ids, status) => {
    const v = view(statuses);
    expect(v.routable.map((r) => r.instance_id)).toEqual(ids);
    expect(v.status).toBe(status);
  });

  it('returns the registry array itself when every instance qualifies', () => {
    expect(view({ a: 'HEALTHY', b: 'HEALTHY', c: 'HEALTHY' }).routable).toBe(list);
  });

  it('a service without instances is UNKNOWN', () => {
    expect(combineStatus(0, 0, 0)).toBe('UNKNOWN');
    expect(viewService([], () => 'HEALTHY')).toMatchObject({ routable: [], status: 'UNKNOWN' });
  });
});
