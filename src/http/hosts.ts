/**
 * Host-name patterns: `*` matches anything, `*.example.com` matches any name below
 * example.com (not example.com itself), anything else matches exactly (case-insensitive).
 */
export function hostMatches(hostname: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1);
    return name.length > suffix.length && name.endsWith(suffix);
  }
  return name === pattern;
}

/** The name part of a Host header value (`[::1]:8000` → `::1`, `a.b:80` → `a.b`), or null if malformed. */
export function hostNameOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  const value = hostHeader.trim();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return null;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    return value.slice(1, end).toLowerCase();
  }
  const match = /^([A-Za-z0-9._~!$&'()*+,;=%-]+)(?::(\d{1,5}))?$/.exec(value);
  return match ? match[1]!.toLowerCase() : null;
}

/** Builds the ALLOWED_HOSTS check once; `['*']` skips all work per request. */
export function createHostCheck(patterns: readonly string[]): (hostHeader: string | undefined) => boolean {
  if (patterns.includes('*')) return () => true;
  return (hostHeader) => {
    const name = hostNameOf(hostHeader);
    return name !== null && patterns.some((p) => hostMatches(name, p));
  };
}
