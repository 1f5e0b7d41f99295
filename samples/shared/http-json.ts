import { type Dispatcher, request } from 'undici';

export interface JsonCall {
  method?: Dispatcher.HttpMethod;
  /** Serialized as JSON when present. */
  body?: unknown;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
  /** Whole call, headers and body; default 5 s. */
  timeoutMs?: number;
}

export interface JsonResponse {
  status: number;
  /** Parsed JSON when the answer says it is JSON, else the text (or null when empty). */
  body: unknown;
}

/**
 * One HTTP call with a JSON body each way, for the samples' calls to the gateway
 * (registration, heartbeats, the order service's look-ups). Network failures and timeouts
 * reject; any HTTP status resolves, so callers decide what a 404 or a 503 means.
 */
export async function callJson(url: string, call: JsonCall = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(url, {
    method: call.method ?? 'GET',
    headers,
    body: call.body === undefined ? null : JSON.stringify(call.body),
    signal: AbortSignal.timeout(call.timeoutMs ?? 5_000),
  });
  const text = await res.body.text();
  const type = String(res.headers['content-type'] ?? '');
  let body: unknown = text === '' ? null : text;
  if (text !== '' && type.includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON after all: keep the text, the caller only needs it for messages.
    }
  }
  return { status: res.statusCode, body };
}

/** A short reason for a failed call, for log lines and problem details. */
export function failureReason(err: unknown): string {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  return e?.code ?? e?.cause?.code ?? e?.message ?? String(err);
}
