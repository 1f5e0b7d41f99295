import type { ServerResponse } from 'node:http';
import {
  type GatewayError,
  PROBLEM_CONTENT_TYPE,
  PROBLEMS,
  type ProblemCode,
  problemBody,
} from '../errors.js';

/**
 * Writes a problem+json answer on a raw Node response (the proxy's path, which runs
 * outside Fastify). Does nothing when headers were already sent: the caller then
 * destroys the socket instead, since a half-sent upstream response cannot become a problem.
 */
export function writeProblem(
  res: ServerResponse,
  code: ProblemCode,
  detail: string,
  requestId: string,
  extraHeaders?: Record<string, string>,
): void {
  if (res.headersSent) return;
  const body = JSON.stringify(problemBody(code, detail, requestId));
  res.statusCode = PROBLEMS[code].status;
  res.setHeader('content-type', PROBLEM_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('x-request-id', requestId);
  res.setHeader('cache-control', 'no-store');
  if (extraHeaders) for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.end(body);
}

export function writeGatewayError(res: ServerResponse, err: GatewayError, requestId: string): void {
  const headers: Record<string, string> = { ...err.extra.headers };
  if (err.extra.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.extra.retryAfterSeconds);
  writeProblem(res, err.code, err.detail, requestId, headers);
}
