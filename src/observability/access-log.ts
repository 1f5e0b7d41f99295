/**
 * The access log: one JSON line (`msg: 'proxied'`, info level) per proxied request when it ends,
 * written by the proxy when ACCESS_LOG is on and the logger's level lets info through (checked
 * first, so a quieter level costs nothing). The line carries no header values, so no secret.
 */
import type { Logger } from 'pino';

/** Longest `path` logged: a client must not be able to blow up log lines. */
export const ACCESS_PATH_MAX = 2048;

export interface AccessLine {
  method: string;
  /** The raw request target (path and query), truncated to ACCESS_PATH_MAX characters. */
  path: string;
  service: string;
  /** The instance that answered last, or null when none was tried. */
  instance: string | null;
  status: number;
  /** Milliseconds from the request's arrival to its end, 3 decimals. */
  duration_ms: number;
  /** Request body bytes sent to the instance (the last attempt's); 0 when none was tried. */
  bytes_in: number;
  /** Response body bytes relayed from the instance (the gateway's own error bodies count 0). */
  bytes_out: number;
  request_id: string;
  /** Attempts beyond the first. */
  retries: number;
  /** The W3C trace id of the traceparent prepared for the instance, or null (refused before that). */
  trace_id: string | null;
}

/** Whether an access line would be written now: ACCESS_LOG on and info enabled. */
export function accessLogEnabled(enabled: boolean, logger: Logger): boolean {
  return enabled && logger.isLevelEnabled('info');
}

export function accessPath(url: string | undefined): string {
  if (url === undefined) return '/';
  return url.length > ACCESS_PATH_MAX ? url.slice(0, ACCESS_PATH_MAX) : url;
}

export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function logAccess(logger: Logger, line: AccessLine): void {
  logger.info(line, 'proxied');
}
