/**
 * The active check's only socket code: `GET health_check_url` through an undici Agent that the
 * prober owns (kept-alive connections to each instance, closed with the prober). Any 2xx whose
 * headers arrive within the timeout passes; the body is always drained so the connection can be
 * reused (bounded by the same deadline, and its errors do not change the verdict).
 */
import { Agent, request } from 'undici';

export interface ProbeResult {
  readonly ok: boolean;
  readonly reason: string;
}

export interface Prober {
  /** Never rejects: every failure becomes a result with its reason. */
  probe(url: string, signal?: AbortSignal): Promise<ProbeResult>;
  close(): Promise<void>;
}

export const PASSED: ProbeResult = Object.freeze({ ok: true, reason: 'health check passed' });
const TIMED_OUT: ProbeResult = Object.freeze({ ok: false, reason: 'health check timed out' });
const REFUSED: ProbeResult = Object.freeze({ ok: false, reason: 'connection refused' });
const ABORTED: ProbeResult = Object.freeze({ ok: false, reason: 'health check aborted' });

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

export function createProber(options: { timeoutMs: number }): Prober {
  const { timeoutMs } = options;
  const agent = new Agent({
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 10_000,
  });

  async function probe(url: string, signal?: AbortSignal): Promise<ProbeResult> {
    if (signal?.aborted) return ABORTED;
    // One deadline for the whole exchange; undici's own timeouts are coarse above 1 s.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    timer.unref();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await request(url, {
        method: 'GET',
        dispatcher: agent,
        signal: controller.signal,
        headers: { accept: '*/*', 'user-agent': 'msa-gateway-health-check' },
      });
      await res.body.dump().catch(() => {});
      const { statusCode } = res;
      if (statusCode >= 200 && statusCode < 300) return PASSED;
      return { ok: false, reason: `health check returned ${statusCode}` };
    } catch (err) {
      if (timedOut) return TIMED_OUT;
      if (signal?.aborted) return ABORTED;
      return classifyError(err);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    probe,
    async close() {
      await agent.destroy();
    },
  };
}
