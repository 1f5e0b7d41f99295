/**
 * Readies an exchange for its first attempt: the forwarded headers (once, for every attempt) and
 * the body, which is streamed as it comes unless it is small, a route limit or a replay (SPEC
 * section 5) asks for more (body.ts).
 */
import { peerAddress } from '../security/index.js';
import { answerMalformed, answerTooLarge } from './answers.js';
import { REPLAY_BUFFER_BYTES, readUpTo, SMALL_BODY_BYTES, streamBody } from './body.js';
import type { Exchange } from './exchange.js';
import { appendForwarded, copyRequestHeaders } from './headers.js';

/** Methods that may be sent again after a reset when they carry no body (SPEC section 5). */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export function prepareAndStart(ex: Exchange, prefix: string | null): void {
  const rules = ex.route?.requestHeaders ?? null;
  const headers = copyRequestHeaders(ex.req.rawHeaders, ex, rules);
  if (ex.malformed) {
    ex.traceparent = undefined; // the client's, never sent: not a trace of this request
    answerMalformed(ex.res, ex.requestId);
    return;
  }
  // The socket peer is appended whatever TRUST_PROXY says: the next hop decides whom it trusts.
  appendForwarded(headers, ex, peerAddress(ex.req), ex.proto, prefix, ex.requestId, rules);
  if (ex.subject !== null) headers.push(ex.route!.auth!.subjectHeader, ex.subject);
  ex.headers = headers;
  const declared = ex.contentLength === null ? null : Number(ex.contentLength);
  const limit = ex.route?.bodyLimitBytes ?? null;
  if (!ex.chunked && !declared) {
    ex.replaySafe = IDEMPOTENT.has(ex.method) || ex.idempotencyKey;
    ex.attempt();
    return;
  }
  if (limit !== null && declared !== null && declared > limit) {
    answerTooLarge(ex.res, ex.route, ex.requestId);
    return;
  }
  if (declared !== null) headers.push('content-length', ex.contentLength!);
  if (ex.idempotencyKey && (declared === null || declared <= REPLAY_BUFFER_BYTES)) {
    bufferThenStart(ex, limit, REPLAY_BUFFER_BYTES);
    return;
  }
  // A small body (usually already in the socket's first read) goes upstream as one buffer: undici
  // then writes it with the head in one corked write instead of piping a stream.
  if (declared !== null && declared <= SMALL_BODY_BYTES) {
    bufferThenStart(ex, limit, declared);
    return;
  }
  ex.body = limit !== null && declared === null ? streamBody([], ex.req, limit) : ex.req;
  ex.attempt();
}

/**
 * Reads a body of up to `max` bytes before the first attempt; a longer one streams on. A body read
 * whole is replayed only under an Idempotency-Key (SPEC section 5: no replay of other bodies).
 */
function bufferThenStart(ex: Exchange, limit: number | null, max: number): void {
  readUpTo(ex.req, max).then(
    (head) => {
      if (!head.complete) {
        ex.body = streamBody(head.chunks, ex.req, limit ?? Number.POSITIVE_INFINITY);
      } else if (limit !== null && head.size > limit) {
        answerTooLarge(ex.res, ex.route, ex.requestId);
        return;
      } else {
        ex.body =
          head.size === 0
            ? null
            : head.chunks.length === 1
              ? head.chunks[0]!
              : Buffer.concat(head.chunks, head.size);
        ex.replaySafe = ex.idempotencyKey;
      }
      ex.attempt();
    },
    () => {}, // the client left before its body ended; the response's close listener counts it
  );
}
