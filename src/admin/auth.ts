import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.js';
import { createFailureLimiter, type FailureLimiterOptions } from './failure-limiter.js';

/**
 * The admin token check (SPEC section 8). Which routes need it is decided by the matched
 * route's pattern, never by the raw URL, so no spelling of a path (percent-encoding, case
 * tricks) can reach a protected handler unchecked.
 */

/** Route patterns open without a token even when tokens are configured. */
const OPEN_DISCOVERY_ROUTES = new Set(['/api/discovery/health']);

export function isProtectedRoute(routeUrl: string | undefined): boolean {
  if (routeUrl === undefined) return false;
  if (routeUrl === '/metrics') return true;
  return routeUrl.startsWith('/api/discovery/') && !OPEN_DISCOVERY_ROUTES.has(routeUrl);
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export interface AdminAuthOptions {
  readonly tokens: readonly string[];
  readonly limiter?: FailureLimiterOptions;
  readonly now?: () => number;
  /** The client's address for the failure limiter (TRUST_PROXY); default: request.ip. */
  readonly clientIp?: (request: FastifyRequest) => string;
  /** Called for every refused attempt (metrics, logs); never sees the token. */
  readonly onRefused?: (request: FastifyRequest, reason: 'missing' | 'wrong' | 'limited') => void;
}

/**
 * Returns the onRequest check for protected routes, or null when no token is configured
 * (the admin API is then open; start-up warns about it).
 */
export function createAdminAuth(options: AdminAuthOptions): ((request: FastifyRequest) => void) | null {
  if (options.tokens.length === 0) return null;
  // Equal-length digests make timingSafeEqual applicable whatever the presented length is,
  // and every configured token is compared, so timing says nothing about which one matched.
  const digests = options.tokens.map(digest);
  const limiter = createFailureLimiter(options.limiter);
  const now = options.now ?? Date.now;
  const clientOf = options.clientIp ?? ((request: FastifyRequest) => request.ip);

  const matches = (presented: string): boolean => {
    const candidate = digest(presented);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(candidate, d) || ok;
    return ok;
  };

  return (request) => {
    const header = request.headers.authorization;
    const presented = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (presented !== undefined && matches(presented)) return;
    const reason = presented === undefined ? 'missing' : 'wrong';
    const retryAfterSeconds = limiter.fail(clientOf(request), now());
    if (retryAfterSeconds > 0) {
      options.onRefused?.(request, 'limited');
      throw new GatewayError('GW_ERR_RATE_LIMITED', 'Too many failed admin token attempts from this client', {
        retryAfterSeconds,
      });
    }
    options.onRefused?.(request, reason);
    if (reason === 'missing') {
      throw new GatewayError(
        'GW_ERR_UNAUTHORIZED',
        'This endpoint needs an Authorization: Bearer <token> header',
        {
          headers: { 'www-authenticate': 'Bearer realm="msa-gateway"' },
        },
      );
    }
    throw new GatewayError('GW_ERR_FORBIDDEN', 'The admin token is not valid', {
      headers: { 'www-authenticate': 'Bearer realm="msa-gateway", error="invalid_token"' },
    });
  };
}
