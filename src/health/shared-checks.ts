/**
 * The monitor's side of health sharing (sharing.ts): claims before checks, publishes results, and
 * routes the others' results to the monitor's entries. Passive ejections are announced to the
 * others as they begin and end, and theirs become `peer_passive` events here (information only).
 * Without a HealthSharing every call is a cheap no-op and every check runs locally, exactly as on
 * a single gateway.
 */
import type { Logger } from 'pino';
import type { EventHub, GatewayEvent } from '../events.js';
import type { Entry } from './membership.js';
import type { ProbeResult } from './probe.js';
import type { CheckTarget, HealthSharing, PeerPassiveReport, SharedCheckResult } from './sharing.js';
import type { HealthState, Transition } from './status.js';

export interface SharedChecksOptions {
  readonly sharing?: HealthSharing;
  readonly logger?: Logger;
  /** How long one claim holds off the other gateways (a little under the instance's interval). */
  readonly claimTtlMs: (entry: Entry) => number;
  /** The tracked entry of an instance. */
  readonly find: (service: string, id: string) => Entry | undefined;
  /** Applies a result to a tracked entry whose incarnation matches. */
  readonly apply: (entry: Entry, result: SharedCheckResult) => void;
  readonly entries: () => Iterable<Entry>;
  /** Where the others' passive changes are announced. */
  readonly events?: EventHub<GatewayEvent>;
  readonly now?: () => number;
}

export interface SharedChecks {
  /** May this gateway check `entry` now? */
  mayCheck(entry: Entry): Promise<boolean>;
  /** Shares a local result and the state it led to. */
  published(entry: Entry, result: ProbeResult, at: number): void;
  /** A result that arrived before the registry change that adds its instance (taken once). */
  takeEarly(entry: Entry): SharedCheckResult | undefined;
  /** Tells the others when `transition` began or ended a passive ejection of `entry`. */
  passiveChanged(entry: Entry, before: HealthState, transition: Transition): void;
  start(): void;
  stop(): void;
}

/** Results kept for instances not seen yet; the oldest go first beyond this. */
const MAX_EARLY = 1_000;

const targetOf = (entry: Entry): CheckTarget => ({
  service_name: entry.service,
  instance_id: entry.id,
  health_check_url: entry.registration.health_check_url,
  registered_at: entry.registration.registered_at,
});

const matches = (entry: Entry, r: SharedCheckResult): boolean =>
  entry.registration.health_check_url === r.health_check_url &&
  entry.registration.registered_at === r.registered_at;

export function createSharedChecks(options: SharedChecksOptions): SharedChecks {
  const { sharing, logger } = options;
  const early = new Map<string, SharedCheckResult>();
  let unsubscribe: (() => void) | null = null;
  let unsubscribePassive: (() => void) | null = null;
  const now = options.now ?? Date.now;

  function receive(result: SharedCheckResult): void {
    const entry = options.find(result.service_name, result.instance_id);
    if (entry && !entry.removed) {
      if (matches(entry, result)) options.apply(entry, result);
      return;
    }
    early.delete(result.service_name + '\u0000' + result.instance_id);
    early.set(result.service_name + '\u0000' + result.instance_id, result);
    if (early.size > MAX_EARLY) early.delete(early.keys().next().value!);
  }

  /** Another gateway's passive change, announced for an instance this gateway knows. */
  function peerPassive(report: PeerPassiveReport): void {
    const entry = options.find(report.service_name, report.instance_id);
    if (!entry || entry.removed) return;
    options.events?.emit({
      type: 'peer_passive',
      service_name: report.service_name,
      instance_id: report.instance_id,
      timestamp: new Date(report.at).toISOString(),
      gateway_id: report.gateway_id,
      change: report.change,
      reason: report.reason,
    });
  }

  async function adoptSnapshot(): Promise<void> {
    const targets = [...options.entries()].filter((e) => !e.removed).map(targetOf);
    if (!sharing || targets.length === 0) return;
    try {
      for (const result of await sharing.snapshot(targets)) receive(result);
    } catch (err) {
      logger?.warn({ err }, 'could not read the shared health state; checking locally until it returns');
    }
  }

  return {
    async mayCheck(entry) {
      if (!sharing) return true;
      try {
        return await sharing.claim(targetOf(entry), options.claimTtlMs(entry));
      } catch {
        return true; // the coordinator is unreachable: each gateway checks for itself meanwhile
      }
    },
    published(entry, result, at) {
      if (!sharing) return;
      const { verdict, passes, fails } = entry.state;
      sharing.publish({
        ...targetOf(entry),
        ok: result.ok,
        reason: result.reason,
        at,
        verdict,
        passes,
        fails,
      });
    },
    takeEarly(entry) {
      const key = entry.service + '\u0000' + entry.id;
      const result = early.get(key);
      if (!result) return undefined;
      early.delete(key);
      return matches(entry, result) ? result : undefined;
    },
    passiveChanged(entry, before, transition) {
      const ejected = transition.state.ejectedUntil !== null;
      if (!sharing?.publishPassive || ejected === (before.ejectedUntil !== null)) return;
      sharing.publishPassive({
        service_name: entry.service,
        instance_id: entry.id,
        change: ejected ? 'ejected' : 'ejection_ended',
        // An ejection can end without a visible change (active checks failed it meanwhile).
        reason: transition.change?.reason ?? 'passive ejection ended',
        at: now(),
      });
    },
    start() {
      if (!sharing || unsubscribe) return;
      unsubscribe = sharing.subscribe(receive, () => void adoptSnapshot());
      unsubscribePassive = sharing.subscribePassive?.(peerPassive) ?? null;
      void adoptSnapshot();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      unsubscribePassive?.();
      unsubscribePassive = null;
      early.clear();
    },
  };
}
