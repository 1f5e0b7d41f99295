/**
 * Counts failed admin-token attempts per client (SPEC section 8): from the (max+1)-th failure
 * within a sliding window, further failures are refused. Bounded on purpose: at most `max`
 * timestamps per client and `maxClients` clients, so a flood from many addresses costs a fixed
 * amount of memory. The map is kept in least-recently-failed order (touched keys are re-inserted),
 * which makes eviction O(1): expired and then oldest entries are always at the front.
 */
export interface FailureLimiterOptions {
  /** Failures allowed within the window; the next ones are refused. */
  readonly max?: number;
  readonly windowMs?: number;
  /** Most clients tracked at once. */
  readonly maxClients?: number;
}

export interface FailureLimiter {
  /**
   * Records one failed attempt of `client` at `now` (ms). Returns 0 when the attempt may be
   * answered normally, else the seconds until the client may try again (Retry-After).
   */
  fail(client: string, now: number): number;
  readonly size: number;
}

export function createFailureLimiter(options: FailureLimiterOptions = {}): FailureLimiter {
  const max = options.max ?? 20;
  const windowMs = options.windowMs ?? 60_000;
  const maxClients = options.maxClients ?? 10_000;
  const failures = new Map<string, number[]>();

  /** Drops clients whose latest failure left the window (they are at the front), then the oldest while full. */
  const makeRoom = (now: number): void => {
    for (const [client, times] of failures) {
      const expired = times[times.length - 1]! <= now - windowMs;
      if (!expired && failures.size < maxClients) return;
      failures.delete(client);
    }
  };

  return {
    fail(client, now) {
      let times = failures.get(client);
      if (times) failures.delete(client);
      else {
        makeRoom(now);
        times = [];
      }
      while (times.length > 0 && times[0]! <= now - windowMs) times.shift();
      const blocked = times.length >= max;
      times.push(now);
      // A refused attempt counts too, so a client that keeps hammering stays refused;
      // only the latest `max` are kept, which is all the window test needs.
      if (times.length > max) times.shift();
      failures.set(client, times);
      return blocked ? Math.max(1, Math.ceil((times[0]! + windowMs - now) / 1000)) : 0;
    },
    get size() {
      return failures.size;
    },
  };
}
