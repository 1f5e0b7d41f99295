/**
 * Fetches one OpenAPI document from a service instance: GET through an undici Agent the caller
 * owns, one deadline for the whole exchange, a size cap enforced while the body streams (a
 * Content-Length above it is refused before reading), JSON media types only, no redirects
 * (undici's request does not follow them, so a document cannot bounce the gateway elsewhere).
 */
import { Agent } from '../http/undici.js';

export interface DocFetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** Why an instance gave no document; the message is safe to show (no URL, no body). */
export class DocFetchError extends Error {
  override readonly name = 'DocFetchError';
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

export function createDocAgent(timeoutMs: number): Agent {
  return new Agent({
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // Documents are fetched at most once a minute per service: no point keeping sockets open.
    keepAliveTimeout: 1_000,
    connections: 4,
  });
}

/** The parsed JSON body, or a DocFetchError saying why there is none. */
export async function fetchJsonDocument(
  url: string,
  agent: Agent,
  options: DocFetchOptions,
): Promise<unknown> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  timer.unref();
  try {
    // undici's index (for `request`) is loaded on the first document fetch only (http/undici.ts).
    const { request } = await import('undici');
    const res = await request(url, {
      method: 'GET',
      dispatcher: agent,
      signal: controller.signal,
      headers: { accept: 'application/json', 'user-agent': 'msa-gateway-docs' },
    });
    if (res.statusCode < 200 || res.statusCode > 299) {
      await res.body.dump().catch(() => {});
      throw new DocFetchError(`answered ${res.statusCode}`);
    }
    const type = String(res.headers['content-type'] ?? '');
    if (!JSON_MEDIA_TYPE.test(type)) {
      await res.body.dump().catch(() => {});
      throw new DocFetchError(`answered ${type === '' ? 'no content type' : type}, not JSON`);
    }
    const declared = Number(res.headers['content-length']);
    if (declared > options.maxBytes) {
      controller.abort();
      throw new DocFetchError(`document larger than ${options.maxBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.maxBytes) {
        // Aborting stops the transfer: the rest of an oversized body is never read.
        controller.abort();
        throw new DocFetchError(`document larger than ${options.maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
    } catch {
      throw new DocFetchError('answered malformed JSON');
    }
  } catch (err) {
    if (err instanceof DocFetchError) throw err;
    if (timedOut) throw new DocFetchError(`no document within ${options.timeoutMs} ms`);
    const code =
      (err as { code?: unknown; cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code;
    throw new DocFetchError(`request failed${typeof code === 'string' ? `: ${code}` : ''}`);
  } finally {
    clearTimeout(timer);
  }
}
