/**
 * The checks that run before any instance is picked: the global per-client budget in the server's
 * front handler (every request: proxy and admin alike), and on the proxy path a route's auth, then
 * the route's and the service's budgets. Both exist only when configured: the front gate is null
 * without RATE_LIMIT_MAX, and the proxy calls `guardRequest` only for routes and services that
 * have auth or a limit, so an unconfigured gateway does no per-request work here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type LimitScope,
  limitRefusal,
  type Refusal,
  setRateLimitHeaders,
  writeRawRefusal,
  writeRefusal,
} from './answers.js';
import { type ClientIpResolver, limitKeyOf } from './client-ip.js';
import type { RateLimitStore, Verdict } from './rate-limit-store.js';
import type { RouteAuth } from './route-auth.js';

/** A configured budget: a route's `rate_limit` or a service's `rate_limits` entry. */
export interface LimitRule {
  readonly scope: 'route' | 'service';
  readonly name: string;
  readonly max: number;
  readonly windowMs: number;
}

export interface GuardDeps {
  readonly store: RateLimitStore;
  readonly clientIp: ClientIpResolver;
  /** Counts a refused request (metrics.rateLimitedTotal). */
  readonly onLimited: (scope: LimitScope) => void;
}

export type GuardOutcome =
  | { readonly ok: true; readonly subject: string | null; readonly verdict: Verdict | null }
  | { readonly ok: false; readonly refusal: Refusal };

/**
 * Auth first (so a budget can follow the authenticated subject), then each budget. A client is
 * its verified subject on an authenticated route, else its address (TRUST_PROXY, IPv6 by /64).
 */
export async function guardRequest(
  deps: GuardDeps,
  req: IncomingMessage,
  auth: RouteAuth | null,
  limits: readonly LimitRule[],
): Promise<GuardOutcome> {
  let subject: string | null = null;
  if (auth !== null) {
    const result = await auth.authenticate(req.headers);
    if (!result.ok) return result;
    subject = result.subject;
  }
  let tightest: Verdict | null = null;
  const client = subject !== null ? `sub:${subject}` : limitKeyOf(deps.clientIp(req));
  for (const rule of limits) {
    const key = `${rule.scope === 'route' ? 'r' : 's'}:${rule.name}:${client}`;
    const verdict = await deps.store.hit(key, rule.max, rule.windowMs);
    if (!verdict.allowed) {
      deps.onLimited(rule.scope);
      return { ok: false, refusal: limitRefusal(verdict, rule.scope) };
    }
    if (tightest === null || verdict.remaining < tightest.remaining) tightest = verdict;
  }
  return { ok: true, subject, verdict: tightest };
}

export type Dispatch = (req: IncomingMessage, res: ServerResponse, requestId: string) => void;

export interface FrontGate {
  /** Counts the request against its client's budget; calls `next` when allowed, else answers 429. */
  request(req: IncomingMessage, res: ServerResponse, requestId: string, next: Dispatch): void;
  /** The same for a WebSocket upgrade; `next` continues the upgrade. */
  upgrade(req: IncomingMessage, socket: Duplex, requestId: string, next: () => void): void;
}

export interface FrontGateOptions extends GuardDeps {
  /** RATE_LIMIT_MAX; null = off (no gate at all). */
  readonly max: number | null;
  readonly windowMs: number;
}

/** Liveness and readiness probes come from the orchestrator's one address: never limited. */
function isProbe(url: string | undefined): boolean {
  if (url === undefined) return false;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path === '/health' || path === '/ready';
}

export function createFrontGate(options: FrontGateOptions): FrontGate | null {
  const { max, windowMs, store, clientIp, onLimited } = options;
  if (max === null) return null;
  const hit = (req: IncomingMessage) => store.hit(`c:${limitKeyOf(clientIp(req))}`, max, windowMs);

  const settle = (
    verdict: Verdict,
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    next: Dispatch,
  ) => {
    if (verdict.allowed) {
      setRateLimitHeaders(res, verdict);
      next(req, res, id);
      return;
    }
    onLimited('client');
    writeRefusal(res, limitRefusal(verdict, 'client'), id);
  };

  return {
    request(req, res, requestId, next) {
      if (isProbe(req.url)) {
        next(req, res, requestId);
        return;
      }
      const verdict = hit(req);
      if (!(verdict instanceof Promise)) {
        settle(verdict, req, res, requestId, next);
        return;
      }
      verdict.then((v) => {
        // The client may have left while Redis answered: nothing to route any more.
        if (!res.destroyed) settle(v, req, res, requestId, next);
      });
    },
    upgrade(req, socket, requestId, next) {
      Promise.resolve(hit(req)).then((verdict) => {
        if (socket.destroyed) return;
        if (verdict.allowed) return next();
        onLimited('client');
        writeRawRefusal(socket, limitRefusal(verdict, 'client'), requestId);
      });
    },
  };
}
