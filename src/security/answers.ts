/**
 * The security layer's refusals as data, written as RFC 9457 problems either on a response (the
 * request path) or straight onto a socket (a WebSocket upgrade, which never became a response).
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, type ProblemCode, problemBody } from '../errors.js';
import { writeProblem } from '../http/problem.js';
import type { Verdict } from './rate-limit-store.js';

export interface Refusal {
  readonly code: ProblemCode;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function writeRefusal(res: ServerResponse, refusal: Refusal, requestId: string): void {
  writeProblem(res, refusal.code, refusal.detail, requestId, refusal.headers as Record<string, string>);
}

/** Writes a problem onto a socket that never became an HTTP response, and closes it. */
export function writeRawProblem(
  socket: Duplex,
  code: ProblemCode,
  detail: string,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const { status, title } = PROBLEMS[code];
  const body = JSON.stringify(problemBody(code, detail, requestId));
  let extra = '';
  for (const [name, value] of Object.entries(headers)) extra += `${name}: ${value}\r\n`;
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n` +
      `cache-control: no-store\r\n${extra}connection: close\r\n\r\n${body}`,
  );
}

export function writeRawRefusal(socket: Duplex, refusal: Refusal, requestId: string): void {
  writeRawProblem(socket, refusal.code, refusal.detail, requestId, refusal.headers);
}

/** IETF draft-ietf-httpapi-ratelimit-headers field names (the widely deployed -07 form). */
export function setRateLimitHeaders(res: ServerResponse, verdict: Verdict): void {
  res.setHeader('ratelimit-limit', verdict.limit);
  res.setHeader('ratelimit-remaining', verdict.remaining);
  res.setHeader('ratelimit-reset', verdict.resetSeconds);
}

export type LimitScope = 'client' | 'route' | 'service';

/** The answer to a refused verdict: 429 with Retry-After and RateLimit-*, or 503 when the store is down. */
export function limitRefusal(verdict: Verdict, scope: LimitScope): Refusal {
  const retryAfter = String(verdict.resetSeconds);
  if (verdict.unavailable) {
    return {
      code: 'GW_ERR_RATE_LIMIT_UNAVAILABLE',
      detail: 'The rate limit store is unavailable and this gateway fails closed',
      headers: { 'retry-after': retryAfter },
    };
  }
  const what = scope === 'client' ? 'this client' : `this client on this ${scope}`;
  return {
    code: 'GW_ERR_RATE_LIMITED',
    detail: `Too many requests from ${what}: at most ${verdict.limit} per window`,
    headers: {
      'retry-after': retryAfter,
      'ratelimit-limit': String(verdict.limit),
      'ratelimit-remaining': '0',
      'ratelimit-reset': retryAfter,
    },
  };
}
