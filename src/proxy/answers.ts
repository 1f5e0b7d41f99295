/**
 * The gateway's own answers on the proxy path, as RFC 9457 problems carrying the request id
 * (SPEC section 7). An instance's own errors never come through here: they pass unchanged.
 */
import type { ServerResponse } from 'node:http';
import type { ProblemCode } from '../errors.js';
import { writeProblem } from '../http/problem.js';
import type { CompiledRoute } from '../routing/index.js';
import { type Failure, isTimeout } from './failures.js';

export const PROXY_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);
const ALLOW = [...PROXY_METHODS].join(', ');

/** The refusals decided before any instance is tried. */
export type Refusal =
  | 'GW_ERR_SHUTTING_DOWN'
  | 'GW_ERR_METHOD_NOT_ALLOWED'
  | 'GW_ERR_PATH_TRAVERSAL'
  | 'GW_ERR_SERVICE_NOT_FOUND'
  | 'GW_ERR_NO_HEALTHY_INSTANCE';

export function answerNoInstance(
  res: ServerResponse,
  service: string,
  requestId: string,
  retryAfter: string,
): void {
  writeProblem(
    res,
    'GW_ERR_NO_HEALTHY_INSTANCE',
    `No healthy instance of ${service} is available`,
    requestId,
    {
      'retry-after': retryAfter,
    },
  );
}

export function answerRefusal(
  res: ServerResponse,
  code: Refusal,
  method: string,
  service: string,
  route: CompiledRoute | null,
  requestId: string,
  retryAfter: string,
): void {
  if (code === 'GW_ERR_METHOD_NOT_ALLOWED') {
    const allow = route?.methods ? [...route.methods].join(', ') : ALLOW;
    writeProblem(res, code, `${method} is not proxied here; allowed: ${allow}`, requestId, { allow });
  } else if (code === 'GW_ERR_PATH_TRAVERSAL') {
    writeProblem(res, code, 'The path must not contain dot-segments or encoded separators', requestId);
  } else if (code === 'GW_ERR_SERVICE_NOT_FOUND') {
    writeProblem(res, code, `No service named ${service} is registered`, requestId);
  } else if (code === 'GW_ERR_SHUTTING_DOWN') {
    writeProblem(res, code, 'The gateway is shutting down', requestId, { connection: 'close' });
  } else {
    answerNoInstance(res, service, requestId, retryAfter);
  }
}

export function answerTooLarge(res: ServerResponse, route: CompiledRoute | null, requestId: string): void {
  const detail = `The request body exceeds this route's limit of ${route?.bodyLimitBytes} bytes`;
  // The rest of the body is not read: the connection cannot carry another request.
  writeProblem(res, 'GW_ERR_BODY_TOO_LARGE', detail, requestId, { connection: 'close' });
}

/** Every attempt failed: the last failure decides, 504 for a timeout, else 502 (SPEC section 5). */
export function answerFailure(
  res: ServerResponse,
  service: string,
  failure: Failure,
  requestId: string,
): void {
  const code: ProblemCode = isTimeout(failure) ? 'GW_ERR_UPSTREAM_TIMEOUT' : 'GW_ERR_UPSTREAM_FAILED';
  const detail = isTimeout(failure) ? `${service} did not answer in time` : `${service} could not be reached`;
  writeProblem(res, code, detail, requestId);
}
