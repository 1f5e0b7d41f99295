/**
 * The proxy's side of route security (src/security): which budgets a target has, and running a
 * route's auth and budgets before an instance is picked. Only targets that have either come here,
 * so an unconfigured route costs one null check in ProxyCore.handle.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayConfig } from '../config/index.js';
import {
  guardRequest,
  type LimitRule,
  type RouteAuth,
  setRateLimitHeaders,
  writeRefusal,
} from '../security/index.js';
import type { ProxyCore, Target } from './core.js';

/** `rate_limits` from config, by service. */
export function compileServiceLimits(limits: GatewayConfig['rateLimits']): ReadonlyMap<string, LimitRule> {
  const map = new Map<string, LimitRule>();
  for (const [name, l] of Object.entries(limits)) {
    map.set(name, { scope: 'service', name, max: l.max, windowMs: l.window_ms });
  }
  return map;
}

/** The target's budgets (route, then service), or null when it has none: the usual case, no work. */
export function limitsOf(target: Target, serviceLimits: ReadonlyMap<string, LimitRule>): LimitRule[] | null {
  const routeLimit = target.route?.rateLimit ?? null;
  const serviceLimit = serviceLimits.size === 0 ? undefined : serviceLimits.get(target.service);
  if (routeLimit === null && serviceLimit === undefined) return null;
  const limits: LimitRule[] = [];
  if (routeLimit !== null) limits.push(routeLimit);
  if (serviceLimit !== undefined) limits.push(serviceLimit);
  return limits;
}

/** Auth and budgets first (async: a JWKS fetch, a Redis call); the request body waits, paused. */
export function runGuarded(
  core: ProxyCore,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  target: Target,
  method: string,
  auth: RouteAuth | null,
  limits: readonly LimitRule[],
): void {
  guardRequest(core.guardDeps, req, auth, limits).then(
    (outcome) => {
      if (res.destroyed) return; // the client left while its credential was checked
      if (outcome.ok) {
        if (outcome.verdict !== null) setRateLimitHeaders(res, outcome.verdict);
        core.admit(req, res, requestId, target, method, outcome.subject);
        return;
      }
      writeRefusal(res, outcome.refusal, requestId);
      // A guarded target names a configured route or service: a safe metric label.
      core.answered(req, res, method, target.service, target.service, requestId);
    },
    (err: unknown) => {
      core.logger.error({ err, request_id: requestId }, 'route guard failed');
      writeRefusal(res, { code: 'GW_ERR_INTERNAL', detail: 'The request could not be checked' }, requestId);
    },
  );
}
