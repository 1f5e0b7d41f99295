import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type FieldError,
  GatewayError,
  PROBLEM_CONTENT_TYPE,
  type ProblemBody,
  type ProblemCode,
  problemBody,
} from '../errors.js';

/**
 * Every answer of the admin app that is not a success is RFC 9457 problem JSON: GatewayErrors
 * map directly, Fastify's own errors (parsing, limits, validation) are translated here, and
 * anything else becomes a 500 that says nothing about its cause (which is logged instead).
 */

/** Sends a GatewayError as problem JSON. A string body skips the route's response serializer. */
export function sendProblem(reply: FastifyReply, err: GatewayError): FastifyReply {
  const body = problemBody(err.code, err.detail, String(reply.request.id), err.extra.errors);
  reply
    .code(err.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .header('x-request-id', reply.request.id);
  if (err.extra.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(err.extra.retryAfterSeconds));
  for (const [name, value] of Object.entries(err.extra.headers ?? {})) reply.header(name, value);
  return reply.send(JSON.stringify(body));
}

/** Fastify error codes with a fixed meaning for clients. */
const FASTIFY_CODES: Record<string, [ProblemCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [
    'GW_ERR_BODY_TOO_LARGE',
    'The request body exceeds the 64 KiB limit of admin endpoints',
  ],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'GW_ERR_UNSUPPORTED_MEDIA_TYPE',
    'Send the request body as application/json',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['GW_ERR_BAD_REQUEST', 'Content-Length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['GW_ERR_BAD_REQUEST', 'The JSON body is empty'],
  FST_ERR_CTP_INVALID_TYPE: ['GW_ERR_BAD_REQUEST', 'The Content-Type header is malformed'],
  FST_ERR_BAD_URL: ['GW_ERR_BAD_REQUEST', 'The request URL is malformed'],
};

/** Codes for the remaining 4xx statuses Fastify or its plugins may raise. */
const BY_STATUS: Record<number, ProblemCode> = {
  404: 'GW_ERR_NOT_FOUND',
  405: 'GW_ERR_METHOD_NOT_ALLOWED',
  413: 'GW_ERR_BODY_TOO_LARGE',
  414: 'GW_ERR_URI_TOO_LONG',
  415: 'GW_ERR_UNSUPPORTED_MEDIA_TYPE',
  429: 'GW_ERR_RATE_LIMITED',
  431: 'GW_ERR_HEADERS_TOO_LARGE',
};

interface AjvIssue {
  instancePath?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
}

/** Ajv issues → one FieldError per field, named `querystring.service_name` and the like. */
function fieldErrors(issues: readonly AjvIssue[], context: string | undefined): FieldError[] {
  const seen = new Map<string, string>();
  for (const issue of issues) {
    const path = (issue.instancePath ?? '').split('/').filter(Boolean);
    const extra = issue.params?.missingProperty ?? issue.params?.additionalProperty;
    if (extra) path.push(extra);
    const field = [context, ...path].filter(Boolean).join('.') || '(request)';
    if (!seen.has(field)) seen.set(field, issue.message ?? 'is invalid');
  }
  return [...seen].map(([field, message]) => ({ field, message }));
}

/** Translates any thrown value to the problem it answers as. Returns null for an internal error. */
export function toGatewayError(err: unknown): GatewayError | null {
  if (err instanceof GatewayError) return err;
  const e = err as Partial<FastifyError> & { validation?: AjvIssue[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const errors = fieldErrors(e.validation, e.validationContext);
    return new GatewayError('GW_ERR_VALIDATION', 'The request is invalid', { errors });
  }
  const known = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) return new GatewayError(known[0], known[1]);
  const status = e.statusCode ?? 500;
  // The JSON body parser reports syntax (and prototype-poisoning) errors as a 400 SyntaxError.
  if (err instanceof SyntaxError) {
    return new GatewayError('GW_ERR_BAD_REQUEST', `The request body is not valid JSON: ${e.message}`);
  }
  if (status >= 400 && status < 500) {
    return new GatewayError(BY_STATUS[status] ?? 'GW_ERR_BAD_REQUEST', e.message ?? 'Bad request');
  }
  return null;
}

/** Wires the error, not-found and framework-error answers of one app. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const problem = toGatewayError(err);
    if (problem) {
      if (problem.status >= 500) request.log.error({ err }, problem.detail);
      return sendProblem(reply, problem);
    }
    request.log.error({ err }, 'admin request failed');
    return sendProblem(
      reply,
      new GatewayError('GW_ERR_INTERNAL', 'The gateway failed to answer this request'),
    );
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!.slice(0, 200);
    return sendProblem(
      reply,
      new GatewayError('GW_ERR_ROUTE_NOT_FOUND', `No route for ${request.method} ${path}`),
    );
  });
}

/** Fastify's `frameworkErrors` option: a malformed URL and the like, before any route. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  sendProblem(
    reply,
    toGatewayError(err) ?? new GatewayError('GW_ERR_BAD_REQUEST', 'The request is malformed'),
  );
}

/**
 * Fastify's `clientErrorHandler`: HTTP that never became a request (header overflow, a client
 * too slow with its headers, garbage). It covers the whole server, proxy routes included.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // Node may dispatch a request before its parser fails on the body (a bad Transfer-Encoding): when
  // that request was already answered, a second response would be read as the answer to the next
  // request. Node's own fallback checks the same private field.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (inFlight?.headersSent) {
    socket.end(); // flushes the answer already written, then closes
    return;
  }
  const requestId = randomUUID();
  let body: ProblemBody;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    body = problemBody('GW_ERR_HEADERS_TOO_LARGE', 'The request headers exceed 16 KiB', requestId);
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // No registry code for 408: only this handler ever answers it.
    const base = problemBody('GW_ERR_BAD_REQUEST', 'The request was not received in time', requestId);
    body = { ...base, status: 408, title: 'Request Timeout' };
  } else {
    body = problemBody('GW_ERR_BAD_REQUEST', 'The request is not valid HTTP', requestId);
  }
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${body.status} ${body.title}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\nx-request-id: ${requestId}\r\n` +
        `connection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}
