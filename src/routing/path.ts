/**
 * The traversal guard and the path join of a forwarded request. Pure string work: the path and
 * query are forwarded byte for byte (never decoded or re-encoded), so the guard has to recognise
 * every spelling an instance might decode into a climb: `..`, `%2e%2e` in any case and mix,
 * encoded slashes and backslashes, NUL, and a double-encoded `%25` form of each.
 *
 * The rule is deliberately simpler than "would it climb above the root": any dot-segment
 * (`.` or `..`, also followed by `;params` as Tomcat reads `..;`) and any encoded separator is
 * refused, even when harmless (`a/../b`). Clients that build URLs normally never send those.
 */

/** A dot-segment (`.`, `..`, encoded or not, optionally with `;params`) or a separator smuggled in. */
const UNSAFE_PATH = /(?:^|\/)(?:\.|%2e){1,2}(?:[/;]|$)|%2f|%5c|%00|\\|%25(?:2e|2f|5c|00)/i;

/**
 * Is this request path (the part before `?`) unsafe to forward? Most paths hold none of `.`, `%`
 * and `\`, so three indexOf scans answer them without running the pattern.
 */
export function isUnsafePath(path: string): boolean {
  if (path.indexOf('.') < 0 && path.indexOf('%') < 0 && path.indexOf('\\') < 0) return false;
  return UNSAFE_PATH.test(path);
}

/** The path part of a request target (`/a/b?x` → `/a/b`), without allocating when there is no query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Joins an instance's base path (`''` or `/prefix`, no trailing slash) and the forwarded rest
 * (`''`, `/path…` or `?query`). The result always starts with `/`: `('', '?q')` → `/?q`,
 * `('/api', '')` → `/api`, `('/api', '/x?q')` → `/api/x?q`.
 */
export function joinPath(basePath: string, rest: string): string {
  const joined = basePath + rest;
  return joined.charCodeAt(0) === 47 /* / */ ? joined : '/' + joined;
}
