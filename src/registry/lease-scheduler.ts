import type { Clock } from './types.js';

/**
 * Fires when leases fall due, with one timer armed for the earliest due time: no per-second
 * sweep over every instance and no timer per instance, so thousands of leases cost one handle.
 * A min-heap orders due times; a renewal pushes a new entry and leaves the old one stale (it is
 * skipped when popped), and the heap is rebuilt when stale entries outnumber live ones.
 */
export interface LeaseScheduler {
  /** `key` falls due at `atMs` (epoch ms), replacing any earlier due time of the key. */
  track(key: string, atMs: number): void;
  /** `key` no longer has a lease. */
  untrack(key: string): void;
  /** How many keys have a lease. */
  readonly size: number;
  /** Stops the timer; nothing fires afterwards. */
  close(): void;
}

export interface LeaseSchedulerOptions {
  readonly clock: Clock;
  /** Called with the keys due at `now` (already untracked); may track them again. */
  readonly onDue: (keys: string[], now: number) => void;
}

interface Entry {
  readonly at: number;
  readonly key: string;
}

/** setTimeout's largest delay; a longer wait re-arms when it fires. */
const MAX_DELAY_MS = 2_147_483_647;

export function createLeaseScheduler({ clock, onDue }: LeaseSchedulerOptions): LeaseScheduler {
  const due = new Map<string, number>();
  let heap: Entry[] = [];
  let timer: NodeJS.Timeout | null = null;
  let armedAt = Number.POSITIVE_INFINITY;
  let closed = false;

  const isLive = (e: Entry): boolean => due.get(e.key) === e.at;

  function dropStaleTop(): void {
    while (heap.length > 0 && !isLive(heap[0]!)) popMin(heap);
  }

  function arm(): void {
    dropStaleTop();
    const next = heap[0]?.at ?? Number.POSITIVE_INFINITY;
    if (closed || next === armedAt) return;
    if (timer) clearTimeout(timer);
    timer = null;
    armedAt = next;
    if (next === Number.POSITIVE_INFINITY) return;
    const delay = Math.min(Math.max(next - clock.now(), 0), MAX_DELAY_MS);
    timer = setTimeout(fire, delay);
    timer.unref();
  }

  function fire(): void {
    timer = null;
    armedAt = Number.POSITIVE_INFINITY;
    const now = clock.now();
    const keys: string[] = [];
    while (heap.length > 0 && heap[0]!.at <= now) {
      const entry = popMin(heap);
      if (!isLive(entry)) continue;
      due.delete(entry.key);
      keys.push(entry.key);
    }
    if (keys.length > 0) onDue(keys, now);
    arm();
  }

  return {
    track(key, atMs) {
      due.set(key, atMs);
      pushEntry(heap, { at: atMs, key });
      // Renewals leave stale entries behind; rebuilding keeps the heap proportional to live leases.
      if (heap.length > 2 * due.size + 64) heap = rebuild(due);
      if (atMs < armedAt) arm();
    },
    untrack(key) {
      due.delete(key);
    },
    get size() {
      return due.size;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

function rebuild(due: Map<string, number>): Entry[] {
  const heap: Entry[] = [];
  for (const [key, at] of due) pushEntry(heap, { at, key });
  return heap;
}

function pushEntry(heap: Entry[], entry: Entry): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.at <= entry.at) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = entry;
}

function popMin(heap: Entry[]): Entry {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length === 0) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
    if (heap[child]!.at >= last.at) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
  return top;
}
