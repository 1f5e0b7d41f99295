/** `/proxy/{service_name}/{path}`: the generic proxy route, parsed with string scans (no regex). */

export const PROXY_PREFIX = '/proxy/';

export interface ProxyTarget {
  readonly service: string;
  /** What follows `/proxy/{service}`: `''`, `/path…` or `?query`, exactly as received. */
  readonly rest: string;
}

/** Parses a request target that starts with `/proxy/`; null when the service name is empty. */
export function parseProxyTarget(url: string): ProxyTarget | null {
  const start = PROXY_PREFIX.length;
  let end = start;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */) break;
    end++;
  }
  if (end === start) return null;
  return { service: url.slice(start, end), rest: url.slice(end) };
}
