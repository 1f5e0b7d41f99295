/**
 * Pure status decisions of one instance: active results with thresholds both ways, passive
 * outcomes with ejection, and the ejection's timed end. No I/O, no clock: time comes in as `at`
 * (ms since the epoch), so tests assert exact sequences.
 *
 * Two verdicts are kept apart on purpose: `verdict` is what active checks concluded, and
 * `ejectedUntil` is a passive ejection laid over it. The visible status is UNHEALTHY while
 * ejected, else the active verdict, so an ejection that times out falls back to what active
 * checks last said instead of needing a fresh passing check.
 */
import type { InstanceStatus, OutcomeKind } from './types.js';

export interface HealthState {
  /** The visible status: UNHEALTHY while ejected, else `verdict`. */
  readonly status: InstanceStatus;
  /** What active checks concluded; UNKNOWN until the first result. */
  readonly verdict: InstanceStatus;
  /** Consecutive passing / failing active checks (one of them is always 0). */
  readonly passes: number;
  readonly fails: number;
  /** Consecutive failures, active or passive, since the last success of either kind. */
  readonly consecutiveFailures: number;
  /** Consecutive passive failures (connect, timeout, reset) since the last passive `ok`. */
  readonly passiveFailures: number;
  /** Ejections so far (the back-off multiplier); decays after a long good spell. */
  readonly ejections: number;
  /** End of the current passive ejection (ms), null when not ejected. */
  readonly ejectedUntil: number | null;
  /** When the last ejection ended (ms), for the multiplier's decay. */
  readonly lastEjectionEnd: number | null;
  /** Time of the last active check (ms), null before the first. */
  readonly lastCheckAt: number | null;
  readonly lastError: string | null;
}

export const INITIAL_STATE: HealthState = Object.freeze({
  status: 'UNKNOWN',
  verdict: 'UNKNOWN',
  passes: 0,
  fails: 0,
  consecutiveFailures: 0,
  passiveFailures: 0,
  ejections: 0,
  ejectedUntil: null,
  lastEjectionEnd: null,
  lastCheckAt: null,
  lastError: null,
});

export interface Thresholds {
  /** Consecutive passes that flip UNHEALTHY → HEALTHY. */
  readonly healthy: number;
  /** Consecutive failures that flip HEALTHY → UNHEALTHY. */
  readonly unhealthy: number;
}

export interface EjectionPolicy {
  /** Consecutive passive failures that eject. */
  readonly threshold: number;
  /** Ejection length = baseMs × ejections so far, capped at maxMs (Envoy outlier detection). */
  readonly baseMs: number;
  readonly maxMs: number;
}

export interface CheckResult {
  readonly ok: boolean;
  /** "health check passed", "health check returned 500", "connection refused", … */
  readonly reason: string;
  readonly at: number;
}

export interface StatusChange {
  readonly from: InstanceStatus;
  readonly to: InstanceStatus;
  readonly reason: string;
}

export interface Transition {
  readonly state: HealthState;
  /** Set only when the visible status changed. */
  readonly change: StatusChange | null;
}

function transition(prev: HealthState, next: HealthState, reason: string): Transition {
  const change = prev.status === next.status ? null : { from: prev.status, to: next.status, reason };
  return { state: next, change };
}

/** The next active verdict: the first result decides alone, later ones need their threshold. */
function nextVerdict(state: HealthState, ok: boolean, passes: number, fails: number, t: Thresholds) {
  if (state.verdict === 'UNKNOWN') return ok ? 'HEALTHY' : 'UNHEALTHY';
  if (ok && state.verdict === 'UNHEALTHY' && passes >= t.healthy) return 'HEALTHY';
  if (!ok && state.verdict === 'HEALTHY' && fails >= t.unhealthy) return 'UNHEALTHY';
  return state.verdict;
}

/** One active check result. A pass also ends a passive ejection at once. */
export function applyResult(state: HealthState, result: CheckResult, t: Thresholds): Transition {
  const passes = result.ok ? state.passes + 1 : 0;
  const fails = result.ok ? 0 : state.fails + 1;
  const verdict = nextVerdict(state, result.ok, passes, fails, t);
  const endsEjection = result.ok && state.ejectedUntil !== null;
  const ejectedUntil = endsEjection ? null : state.ejectedUntil;
  const next: HealthState = {
    ...state,
    status: ejectedUntil === null ? verdict : 'UNHEALTHY',
    verdict,
    passes,
    fails,
    consecutiveFailures: result.ok ? 0 : state.consecutiveFailures + 1,
    ejectedUntil,
    lastEjectionEnd: endsEjection ? result.at : state.lastEjectionEnd,
    lastCheckAt: result.at,
    lastError: result.ok ? null : result.reason,
  };
  return transition(state, next, result.reason);
}

/** Length of the ejection numbered `ejections` (1 for the first). */
export function ejectionMs(ejections: number, policy: EjectionPolicy): number {
  return Math.min(policy.baseMs * ejections, policy.maxMs);
}

/** Is this proxied-request outcome a passive failure? */
export function isPassiveFailure(kind: OutcomeKind): boolean {
  return kind !== 'ok';
}

/**
 * One passive outcome. Callers on the hot path skip the call for `ok` when both failure
 * counters are already 0 (nothing would change), so the common case allocates nothing.
 */
export function applyPassive(
  state: HealthState,
  kind: OutcomeKind,
  at: number,
  policy: EjectionPolicy,
): Transition {
  if (!isPassiveFailure(kind)) {
    return { state: { ...state, passiveFailures: 0, consecutiveFailures: 0 }, change: null };
  }
  const passiveFailures = state.passiveFailures + 1;
  const counted = { ...state, passiveFailures, consecutiveFailures: state.consecutiveFailures + 1 };
  // Already out of rotation (ejected, or failed by active checks): ejecting adds nothing.
  if (passiveFailures < policy.threshold || state.status === 'UNHEALTHY') {
    return { state: counted, change: null };
  }
  // A long good spell (the longest back-off without an ejection) forgives earlier ejections.
  const forgiven = state.lastEjectionEnd !== null && at - state.lastEjectionEnd >= policy.maxMs;
  const ejections = (forgiven ? 0 : state.ejections) + 1;
  const next: HealthState = {
    ...counted,
    status: 'UNHEALTHY',
    passiveFailures: 0,
    ejections,
    ejectedUntil: at + ejectionMs(ejections, policy),
    lastError: `passive: ${passiveFailures} consecutive failures`,
  };
  return transition(state, next, `passive: ${passiveFailures} consecutive failures`);
}

/** The ejection timer fired: back to the active verdict, routable again if that allows. */
export function expireEjection(state: HealthState, at: number): Transition {
  if (state.ejectedUntil === null || at < state.ejectedUntil) return { state, change: null };
  const next: HealthState = { ...state, status: state.verdict, ejectedUntil: null, lastEjectionEnd: at };
  return transition(state, next, 'passive ejection ended');
}

/** The active part of a result another gateway checked (see sharing.ts). */
export interface SharedVerdict extends CheckResult {
  readonly verdict: InstanceStatus;
  readonly passes: number;
  readonly fails: number;
}

/**
 * A result another gateway checked: its verdict and counters are adopted as they are (it computed
 * them from the same shared history), so every gateway agrees whoever checks next. Passive state
 * stays local; a pass ends a local ejection, as a local pass would.
 */
export function applyShared(state: HealthState, shared: SharedVerdict): Transition {
  const endsEjection = shared.ok && state.ejectedUntil !== null;
  const ejectedUntil = endsEjection ? null : state.ejectedUntil;
  const next: HealthState = {
    ...state,
    status: ejectedUntil === null ? shared.verdict : 'UNHEALTHY',
    verdict: shared.verdict,
    passes: shared.passes,
    fails: shared.fails,
    consecutiveFailures: shared.ok ? 0 : Math.max(shared.fails, state.consecutiveFailures + 1),
    ejectedUntil,
    lastEjectionEnd: endsEjection ? shared.at : state.lastEjectionEnd,
    lastCheckAt: shared.at,
    lastError: shared.ok ? null : shared.reason,
  };
  return transition(state, next, shared.reason);
}
