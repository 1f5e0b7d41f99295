/**
 * Static routes (config `routes`) compiled once into a table keyed by the first path segment, so a
 * request looks at the few routes sharing its first segment (longest prefix first) instead of
 * scanning or regex-matching every route. A table is immutable: a config reload compiles a new one
 * and swaps the reference.
 */
import type { Environment, StaticRoute } from '../config/index.js';
import { hostMatches, hostNameOf } from '../http/hosts.js';
import { compileRouteAuth, type LimitRule, type RouteAuth } from '../security/index.js';
import { type CompiledHeaderRules, compileHeaderRules } from './header-rules.js';

/** Gateway endpoints a static route must never shadow (`/` only for a catch-all route). */
const RESERVED_PREFIXES = [
  '/api/discovery',
  '/health',
  '/ready',
  '/metrics',
  '/docs',
  '/openapi.json',
  '/dashboard',
  '/proxy',
];

/** Present in development after the configured routes (SPEC section 6). */
export const DEVELOPMENT_ROUTES: readonly StaticRoute[] = [
  { name: 'dev-users', prefix: '/api/users', service: 'user-service' },
  { name: 'dev-products', prefix: '/api/products', service: 'product-service' },
  { name: 'dev-orders', prefix: '/api/orders', service: 'order-service' },
];

export interface CompiledRoute {
  readonly name: string;
  /** No trailing slash, except the catch-all `/`. */
  readonly prefix: string;
  readonly service: string;
  /** Lower-case host pattern (hosts.ts syntax), or null for any host. */
  readonly host: string | null;
  /** Allowed methods, or null for every proxied method. */
  readonly methods: ReadonlySet<string> | null;
  readonly stripPrefix: boolean;
  /** `''` or `/x` without a trailing slash. */
  readonly addPrefix: string;
  readonly requestHeaders: CompiledHeaderRules | null;
  readonly responseHeaders: CompiledHeaderRules | null;
  readonly timeoutMs: number | null;
  readonly bodyLimitBytes: number | null;
  /** The prefix is an ancestor of a reserved path (`/api`, `/`): matching skips reserved paths. */
  readonly coversReserved: boolean;
  /** Client authentication, or null for an open route. */
  readonly auth: RouteAuth | null;
  /** The route's own budget per client, or null. */
  readonly rateLimit: LimitRule | null;
}

export interface RouteTable {
  readonly bySegment: ReadonlyMap<string, readonly CompiledRoute[]>;
  /** Catch-all routes (prefix `/`), tried after the segment's candidates. */
  readonly root: readonly CompiledRoute[];
  readonly size: number;
  /**
   * Services behind an authenticated route: `/proxy/{service}` must not reach them around that
   * route's auth, so the proxy refuses it (docs/security.md).
   */
  readonly guardedServices: ReadonlySet<string>;
}

/** Does `path` (a path, possibly followed by `?query`) lie at or below `prefix` on a segment boundary? */
export function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return path.charCodeAt(0) === 47;
  if (!path.startsWith(prefix)) return false;
  const next = path.charCodeAt(prefix.length);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}

function isReserved(path: string): boolean {
  if (path === '/' || path.charCodeAt(1) === 63) return true;
  for (const reserved of RESERVED_PREFIXES) if (underPrefix(path, reserved)) return true;
  return false;
}

function firstSegment(path: string): string {
  let end = 1;
  while (end < path.length) {
    const c = path.charCodeAt(end);
    if (c === 47 || c === 63) break;
    end++;
  }
  return path.slice(1, end);
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

function compileRoute(route: StaticRoute, index: number, onError: (message: string) => void): CompiledRoute {
  const prefix = normalizePrefix(route.prefix);
  const addPrefix = route.add_prefix ? normalizePrefix(route.add_prefix) : '';
  const name = route.name ?? `route-${index}`;
  const auth = route.auth
    ? compileRouteAuth(route.auth, (problem) =>
        onError(`static route ${name}: auth unusable (${problem}); the route refuses every request`),
      )
    : null;
  const rateLimit: LimitRule | null = route.rate_limit
    ? { scope: 'route', name, max: route.rate_limit.max, windowMs: route.rate_limit.window_ms }
    : null;
  return {
    name,
    prefix,
    service: route.service,
    host: route.host ? route.host.toLowerCase() : null,
    methods: route.methods ? new Set(route.methods) : null,
    stripPrefix: route.strip_prefix === true,
    addPrefix: addPrefix === '/' ? '' : addPrefix,
    requestHeaders: compileHeaderRules(route.request_headers, auth?.dropNames),
    responseHeaders: compileHeaderRules(route.response_headers),
    timeoutMs: route.timeout_ms ?? null,
    bodyLimitBytes: route.body_limit_bytes ?? null,
    coversReserved: RESERVED_PREFIXES.some((r) => underPrefix(r, prefix)),
    auth,
    rateLimit,
  };
}

/**
 * Compiles configured routes (then the development defaults). A prefix at or below a reserved
 * gateway path is refused through `onError` and skipped.
 */
export function compileRoutes(
  routes: readonly StaticRoute[],
  environment: Environment,
  onError: (message: string) => void = () => {},
): RouteTable {
  const all = environment === 'development' ? [...routes, ...DEVELOPMENT_ROUTES] : [...routes];
  const compiled: CompiledRoute[] = [];
  all.forEach((route, i) => {
    const prefix = normalizePrefix(route.prefix);
    if (prefix !== '/' && isReserved(prefix)) {
      onError(
        `static route ${route.name ?? `#${i}`} refused: prefix ${route.prefix} shadows a gateway endpoint`,
      );
      return;
    }
    compiled.push(compileRoute(route, i, onError));
  });
  // Stable sort: longest prefix first, then routes bound to a host (the more specific rule), then
  // configuration order, so a configured route wins over a development default with its prefix.
  compiled.sort(
    (a, b) => b.prefix.length - a.prefix.length || Number(b.host !== null) - Number(a.host !== null),
  );
  const bySegment = new Map<string, CompiledRoute[]>();
  const root: CompiledRoute[] = [];
  for (const route of compiled) {
    if (route.prefix === '/') {
      root.push(route);
      continue;
    }
    const segment = firstSegment(route.prefix);
    const list = bySegment.get(segment);
    if (list) list.push(route);
    else bySegment.set(segment, [route]);
  }
  const guardedServices = new Set(compiled.filter((r) => r.auth !== null).map((r) => r.service));
  return { bySegment, root, size: compiled.length, guardedServices };
}

function accepts(route: CompiledRoute, url: string, hostHeader: string | undefined): boolean {
  if (!underPrefix(url, route.prefix)) return false;
  if (route.coversReserved && isReserved(url)) return false;
  if (route.host === null) return true;
  const name = hostNameOf(hostHeader);
  return name !== null && hostMatches(name, route.host);
}

function scan(
  routes: readonly CompiledRoute[],
  url: string,
  hostHeader: string | undefined,
  method: string,
  fallback: CompiledRoute | null,
): CompiledRoute | null {
  let mismatch = fallback;
  for (const route of routes) {
    if (!accepts(route, url, hostHeader)) continue;
    if (route.methods === null || route.methods.has(method)) return route;
    mismatch ??= route;
  }
  return mismatch;
}

/**
 * The route for a request target (`/path?query`), or null. When routes match the path and host
 * but none allows the method, returns the first of them: the caller sees `methods` exclude the
 * method and answers 405.
 */
export function findRoute(
  table: RouteTable,
  url: string,
  hostHeader: string | undefined,
  method: string,
): CompiledRoute | null {
  if (table.size === 0) return null;
  const candidates = table.bySegment.get(firstSegment(url));
  const found = candidates ? scan(candidates, url, hostHeader, method, null) : null;
  if (found !== null && (found.methods === null || found.methods.has(method))) return found;
  return table.root.length > 0 ? scan(table.root, url, hostHeader, method, found) : found;
}

/**
 * The part forwarded after the instance's base path: the request target as received, or with the
 * prefix stripped and/or `add_prefix` prepended (`/api/users?x`, strip, add `/v1` → `/v1?x`).
 */
export function rewriteTarget(route: CompiledRoute, url: string): string {
  if (!route.stripPrefix) return route.addPrefix + url;
  const rest = route.prefix === '/' ? url : url.slice(route.prefix.length);
  if (rest === '' || rest.charCodeAt(0) === 63) return (route.addPrefix || '/') + rest;
  return route.addPrefix + rest;
}
