/**
 * Readies an exchange for its first attempt: the forwarded headers (once, for every attempt) and
 * the body, which is streamed as it comes unless a route limit or a replay (SPEC section 5) asks
 * for more (body.ts).
 */
import { peerAddress } from '../security/index.js';
import { answerMalformed, answerTooLarge } from './answers.js';
import { REPLAY_BUFFER_BYTES, readUpTo, streamBody } from './body.js';
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
    bufferThenStart(ex, limit);
    return;
  }
  ex.body = limit !== null && declared === null ? streamBody([], ex.req, limit) : ex.req;
  ex.attempt();
}

/** Keeps a body of up to REPLAY_BUFFER_BYTES for replay; a longer one streams on, not replayable. */
function bufferThenStart(ex: Exchange, limit: number | null): void {
  readUpTo(ex.req, REPLAY_BUFFER_BYTES).then(
    (head) => {
      if (!head.complete) {
        ex.body = streamBody(head.chunks, ex.req, limit ?? Number.POSITIVE_INFINITY);
      } else if (limit !== null && head.size > limit) {
        answerTooLarge(ex.res, ex.route, ex.requestId);
        return;
      } else {
        ex.body = head.size === 0 ? null : Buffer.concat(head.chunks, head.size);
        ex.replaySafe = true;
      }
      ex.attempt();
    },
    () => {}, // the client left before its body ended; the response's close listener counts it
  );
}
