/**
 * Health shared between gateways (several gateways on one Redis, or the workers of one host): each
 * instance is checked about once per interval for the whole group, not once per gateway, and every
 * gateway adopts the results, so they agree on status. The monitor asks `claim` before each check
 * and `publish`es what it found; results from the others arrive through `subscribe`.
 */
import type { PassiveChange } from '../events.js';
import type { InstanceStatus } from './types.js';

/** One incarnation of an instance at one health-check URL: results for another one do not apply. */
export interface CheckTarget {
  readonly service_name: string;
  readonly instance_id: string;
  readonly health_check_url: string;
  readonly registered_at: string;
}

/** A check result with the active state the checking gateway derived from it. */
export interface SharedCheckResult extends CheckTarget {
  readonly ok: boolean;
  readonly reason: string;
  /** When the check finished (epoch ms). */
  readonly at: number;
  readonly verdict: InstanceStatus;
  readonly passes: number;
  readonly fails: number;
}

export interface HealthSharing {
  /**
   * May this gateway run the check of `target` that is due now? False: another one runs it (or
   * ran it within `ttlMs`) and shares the result. A rejection makes the monitor check locally.
   */
  claim(target: CheckTarget, ttlMs: number): boolean | Promise<boolean>;
  /** Shares the result of a check this gateway ran (best effort). */
  publish(result: SharedCheckResult): void;
  /**
   * Results of checks the others ran. `onResync` runs when some may have been missed (a reconnect);
   * the monitor then asks `snapshot` again. Returns the unsubscribe function.
   */
  subscribe(onResult: (result: SharedCheckResult) => void, onResync: () => void): () => void;
  /** The latest known results for these instances (adopted at start and after a resync). */
  snapshot(targets: readonly CheckTarget[]): Promise<SharedCheckResult[]>;
  /** Tells the others of a passive change on this gateway (best effort; optional). */
  publishPassive?(report: PassiveReport): void;
  /** The others' passive changes (never this gateway's own). Returns the unsubscribe function. */
  subscribePassive?(onReport: (report: PeerPassiveReport) => void): () => void;
}

/**
 * A passive ejection that began or ended on one gateway. Only shared as information: each gateway
 * ejects what its own requests saw fail (passive health stays per gateway).
 */
export interface PassiveReport {
  readonly service_name: string;
  readonly instance_id: string;
  readonly change: PassiveChange;
  readonly reason: string;
  /** When it happened (epoch ms). */
  readonly at: number;
}

/** A PassiveReport from another gateway. */
export interface PeerPassiveReport extends PassiveReport {
  readonly gateway_id: string;
}

/** Reads a PeerPassiveReport from untrusted JSON (another gateway's message), or null. */
export function parsePassiveReport(text: string): PeerPassiveReport | null {
  const r = parseObject<PeerPassiveReport>(text);
  if (r === null) return null;
  const strings = [r.service_name, r.instance_id, r.gateway_id, r.reason];
  if (strings.some((s) => typeof s !== 'string')) return null;
  if (r.change !== 'ejected' && r.change !== 'ejection_ended') return null;
  if (typeof r.at !== 'number' || !Number.isFinite(r.at)) return null;
  return r as PeerPassiveReport;
}

/** Reads a SharedCheckResult from untrusted JSON (another gateway's message), or null. */
export function parseSharedResult(text: string): SharedCheckResult | null {
  const r = parseObject<SharedCheckResult>(text);
  if (r === null) return null;
  const strings = [r.service_name, r.instance_id, r.health_check_url, r.registered_at, r.reason];
  if (strings.some((s) => typeof s !== 'string')) return null;
  if (typeof r.ok !== 'boolean' || typeof r.at !== 'number') return null;
  if (r.verdict !== 'HEALTHY' && r.verdict !== 'UNHEALTHY' && r.verdict !== 'UNKNOWN') return null;
  if (typeof r.passes !== 'number' || typeof r.fails !== 'number') return null;
  return r as SharedCheckResult;
}

/** A JSON object whose fields are still to be checked, or null. */
function parseObject<T>(text: string): Partial<T> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Partial<T>) : null;
  } catch {
    return null;
  }
}
