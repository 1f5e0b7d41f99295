/**
 * The active check's only socket code: `GET health_check_url` through an undici Agent that the
 * prober owns (kept-alive connections to each instance, closed with the prober). Any 2xx whose
 * headers arrive within the timeout passes; the body is always drained so the connection can be
 * reused (bounded by the same deadline, and its errors do not change the verdict).
 *
 * Thousands of instances mean about a thousand checks a second on the proxy's event loop, so a
 * check costs as little as it can: one `dispatch` with a plain handler object (no promise, body
 * stream or AbortSignal per check), and no timer of its own: checks in flight wait in one FIFO
 * (they share one timeout, so start order is deadline order) swept by a single timer.
 */
import type { Dispatcher } from 'undici';
import { Agent } from '../http/undici.js';

export interface ProbeResult {
  readonly ok: boolean;
  readonly reason: string;
}

/** A check in flight. */
export interface RunningProbe {
  /**
   * Stops the check: its callback gets "health check aborted" (or its verdict, once headers came),
   * on the next microtask.
   */
  abort(): void;
}

export interface Prober {
  /** Never rejects: every failure becomes a result with its reason. */
  probe(url: string, signal?: AbortSignal): Promise<ProbeResult>;
  /**
   * Starts a check of `url`; `done` is called exactly once, never synchronously, with the result
   * (the monitor's hot path: no promise).
   */
  start(url: string, done: (result: ProbeResult) => void): RunningProbe;
  close(): Promise<void>;
}

export const PASSED: ProbeResult = Object.freeze({ ok: true, reason: 'health check passed' });
const TIMED_OUT: ProbeResult = Object.freeze({ ok: false, reason: 'health check timed out' });
const REFUSED: ProbeResult = Object.freeze({ ok: false, reason: 'connection refused' });
export const ABORTED: ProbeResult = Object.freeze({ ok: false, reason: 'health check aborted' });

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** A network error's code, looking through `cause` and AggregateError (happy eyeballs). */
function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown[]; name?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code;
  const inner = errorCode(e.cause) ?? (Array.isArray(e.errors) ? errorCode(e.errors[0]) : undefined);
  return inner ?? (typeof e.code === 'string' ? e.code : undefined);
}

/** The reason text of a failed request, as status_changed and last_error show it. */
export function classifyError(err: unknown): ProbeResult {
  const code = errorCode(err);
  if (code === 'ECONNREFUSED') return REFUSED;
  if (code !== undefined && TIMEOUT_CODES.has(code)) return TIMED_OUT;
  const name = (err as { name?: unknown } | null)?.name;
  const label = code ?? (typeof name === 'string' ? name : 'unknown');
  return { ok: false, reason: `connection failed: ${label}` };
}

// One frozen result per status code seen, so a steady failure allocates nothing per check.
const byStatus = new Map<number, ProbeResult>();

/** The verdict of a response with this status code. */
function verdict(statusCode: number): ProbeResult {
  if (statusCode >= 200 && statusCode < 300) return PASSED;
  let result = byStatus.get(statusCode);
  if (!result) {
    result = Object.freeze({ ok: false, reason: `health check returned ${statusCode}` });
    if (byStatus.size < 1_000) byStatus.set(statusCode, result);
  }
  return result;
}

const HEADERS = ['accept', '*/*', 'user-agent', 'msa-gateway-health-check'];
/** Body bytes drained at most; a longer body ends the check (with its verdict) and its connection. */
const MAX_BODY_BYTES = 128 * 1024;
const ABORT_REASON = new Error('health check ended');

/**
 * One check: undici's (legacy, callback) handler and the check's own state. It settles once, on
 * the first of: the response completing, an error, its deadline, `abort()`.
 */
class Check implements RunningProbe {
  /** Status code once headers arrived (the verdict is then fixed), 0 before. */
  private status = 0;
  private bodyBytes = 0;
  private undiciAbort: ((err?: Error) => void) | null = null;
  private done: ((result: ProbeResult) => void) | null;
  /** True while start() runs: a result then is delivered on the next microtask. */
  starting = true;
  // Links in the deadline list while in flight (see Deadlines).
  prev: Check | null = null;
  next: Check | null = null;

  constructor(
    done: (result: ProbeResult) => void,
    readonly deadline: number,
    private readonly deadlines: Deadlines,
  ) {
    this.done = done;
  }

  get settled(): boolean {
    return this.done === null;
  }

  // --- undici's dispatch handler ---
  onConnect(abort: (err?: Error) => void): void {
    if (this.settled) abort(ABORT_REASON);
    else this.undiciAbort = abort;
  }
  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }
  onData(chunk: Buffer): boolean {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > MAX_BODY_BYTES) this.stop(ABORTED); // the verdict stands: headers came
    return true; // drained and dropped
  }
  onComplete(): void {
    this.settle(verdict(this.status));
  }
  onError(err: Error): void {
    // After the headers, a failing body does not change the verdict.
    this.settle(this.status === 0 ? classifyError(err) : verdict(this.status));
  }

  // --- the prober's side ---
  abort(): void {
    this.stop(ABORTED);
  }
  /** The deadline passed. */
  expire(): void {
    this.stop(TIMED_OUT);
  }

  private stop(before: ProbeResult): void {
    if (this.settled) return;
    const abort = this.undiciAbort;
    this.settle(this.status === 0 ? before : verdict(this.status), true);
    abort?.(ABORT_REASON); // frees the connection; undici's later callbacks find the check settled
  }

  /** Delivers the result once; later (next microtask) when asked, or when start() is still running. */
  private settle(result: ProbeResult, later = this.starting): void {
    const done = this.done;
    if (done === null) return;
    this.done = null; // nothing of the caller's stays reachable from undici's side
    this.undiciAbort = null;
    this.deadlines.remove(this);
    if (later) queueMicrotask(() => done(result));
    else done(result);
  }
}

/**
 * The checks in flight, oldest first (a linked list: a check leaves it as it settles, so nothing
 * of a finished check lingers), and one timer armed for the oldest one's deadline. They all share
 * one timeout, so the oldest is always the next to expire; a timer that fires after its check left
 * just re-arms for the new oldest.
 */
class Deadlines {
  private head: Check | null = null;
  private tail: Check | null = null;
  private timer: NodeJS.Timeout | null = null;

  add(check: Check): void {
    check.prev = this.tail;
    if (this.tail) this.tail.next = check;
    else this.head = check;
    this.tail = check;
    if (!this.timer) this.arm(check.deadline);
  }

  remove(check: Check): void {
    if (check.prev) check.prev.next = check.next;
    else if (this.head === check) this.head = check.next;
    else return; // not in the list
    if (check.next) check.next.prev = check.prev;
    else this.tail = check.prev;
    check.prev = null;
    check.next = null;
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.head) this.head.abort(); // each removes itself
  }

  private arm(deadline: number): void {
    this.timer = setTimeout(this.sweep, Math.max(0, deadline - Date.now()));
    this.timer.unref();
  }

  private readonly sweep = (): void => {
    this.timer = null;
    const now = Date.now();
    while (this.head && this.head.deadline <= now) this.head.expire(); // removes itself
    if (this.head) this.arm(this.head.deadline);
  };
}

export function createProber(options: { timeoutMs: number }): Prober {
  const { timeoutMs } = options;
  // undici's own headers/body timers are off: every check has its deadline in `deadlines`.
  const agent = new Agent({
    connect: { timeout: timeoutMs },
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: 10_000,
  });
  const deadlines = new Deadlines();
  // The request of each URL, parsed once (undici only reads it). Bounded: a gateway checks its own
  // instances' URLs, and should there be ever more of them, the cache just starts over.
  const requests = new Map<string, Dispatcher.DispatchOptions>();

  function requestFor(url: string): Dispatcher.DispatchOptions {
    let request = requests.get(url);
    if (!request) {
      const { origin, pathname, search } = new URL(url);
      request = { origin, path: pathname + search, method: 'GET', headers: HEADERS };
      if (requests.size >= 100_000) requests.clear();
      requests.set(url, request);
    }
    return request;
  }

  function start(url: string, done: (result: ProbeResult) => void): RunningProbe {
    const check = new Check(done, Date.now() + timeoutMs, deadlines);
    try {
      const request = requestFor(url);
      deadlines.add(check);
      agent.dispatch(request, check);
    } catch (err) {
      check.onError(err as Error); // an unusable URL (registration validated it: never, in practice)
    }
    check.starting = false;
    return check;
  }

  return {
    start,
    probe(url, signal) {
      if (signal?.aborted) return Promise.resolve(ABORTED);
      return new Promise<ProbeResult>((resolve) => {
        let running: RunningProbe | null = null;
        const onAbort = () => running?.abort();
        signal?.addEventListener('abort', onAbort, { once: true });
        running = start(url, (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        });
      });
    },
    async close() {
      deadlines.clear();
      await agent.destroy();
    },
  };
}
