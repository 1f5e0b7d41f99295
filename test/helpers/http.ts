/** Small fetch wrappers for integration tests: JSON in, status + headers + parsed body out. */

export interface JsonResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export async function call<T = Record<string, unknown>>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON (metrics, HTML): the text is in `text`
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** True when the answer is problem JSON whose `request_id` is the X-Request-ID header. */
export function isProblem(res: JsonResponse): boolean {
  return (
    (res.headers.get('content-type') ?? '').startsWith('application/problem+json') &&
    res.body !== null &&
    typeof res.body === 'object' &&
    res.body.request_id === res.headers.get('x-request-id')
  );
}
