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

export function createLogger(
  config: Pick<GatewayConfig, 'logLevel'>,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    // `service` is a field of our own log lines (the routed service), so the process is named `app`.
    base: { app: 'msa-gateway', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
