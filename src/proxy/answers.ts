/**
 * The gateway's own answers on the proxy path, as RFC 9457 problems carrying the request id
 * (SPEC section 7). An instance's own errors never come through here: they pass unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
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

const kEnded = Symbol('connectionEnded');
type Marked = { [kEnded]?: boolean };

/**
 * Answers with `connection: close` and marks the connection, so requests pipelined behind this one
 * (already parsed by Node, their handlers about to run) are never forwarded: after a refusal for
 * framing or size nothing else on that connection is trusted, as nginx does after a 400.
 */
function writeFinal(res: ServerResponse, code: ProblemCode, detail: string, requestId: string): void {
  const socket = res.socket as (ServerResponse['socket'] & Marked) | null;
  if (socket) socket[kEnded] = true;
  writeProblem(res, code, detail, requestId, { connection: 'close' });
}

/** True for a request pipelined behind a final answer (see writeFinal): it gets no answer at all. */
export function afterFinalAnswer(req: IncomingMessage): boolean {
  return (req.socket as IncomingMessage['socket'] & Marked)[kEnded] === true;
}

/** Refuses ambiguous framing (RequestFacts.malformed) before anything reaches an instance. */
export function answerMalformed(res: ServerResponse, requestId: string): void {
  const detail =
    'The request framing is ambiguous: Transfer-Encoding other than chunked, or several Host fields';
  writeFinal(res, 'GW_ERR_BAD_REQUEST', detail, requestId);
}

/** The refusals decided before any instance is tried. */
export type Refusal =
  | 'GW_ERR_SHUTTING_DOWN'
  | 'GW_ERR_METHOD_NOT_ALLOWED'
  | 'GW_ERR_PATH_TRAVERSAL'
  | 'GW_ERR_FORBIDDEN'
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
  } else if (code === 'GW_ERR_FORBIDDEN') {
    // The service sits behind an authenticated static route; /proxy/ must not be a way around it.
    writeProblem(res, code, `${service} is reachable only through its authenticated routes`, requestId);
  } else if (code === 'GW_ERR_SERVICE_NOT_FOUND') {
    writeProblem(res, code, `No service named ${service} is registered`, requestId);
  } else if (code === 'GW_ERR_SHUTTING_DOWN') {
    writeFinal(res, code, 'The gateway is shutting down', requestId);
  } else {
    answerNoInstance(res, service, requestId, retryAfter);
  }
}

export function answerTooLarge(res: ServerResponse, route: CompiledRoute | null, requestId: string): void {
  const detail = `The request body exceeds this route's limit of ${route?.bodyLimitBytes} bytes`;
  // The rest of the body is not read: the connection cannot carry another request.
  writeFinal(res, 'GW_ERR_BODY_TOO_LARGE', detail, requestId);
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
