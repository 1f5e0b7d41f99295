/**
 * What went wrong with one attempt, in the terms the retry rules (SPEC section 5) and passive
 * health need. undici and the OS report failures by `code`.
 */
import type { OutcomeKind } from '../health/types.js';

export type Failure =
  /** Nothing reached the instance: connect refused, unreachable, unresolvable. */
  | 'refused'
  | 'connect_timeout'
  /** The instance took longer than the timeout for headers, or went silent mid-body. */
  | 'timeout'
  | 'reset'
  /** The instance's pool was closed (it left the registry) before the request went out. */
  | 'closed'
  /** The gateway gave up the attempt itself (client gone, body over its limit). */
  | 'aborted'
  | 'other';

const FAILURES: Readonly<Record<string, Failure>> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  EADDRNOTAVAIL: 'refused',
  ENOTFOUND: 'refused',
  EAI_AGAIN: 'refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  ETIMEDOUT: 'connect_timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'reset',
  UND_ERR_DESTROYED: 'closed',
  UND_ERR_CLOSED: 'closed',
  UND_ERR_ABORTED: 'aborted',
  UND_ERR_ABORT: 'aborted',
};

export function classifyFailure(err: unknown): Failure {
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && Object.hasOwn(FAILURES, code) && FAILURES[code]) || 'other';
}

/** The passive-health outcome of a failure, or null when the instance is not to blame. */
export function outcomeOf(failure: Failure): OutcomeKind | null {
  if (failure === 'refused') return 'connect';
  if (failure === 'connect_timeout' || failure === 'timeout') return 'timeout';
  if (failure === 'reset') return 'reset';
  return null;
}

/**
 * SPEC section 5: a request that never left (refused, or its pool closed before it was written)
 * is retried whatever its method, its body still unread; after a reset or a connect timeout only
 * a request that is safe to send again (`replaySafe`: idempotent without a body, or a buffered
 * body under an Idempotency-Key). Never after a response began; never after a read timeout.
 */
export function mayRetry(failure: Failure, sent: boolean, replaySafe: boolean): boolean {
  if ((failure === 'refused' || failure === 'closed') && !sent) return true;
  if (failure === 'connect_timeout' || failure === 'reset') return replaySafe;
  return false;
}

export function isTimeout(failure: Failure): boolean {
  return failure === 'connect_timeout' || failure === 'timeout';
}
