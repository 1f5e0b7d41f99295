/**
 * The health monitor: the one owner of instance status. It follows the registry (membership.ts),
 * runs active checks on one scheduler (scheduler.ts, probe.ts), takes passive outcomes from the
 * proxy, and announces every status change. Decisions live in status.ts and routable.ts; this
 * file only wires state, time and I/O together. `createHealthMonitor` is one long factory on
 * purpose: its inner functions share the monitor's private state through the closure.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';
import type { EventHub, GatewayEvent } from '../events.js';
import type { Clock, Registry } from '../registry/types.js';
import { systemClock } from '../registry/types.js';
import { createMembership, type Entry } from './membership.js';
import { ABORTED, createProber, type ProbeResult, type Prober, type RunningProbe } from './probe.js';
import { announceChange, countStatuses, describeState } from './report.js';
import { NO_INSTANCES } from './routable.js';
import { createScheduler } from './scheduler.js';
import { createSharedChecks } from './shared-checks.js';
import type { HealthSharing, SharedCheckResult } from './sharing.js';
import {
  applyPassive,
  applyResult,
  applyShared,
  type EjectionPolicy,
  expireEjection,
  type Transition,
} from './status.js';
import type { HealthMonitor, HealthSummary, InstanceStatus } from './types.js';

export interface HealthMonitorDeps {
  readonly config: GatewayConfig;
  readonly registry: Registry;
  readonly events: EventHub<GatewayEvent>;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** [0, 1) source for jitter and the start-up spread. */
  readonly random?: () => number;
  /** First passive ejection length; later ones grow by this much each (default 30 s). */
  readonly ejectionBaseMs?: number;
  /** Longest passive ejection (default 300 s). */
  readonly ejectionMaxMs?: number;
  /** Checks shared with other gateways (Redis, cluster workers); without it every check is local. */
  readonly sharing?: HealthSharing;
  /** Told of each active check this gateway ran itself (metrics: gateway_health_checks_total). */
  readonly onCheck?: (service: string, ok: boolean) => void;
}

/** ±10 % on every interval, so instances checked together drift apart. */
const JITTER = 0.1;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The check of one entry, abortable both while its claim is asked (shared checks) and once its
 * probe runs; an aborted check's result is never applied (see `checked`).
 */
class CheckSlot {
  private aborted = false;
  private probe: RunningProbe | null = null;

  run(prober: Prober, url: string, done: (result: ProbeResult) => void): void {
    if (this.aborted) queueMicrotask(() => done(ABORTED));
    else this.probe = prober.start(url, done);
  }

  abort(): void {
    this.aborted = true;
    this.probe?.abort();
  }
}

export function createHealthMonitor(deps: HealthMonitorDeps): HealthMonitor {
  const { config, registry, events, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const thresholds = { healthy: config.healthyThreshold, unhealthy: config.unhealthyThreshold };
  const ejection: EjectionPolicy = {
    threshold: config.passiveFailureThreshold,
    baseMs: deps.ejectionBaseMs ?? 30_000,
    maxMs: deps.ejectionMaxMs ?? 300_000,
  };
  const prober = createProber({ timeoutMs: config.healthCheckTimeoutMs });
  const scheduler = createScheduler<Entry>({
    concurrency: config.healthCheckConcurrency,
    clock,
    runCheck,
    random,
    runTimer: (entry) => {
      if (!entry.removed) commit(entry, expireEjection(entry.state, clock.now()));
    },
    onError: (err) => logger?.error({ err }, 'health check job failed'),
  });
  let running = false;
  let closed = false;
  let unsubscribe: (() => void) | null = null;
  // Window over which newly seen instances get their first check: 0 (at once) except while
  // start() adopts a large registry, whose first checks are spread over one interval.
  let firstCheckWindow = 0;

  const members = createMembership(registry, {
    added: (entry) => {
      // Another gateway may have checked it before this one heard of the instance.
      const known = shared.takeEarly(entry);
      if (known) adoptShared(entry, known);
      else scheduleFirst(entry, clock.now());
    },
    // A check in flight against the old URL is aborted; its completion re-checks at once.
    urlChanged: (entry) => (entry.check ? entry.check.abort() : scheduleCheck(entry, clock.now())),
    removed: (entry) => {
      entry.check?.abort();
      scheduler.cancel(entry);
    },
  });

  const shared = createSharedChecks({
    ...(deps.sharing ? { sharing: deps.sharing } : {}),
    ...(logger ? { logger } : {}),
    // Under the shortest jittered interval, so the gateway that checked last may check again.
    claimTtlMs: (entry) => baseInterval(entry.state.status) * (1 - JITTER),
    find: (service, id) => members.find(service, id),
    apply: (entry, result) => adoptShared(entry, result),
    entries: () => members.entries(),
    events,
    now: () => clock.now(),
  });

  function baseInterval(status: InstanceStatus): number {
    return status === 'UNHEALTHY' ? config.healthCheckUnhealthyIntervalMs : config.healthCheckIntervalMs;
  }

  function intervalFor(status: InstanceStatus): number {
    return baseInterval(status) * (1 + JITTER * (2 * random() - 1));
  }

  /**
   * The next check, an interval ±10 % after `since`, in a slot the scheduler keeps evenly loaded.
   * After a check, `since` is when it was due rather than when it ended, so a check held back (a
   * busy loop, instances that hung until their timeout) keeps its place in the interval instead of
   * bunching with the others held back with it. One held back most of an interval, and an
   * instance's first check (made at once, so as bunched as its registration was), place the next
   * one anywhere in the coming interval: a burst then spreads over a whole interval at once,
   * instead of coming back as a burst every interval.
   */
  function scheduleNext(entry: Entry, now: number, since = now, first = false): void {
    if (!running || entry.removed) return;
    const interval = baseInterval(entry.state.status);
    const anew = first || since + interval * (1 - JITTER) < now;
    const from = anew ? now + interval * JITTER : since + interval * (1 - JITTER);
    scheduler.scheduleCheckWithin(entry, from, (anew ? now : since) + interval * (1 + JITTER));
  }

  function* allStates() {
    for (const name of registry.serviceNames()) {
      for (const entry of members.current(name)?.entries.values() ?? []) yield entry.state;
    }
  }

  function scheduleCheck(entry: Entry, at: number): void {
    if (running && !entry.removed) scheduler.scheduleCheck(entry, at);
  }

  /**
   * A first check: at once (at the next slot boundary, so the instances of a burst of registrations
   * are checked together, on one timer wake-up), or spread over `firstCheckWindow` while start()
   * adopts a large registry.
   */
  function scheduleFirst(entry: Entry, now: number): void {
    if (running && !entry.removed) scheduler.scheduleCheckWithin(entry, now, now + firstCheckWindow);
  }

  /**
   * One due check; calls `done` when it is over (freeing its concurrency slot). The hot path: with
   * no sharing, one probe and its callback, no promise or timer of its own.
   */
  function runCheck(entry: Entry, done: () => void): undefined {
    if (entry.removed || entry.check || !running) {
      done();
      return;
    }
    const url = entry.registration.health_check_url;
    const check = new CheckSlot();
    entry.check = check;
    // null: another gateway holds this round's check and will share its result.
    const finish = (result: ProbeResult | null): void => {
      entry.check = null;
      try {
        checked(entry, url, result);
      } catch (err) {
        logger?.error({ err }, 'health check job failed');
      }
      done();
    };
    if (!deps.sharing) check.run(prober, url, finish);
    else void shared.mayCheck(entry).then((mine) => (mine ? check.run(prober, url, finish) : finish(null)));
  }

  function checked(entry: Entry, url: string, result: ProbeResult | null): void {
    // Deregistered or closed meanwhile: the result must not resurrect anything.
    if (entry.removed || !running) return;
    if (entry.registration.health_check_url !== url) {
      scheduleCheck(entry, clock.now());
      return;
    }
    const now = clock.now();
    const first = entry.state.lastCheckAt === null;
    // When this check was due (not later than now: it may have been moved on meanwhile).
    const due = Math.min(scheduler.lastCheckDueAt(entry) ?? now, now);
    if (result !== null) {
      deps.onCheck?.(entry.registration.service_name, result.ok);
      commit(entry, applyResult(entry.state, { ok: result.ok, reason: result.reason, at: now }, thresholds));
      shared.published(entry, result, now);
    }
    scheduleNext(entry, now, due, first);
  }

  /** A result another gateway checked; older than what this one knows (or its own echo) is ignored. */
  function adoptShared(entry: Entry, result: SharedCheckResult): void {
    if (!running || entry.removed) return;
    const last = entry.state.lastCheckAt;
    if (last !== null && result.at <= last) return;
    commit(entry, applyShared(entry.state, result));
    // Just checked by someone: this gateway's next attempt moves a full interval on.
    if (!entry.check) scheduleNext(entry, clock.now());
  }

  function commit(entry: Entry, transition: Transition): void {
    const before = entry.state;
    entry.state = transition.state;
    shared.passiveChanged(entry, before, transition);
    if (!transition.change) return;
    members.invalidate(entry);
    announceChange(events, logger, entry, transition.change, iso(clock.now()));
  }

  /** An ejection ends by itself at its time, and unhealthy instances may be checked sooner. */
  function onEjected(entry: Entry, until: number): void {
    scheduler.scheduleTimer(entry, until);
    const due = scheduler.checkDueAt(entry);
    const sooner = clock.now() + intervalFor('UNHEALTHY');
    if (due !== undefined && sooner < due) scheduleCheck(entry, sooner);
  }

  function onEvent(event: GatewayEvent): void {
    if (event.type === 'registered' || event.type === 'deregistered' || event.type === 'expired') {
      members.syncInstance(event.service_name, event.instance_id);
    }
  }

  function adoptRegistry(): void {
    // Many instances: spread first checks over one interval; a few (no more than one round
    // of the concurrency bound) are all checked at once.
    const many = registry.size.instances > config.healthCheckConcurrency;
    firstCheckWindow = many ? config.healthCheckIntervalMs : 0;
    try {
      for (const name of registry.serviceNames()) members.sync(name);
      // Instances seen before start() (through routable()) have no check pending yet.
      const now = clock.now();
      for (const entry of members.entries()) {
        if (scheduler.checkDueAt(entry) === undefined) scheduleFirst(entry, now);
      }
    } finally {
      firstCheckWindow = 0;
    }
  }

  return {
    policy: 'healthy_then_unknown',
    get running() {
      return running;
    },
    get intervalMs() {
      return config.healthCheckIntervalMs;
    },

    healthOf(serviceName, instanceId) {
      return describeState(members.current(serviceName)?.entries.get(instanceId)?.state);
    },

    routable(serviceName) {
      const svc = members.current(serviceName);
      return svc ? members.view(svc).routable : NO_INSTANCES;
    },

    serviceStatus(serviceName) {
      const svc = members.current(serviceName);
      return svc ? members.view(svc).status : 'UNKNOWN';
    },

    record(serviceName, instanceId, outcome) {
      // Hot path: two map lookups, and nothing else when an `ok` changes nothing.
      const entry = members.find(serviceName, instanceId);
      if (!entry) return;
      const before = entry.state;
      if (outcome.kind === 'ok' && before.passiveFailures === 0 && before.consecutiveFailures === 0) return;
      commit(entry, applyPassive(before, outcome.kind, clock.now(), ejection));
      const until = entry.state.ejectedUntil;
      if (until !== null && until !== before.ejectedUntil) onEjected(entry, until);
    },

    summary(): HealthSummary {
      return countStatuses(allStates());
    },

    start() {
      if (running || closed) return;
      running = true;
      unsubscribe = events.subscribe(onEvent);
      scheduler.start();
      adoptRegistry();
      shared.start();
    },

    async close() {
      if (closed) return;
      closed = true;
      running = false;
      unsubscribe?.();
      unsubscribe = null;
      shared.stop();
      scheduler.stop();
      for (const entry of members.entries()) entry.check?.abort();
      await prober.close();
    },
  };
}
