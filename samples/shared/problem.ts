import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

/**
 * RFC 9457 problem details for the sample services. Every error a sample produces (its own
 * 404s and conflicts, schema validation, a failed call through the gateway) leaves through
 * here, so clients see one shape: `type`, `title`, `status`, `detail`, plus `errors` naming
 * the fields at fault where there are any.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://msa-gateway.dev/problems/samples/';

export interface FieldProblem {
  field: string;
  message: string;
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['validation', 'Validation failed'],
  404: ['not-found', 'Not Found'],
  409: ['conflict', 'Conflict'],
  422: ['unknown-reference', 'Unprocessable Content'],
  502: ['upstream-failed', 'Bad Gateway'],
  503: ['upstream-unavailable', 'Service Unavailable'],
};

/** An error a handler throws to answer with a problem; `extra` members are added to the body. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra: { errors?: FieldProblem[]; retryAfterSeconds?: number; [key: string]: unknown } = {},
  ) {
    super(detail);
  }
}

export function problemBody(status: number, detail: string, extra: Record<string, unknown> = {}) {
  const [slug, title] = TITLES[status] ?? [String(status), httpTitle(status)];
  return { type: TYPE_BASE + slug, title, status, detail, ...extra };
}

function httpTitle(status: number): string {
  if (status === 413) return 'Payload Too Large';
  if (status === 415) return 'Unsupported Media Type';
  return status >= 500 ? 'Internal Server Error' : 'Bad Request';
}

export function sendProblem(reply: FastifyReply, err: ProblemError): FastifyReply {
  const { retryAfterSeconds, ...extra } = err.extra;
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  return reply
    .code(err.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(err.status, err.detail, extra));
}

/** Turns Ajv's `instancePath` (`/items/0/quantity`) plus its context into a field name. */
function fieldOf(err: NonNullable<FastifyError['validation']>[number], context: string): string {
  const missing = (err.params as { missingProperty?: string; additionalProperty?: string }) ?? {};
  const leaf = missing.missingProperty ?? missing.additionalProperty;
  const path = err.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const field = [path, leaf].filter(Boolean).join('.');
  return field === '' ? context : `${context}.${field}`;
}

function toProblem(err: FastifyError): ProblemError {
  if (err instanceof ProblemError) return err;
  if (err.validation) {
    const context = err.validationContext ?? 'body';
    const errors = err.validation.map((v) => ({
      field: fieldOf(v, context),
      message: v.message ?? 'is invalid',
    }));
    const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
    return new ProblemError(400, detail, { errors });
  }
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  return new ProblemError(status, status === 500 ? 'An unexpected error occurred' : err.message);
}

/** Installs the error and not-found handlers that answer every failure with problem JSON. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const problem = toProblem(err);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new ProblemError(404, `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
