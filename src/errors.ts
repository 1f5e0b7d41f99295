/**
 * One registry of the gateway's own errors. Each code maps to one RFC 9457 problem;
 * modules throw or return a GatewayError, and one function turns it into the body.
 */
export const PROBLEMS = {
  GW_ERR_BAD_REQUEST: { status: 400, title: 'Bad Request' },
  GW_ERR_VALIDATION: { status: 400, title: 'Validation failed' },
  GW_ERR_BAD_HOST: { status: 400, title: 'Host not allowed' },
  GW_ERR_PATH_TRAVERSAL: { status: 400, title: 'Path traversal refused' },
  GW_ERR_UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  GW_ERR_FORBIDDEN: { status: 403, title: 'Forbidden' },
  GW_ERR_NOT_FOUND: { status: 404, title: 'Not Found' },
  GW_ERR_SERVICE_NOT_FOUND: { status: 404, title: 'Service not found' },
  GW_ERR_INSTANCE_NOT_FOUND: { status: 404, title: 'Instance not found' },
  GW_ERR_ROUTE_NOT_FOUND: { status: 404, title: 'Route not found' },
  GW_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method Not Allowed' },
  GW_ERR_CONFLICT: { status: 409, title: 'Conflict' },
  GW_ERR_BODY_TOO_LARGE: { status: 413, title: 'Payload Too Large' },
  GW_ERR_URI_TOO_LONG: { status: 414, title: 'URI Too Long' },
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Media Type' },
  GW_ERR_RATE_LIMITED: { status: 429, title: 'Too Many Requests' },
  GW_ERR_HEADERS_TOO_LARGE: { status: 431, title: 'Request Header Fields Too Large' },
  GW_ERR_INTERNAL: { status: 500, title: 'Internal Server Error' },
  GW_ERR_UPSTREAM_FAILED: { status: 502, title: 'Bad Gateway' },
  GW_ERR_NO_HEALTHY_INSTANCE: { status: 503, title: 'No healthy instance' },
  GW_ERR_STORE_UNAVAILABLE: { status: 503, title: 'Registry store unavailable' },
  GW_ERR_SHUTTING_DOWN: { status: 503, title: 'Shutting down' },
  GW_ERR_RATE_LIMIT_UNAVAILABLE: { status: 503, title: 'Rate limit store unavailable' },
  GW_ERR_AUTH_UNAVAILABLE: { status: 503, title: 'Authentication unavailable' },
  GW_ERR_UPSTREAM_TIMEOUT: { status: 504, title: 'Gateway Timeout' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** One failing field of a validation error, named by its JSON pointer-ish path. */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  request_id: string;
  code: ProblemCode;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: {
      errors?: FieldError[];
      retryAfterSeconds?: number;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.status = PROBLEMS[code].status;
  }
}

const TYPE_BASE = 'https://msa-gateway.dev/problems/';

/** The problem's `type` URI: stable per code, documented in README. */
export function problemType(code: ProblemCode): string {
  return TYPE_BASE + code.slice('GW_ERR_'.length).toLowerCase().replaceAll('_', '-');
}

export function problemBody(
  code: ProblemCode,
  detail: string,
  requestId: string,
  errors?: FieldError[],
): ProblemBody {
  const p = PROBLEMS[code];
  const body: ProblemBody = {
    type: problemType(code),
    title: p.title,
    status: p.status,
    detail,
    request_id: requestId,
    code,
  };
  if (errors && errors.length > 0) body.errors = errors;
  return body;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
