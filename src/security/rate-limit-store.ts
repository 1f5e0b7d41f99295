/**
 * Rate-limit counters: fixed windows per key (`max` hits per `windowMs`, the window starting at a
 * key's first hit). The memory store answers synchronously, so a gateway without Redis pays one
 * Map lookup per limited request and no promise. rate-limiter-flexible was considered and not
 * used: its windows are whole seconds (Redis EX) while RATE_LIMIT_WINDOW_MS is in milliseconds,
 * and its memory limiter answers through a promise on every request.
 */

/** One decision, with what the RateLimit-* headers report. */
export interface Verdict {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets (at least 1): RateLimit-Reset and Retry-After. */
  readonly resetSeconds: number;
  /** The shared store could not be asked (Redis down) and the gateway fails closed: 503. */
  readonly unavailable?: boolean;
}

export interface RateLimitStore {
  readonly name: 'memory' | 'redis';
  /** Counts one hit of `key`; a promise only for shared stores. */
  hit(key: string, max: number, windowMs: number): Verdict | Promise<Verdict>;
  close(): Promise<void>;
}

export function verdictOf(count: number, max: number, msLeft: number): Verdict {
  return {
    allowed: count <= max,
    limit: max,
    remaining: count >= max ? 0 : max - count,
    resetSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
  };
}

interface Window {
  count: number;
  resetAt: number;
}

export interface MemoryStoreOptions {
  /** Most keys held at once; beyond it expired windows are swept, then the oldest dropped. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

/**
 * Counters in this process. Bounded: expired windows are swept at most once a second (lazily, on a
 * hit: no timer to close), and a flood of distinct keys evicts the oldest windows first.
 */
export function createMemoryRateLimitStore(options: MemoryStoreOptions = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();
  let nextSweep = 0;

  const sweep = (at: number): void => {
    nextSweep = at + 1000;
    for (const [key, w] of windows) if (w.resetAt <= at) windows.delete(key);
  };

  return {
    name: 'memory',
    hit(key, max, windowMs) {
      const at = now();
      if (at >= nextSweep && windows.size > 1024) sweep(at);
      let w = windows.get(key);
      if (w === undefined) {
        if (windows.size >= maxKeys) {
          sweep(at);
          // Map order is insertion order: the first key is the longest-held window.
          if (windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
        }
        w = { count: 0, resetAt: at + windowMs };
        windows.set(key, w);
      } else if (w.resetAt <= at) {
        w.count = 0;
        w.resetAt = at + windowMs;
      }
      w.count++;
      return verdictOf(w.count, max, w.resetAt - at);
    },
    async close() {
      windows.clear();
    },
  };
}
