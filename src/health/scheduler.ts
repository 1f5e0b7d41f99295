/**
 * One timer for thousands of instances: a min-heap of due times, one unref'd setTimeout armed
 * for the earliest, and a FIFO of due checks drained with at most `concurrency` in flight.
 *
 * Two kinds of job share the heap, keyed by the same object (the monitor's per-instance entry):
 * - checks: async, bounded by `concurrency`; a due check waits in the ready queue for a slot;
 * - timers: sync and cheap (the end of a passive ejection), run as soon as due.
 * A key has at most one pending job of each kind; scheduling again replaces it. Replaced or
 * cancelled heap nodes are skipped when popped (lazy deletion) and compacted when they pile up.
 * `createScheduler` is longer than most functions because its helpers share its closure state.
 */
import type { Clock } from '../registry/types.js';

type JobKind = 'check' | 'timer';

interface Node<K> {
  readonly at: number;
  readonly seq: number;
  readonly key: K;
  readonly kind: JobKind;
}

/** setTimeout's longest delay; longer waits just re-arm. */
const MAX_DELAY_MS = 2_147_483_647;

export interface SchedulerOptions<K> {
  readonly concurrency: number;
  readonly clock: Clock;
  /** Runs one due check; never more than `concurrency` at once. */
  readonly runCheck: (key: K) => Promise<void>;
  /** Runs one due timer job (synchronously). */
  readonly runTimer: (key: K) => void;
  /** Called when a job throws or rejects (they should not). */
  readonly onError?: (err: unknown) => void;
}

export interface Scheduler<K> {
  /** Runs a check of `key` at `at` (ms), replacing its pending check if any. */
  scheduleCheck(key: K, at: number): void;
  /** Runs the timer job of `key` at `at` (ms), replacing its pending one if any. */
  scheduleTimer(key: K, at: number): void;
  /** Due time of the pending check of `key`, undefined if none is waiting for its time. */
  checkDueAt(key: K): number | undefined;
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

/** Array-backed binary min-heap ordered by (at, seq), so equal times run first-come first-served. */
class NodeHeap<K> {
  items: Node<K>[] = [];

  push(node: Node<K>): void {
    const items = this.items;
    items.push(node);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  peek(): Node<K> | undefined {
    return this.items[0];
  }

  pop(): Node<K> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Keeps only the nodes `keep` accepts, then restores the heap order in O(n). */
  rebuild(keep: (node: Node<K>) => boolean): void {
    this.items = this.items.filter(keep);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(start: number): void {
    const items = this.items;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < items.length && before(items[l]!, items[min]!)) min = l;
      if (r < items.length && before(items[r]!, items[min]!)) min = r;
      if (min === i) return;
      [items[i], items[min]] = [items[min]!, items[i]!];
      i = min;
    }
  }
}

export function createScheduler<K>(options: SchedulerOptions<K>): Scheduler<K> {
  const { clock, concurrency, runCheck, runTimer } = options;
  const onError = options.onError ?? (() => {});
  const heap = new NodeHeap<K>();
  // The live node of each key and kind; a heap node that is not live here is stale.
  const live: Record<JobKind, Map<K, Node<K>>> = { check: new Map(), timer: new Map() };
  // Due checks waiting for a slot; a Set keeps FIFO order and makes cancel O(1).
  const ready = new Set<K>();
  let inFlight = 0;
  let seq = 0;
  let running = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Number.POSITIVE_INFINITY;

  const isLive = (node: Node<K>) => live[node.kind].get(node.key) === node;

  function put(kind: JobKind, key: K, at: number): void {
    const node: Node<K> = { at, seq: seq++, key, kind };
    live[kind].set(key, node);
    heap.push(node);
    // Replacements leave stale nodes behind; compact before they outnumber the live ones.
    if (heap.items.length > 64 + 2 * (live.check.size + live.timer.size)) heap.rebuild(isLive);
    if (running && at < timerAt) arm();
  }

  function arm(): void {
    while (heap.peek() && !isLive(heap.peek()!)) heap.pop();
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
      heap.pop();
      if (!isLive(top)) continue;
      live[top.kind].delete(top.key);
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

  /** Starts due checks while slots are free. */
  function pump(): void {
    while (running && inFlight < concurrency && ready.size > 0) {
      const key = ready.values().next().value as K;
      ready.delete(key);
      inFlight++;
      let job: Promise<void>;
      try {
        job = runCheck(key);
      } catch (err) {
        job = Promise.reject(err);
      }
      job.catch(onError).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return {
    scheduleCheck(key, at) {
      ready.delete(key);
      put('check', key, at);
    },
    scheduleTimer(key, at) {
      put('timer', key, at);
    },
    checkDueAt(key) {
      return live.check.get(key)?.at;
    },
    cancel(key) {
      live.check.delete(key);
      live.timer.delete(key);
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
      live.check.clear();
      live.timer.clear();
      ready.clear();
      heap.items = [];
    },
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return ready.size;
    },
    get pending() {
      return live.check.size + live.timer.size;
    },
  };
}
