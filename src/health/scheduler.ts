/**
 * One timer for thousands of instances: a min-heap of due times, one unref'd setTimeout armed
 * for the earliest, and a FIFO of due checks drained with at most `concurrency` in flight.
 *
 * Checks share the proxy's event loop, so their load is kept even and batched: `scheduleCheckWithin`
 * places a check in a random slot (of `slotMs`) of its window, or a near one holding fewer checks,
 * so checks do not bunch, and the checks of one slot start on one timer wake-up instead of one
 * each. At most MAX_STARTS_PER_TURN checks start in one turn of the event loop; the rest follow on
 * the next turns.
 *
 * Two kinds of job share the heap, keyed by the same object (the monitor's per-instance entry):
 * - checks: async, bounded by `concurrency`; a due check waits in the ready queue for a slot;
 * - timers: sync and cheap (the end of a passive ejection), run as soon as due.
 * A key has at most one pending job of each kind; scheduling again moves it. Each key keeps its
 * node for each kind (the heap tracks where every node sits), so rescheduling an instance after
 * its check allocates nothing: no garbage that lives one interval, which would make every young
 * generation GC copy and promote it.
 * `createScheduler` is longer than most functions because its helpers share its closure state.
 */
import type { Clock } from '../registry/types.js';

type JobKind = 'check' | 'timer';

interface Node<K> {
  at: number;
  seq: number;
  readonly key: K;
  readonly kind: JobKind;
  /** Position in the heap; -1 while not pending. */
  index: number;
}

/** setTimeout's longest delay; longer waits just re-arm. */
const MAX_DELAY_MS = 2_147_483_647;

/** Checks started in one turn of the event loop, at most (a burst then spreads over several turns). */
export const MAX_STARTS_PER_TURN = 16;

/** Slots whose pending checks are counted (a ring: times this many slots apart share a count). */
const LOAD_SLOTS = 4_096;

/** How far (in slots) from a random slot `scheduleCheckWithin` looks for a less loaded one. */
const NEAR_SLOTS = 8;

export interface SchedulerOptions<K> {
  readonly concurrency: number;
  readonly clock: Clock;
  /**
   * Runs one due check; never more than `concurrency` at once. The check is over when the promise
   * it returns settles, or, when it returns nothing, when it calls `done` (once): the hot path then
   * needs no promise per check.
   */
  readonly runCheck: (key: K, done: () => void) => Promise<void> | undefined;
  /** Runs one due timer job (synchronously). */
  readonly runTimer: (key: K) => void;
  /** Called when a job throws or rejects (they should not). */
  readonly onError?: (err: unknown) => void;
  /** Width of the slots `scheduleCheckWithin` balances checks over (default 10 ms). */
  readonly slotMs?: number;
  /** [0, 1) source for `scheduleCheckWithin`'s choices (default Math.random). */
  readonly random?: () => number;
}

export interface Scheduler<K> {
  /** Runs a check of `key` at `at` (ms), replacing its pending check if any. */
  scheduleCheck(key: K, at: number): void;
  /**
   * Runs a check of `key` at a slot boundary in [from, to] (ms) where few checks are pending (a
   * random slot, or a near one holding fewer), replacing its pending check if any. Returns the
   * time chosen.
   */
  scheduleCheckWithin(key: K, from: number, to: number): number;
  /** Runs the timer job of `key` at `at` (ms), replacing its pending one if any. */
  scheduleTimer(key: K, at: number): void;
  /** Due time of the pending check of `key`, undefined if none is waiting for its time. */
  checkDueAt(key: K): number | undefined;
  /** Due time of the pending check of `key`, else of its last one (the one running, say). */
  lastCheckDueAt(key: K): number | undefined;
  /** Drops every pending job of `key` (a check already running finishes on its own). */
  cancel(key: K): void;
  start(): void;
  /** Stops the timer and drops every pending job; running checks finish on their own. */
  stop(): void;
  readonly inFlight: number;
  /** Due checks waiting for a free slot. */
  readonly queued: number;
  /** Jobs waiting for their time. */
  readonly pending: number;
}

function before<K>(a: Node<K>, b: Node<K>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Array-backed binary min-heap ordered by (at, seq), so equal times run first-come first-served.
 * Each node knows its index, so a node can move or leave in O(log n) without a search.
 */
class NodeHeap<K> {
  items: Node<K>[] = [];

  push(node: Node<K>): void {
    node.index = this.items.length;
    this.items.push(node);
    this.up(node.index);
  }

  peek(): Node<K> | undefined {
    return this.items[0];
  }

  /** Restores the order around a node whose time changed. */
  update(node: Node<K>): void {
    this.down(this.up(node.index));
  }

  remove(node: Node<K>): void {
    const items = this.items;
    const last = items.pop()!;
    if (last !== node) {
      items[node.index] = last;
      last.index = node.index;
      this.update(last);
    }
    node.index = -1;
  }

  clear(): void {
    for (const node of this.items) node.index = -1;
    this.items = [];
  }

  private place(node: Node<K>, i: number): void {
    this.items[i] = node;
    node.index = i;
  }

  private up(start: number): number {
    const items = this.items;
    const node = items[start]!;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(node, items[parent]!)) break;
      this.place(items[parent]!, i);
      i = parent;
    }
    this.place(node, i);
    return i;
  }

  private down(start: number): void {
    const items = this.items;
    const node = items[start]!;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= items.length) break;
      const r = l + 1;
      const child = r < items.length && before(items[r]!, items[l]!) ? r : l;
      if (!before(items[child]!, node)) break;
      this.place(items[child]!, i);
      i = child;
    }
    this.place(node, i);
  }
}

export function createScheduler<K>(options: SchedulerOptions<K>): Scheduler<K> {
  const { clock, concurrency, runCheck, runTimer } = options;
  const onError = options.onError ?? (() => {});
  const slotMs = options.slotMs ?? 10;
  const random = options.random ?? Math.random;
  const heap = new NodeHeap<K>();
  // The node of each key and kind, kept (index -1) between its jobs so it can be reused.
  const nodes: Record<JobKind, Map<K, Node<K>>> = { check: new Map(), timer: new Map() };
  // Due checks waiting for a slot; a Set keeps FIFO order and makes cancel O(1).
  const ready = new Set<K>();
  // Pending checks per slot, for scheduleCheckWithin's choice. Slots count from the scheduler's
  // creation (small integers) in a ring of LOAD_SLOTS.
  const origin = clock.now();
  const slotOf = (at: number) => Math.floor((at - origin) / slotMs);
  const load = new Int32Array(LOAD_SLOTS);
  const loadOf = (slot: number) => load[slot & (LOAD_SLOTS - 1)]!;
  let inFlight = 0;
  let seq = 0;
  let running = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Number.POSITIVE_INFINITY;
  let continuing: NodeJS.Immediate | null = null;
  let pumping = false;

  function count(node: Node<K>, delta: 1 | -1): void {
    if (node.kind === 'check') load[slotOf(node.at) & (LOAD_SLOTS - 1)]! += delta;
  }

  /** Takes a pending node out of the heap (its job will not run). */
  function unqueue(node: Node<K>): void {
    count(node, -1);
    heap.remove(node);
  }

  function put(kind: JobKind, key: K, at: number): void {
    let node = nodes[kind].get(key);
    if (!node) {
      node = { at, seq: seq++, key, kind, index: -1 };
      nodes[kind].set(key, node);
    } else {
      if (node.index >= 0) count(node, -1);
      node.at = at;
      node.seq = seq++;
    }
    count(node, 1);
    if (node.index >= 0) heap.update(node);
    else heap.push(node);
    if (running && at < timerAt) arm();
  }

  function arm(): void {
    const top = heap.peek();
    if (timer) clearTimeout(timer);
    timer = null;
    timerAt = Number.POSITIVE_INFINITY;
    if (!running || !top) return;
    timerAt = top.at;
    const delay = Math.min(Math.max(0, top.at - clock.now()), MAX_DELAY_MS);
    timer = setTimeout(tick, delay);
    timer.unref();
  }

  function tick(): void {
    timer = null;
    timerAt = Number.POSITIVE_INFINITY;
    const now = clock.now();
    for (let top = heap.peek(); top && top.at <= now; top = heap.peek()) {
      unqueue(top);
      if (top.kind === 'check') ready.add(top.key);
      else runGuarded(top.key);
    }
    pump();
    arm();
  }

  function runGuarded(key: K): void {
    try {
      runTimer(key);
    } catch (err) {
      onError(err);
    }
  }

  /** Starts due checks while slots are free, at most MAX_STARTS_PER_TURN before the next turn. */
  function pump(): void {
    if (pumping) return; // a check that ended at once, inside runCheck: this loop goes on
    pumping = true;
    try {
      startDue();
    } finally {
      pumping = false;
    }
  }

  function startDue(): void {
    let started = 0;
    while (running && inFlight < concurrency && ready.size > 0) {
      if (started++ === MAX_STARTS_PER_TURN) {
        continuing ??= setImmediate(() => {
          continuing = null;
          pump();
        });
        return;
      }
      const key = ready.values().next().value as K;
      ready.delete(key);
      inFlight++;
      try {
        runCheck(key, release)?.then(release, failed);
      } catch (err) {
        failed(err);
      }
    }
  }

  /** A check is over: its slot is free for the next due one. */
  function release(): void {
    inFlight--;
    pump();
  }

  function failed(err: unknown): void {
    onError(err);
    release();
  }

  return {
    scheduleCheck(key, at) {
      ready.delete(key);
      put('check', key, at);
    },
    scheduleCheckWithin(key, from, to) {
      const first = Math.ceil((from - origin) / slotMs);
      const span = Math.max(0, slotOf(to) - first) + 1;
      // A random slot, or a near one (within NEAR_SLOTS) if that holds fewer checks. Two random
      // slots of the whole window would favour its far end, which is always emptier as it is filled
      // later: intervals would drift long. Near alternatives even out bunching just as well.
      const a = first + Math.floor(random() * span);
      const b = Math.min(
        first + span - 1,
        Math.max(first, a + Math.floor(random() * (2 * NEAR_SLOTS + 1)) - NEAR_SLOTS),
      );
      const slot = loadOf(b) < loadOf(a) ? b : a;
      const at = origin + slot * slotMs;
      ready.delete(key);
      put('check', key, at);
      return at;
    },
    scheduleTimer(key, at) {
      put('timer', key, at);
    },
    checkDueAt(key) {
      const node = nodes.check.get(key);
      return node && node.index >= 0 ? node.at : undefined;
    },
    lastCheckDueAt(key) {
      return nodes.check.get(key)?.at;
    },
    cancel(key) {
      for (const kind of ['check', 'timer'] as const) {
        const node = nodes[kind].get(key);
        if (node && node.index >= 0) unqueue(node);
        nodes[kind].delete(key);
      }
      ready.delete(key);
    },
    start() {
      if (running) return;
      running = true;
      arm();
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      timerAt = Number.POSITIVE_INFINITY;
      if (continuing) clearImmediate(continuing);
      continuing = null;
      load.fill(0);
      heap.clear();
      nodes.check.clear();
      nodes.timer.clear();
      ready.clear();
    },
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return ready.size;
    },
    get pending() {
      return heap.items.length;
    },
  };
}
