import pino, { type Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';

/** Paths whose values never reach a log line (tokens, keys, cookies). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'headers["proxy-authorization"]',
  'authorization',
  'token',
  'adminTokens',
  // Route auth (src/security): a JWT secret or an API key must never reach a log line either.
  'secret',
  '*.secret',
  'auth.secret',
  'apiKey',
];

type LoggerConfig = Pick<GatewayConfig, 'logLevel'> &
  Partial<Pick<GatewayConfig, 'environment' | 'logFormat'>>;

/**
 * Whether lines are pretty-printed (pino-pretty) rather than JSON: LOG_FORMAT=pretty, or `auto` (the
 * default) in development when stdout is a terminal. Anything else (files, pipes, containers) gets JSON.
 */
export function prettyLogs(config: LoggerConfig, tty = process.stdout.isTTY === true): boolean {
  const format = config.logFormat ?? 'auto';
  if (format === 'pretty') return true;
  return format === 'auto' && config.environment === 'development' && tty;
}

/** The gateway's logger; a `destination` (tests) always gets JSON. */
export function createLogger(
  config: LoggerConfig,
  destination?: pino.DestinationStream,
  tty = process.stdout.isTTY === true,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    // `service` is a field of our own log lines (the routed service), so the process is named `app`.
    base: { app: 'msa-gateway', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  if (destination) return pino(options, destination);
  if (prettyLogs(config, tty)) {
    // A worker thread formats the lines, so the request path still only writes JSON.
    options.transport = {
      target: 'pino-pretty',
      options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,app' },
    };
  }
  return pino(options);
}
