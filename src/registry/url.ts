/**
 * URL rules of a registration (SPEC section 4). The raw string is checked before WHATWG parsing
 * because the parser silently repairs what we want refused: it strips tabs and newlines, drops an
 * empty `?` or `#`, and turns backslashes into slashes.
 */

export type UrlField = 'base_url' | 'health_check_url';

export type ParsedUrl = { ok: true; url: URL } | { ok: false; message: string };

/** White space (ASCII and Unicode) and C0/C1 control characters, anywhere. */
const FORBIDDEN_CHARS = /[\s\u0000-\u001f\u007f-\u009f]/;
/** The scheme must be spelled out with `//`: `http:example.com` is not absolute to a human. */
const ABSOLUTE_HTTP = /^https?:\/\//i;
/** Everything between `scheme://` and the first `/ ? #`: where credentials would hide. */
const AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

export interface UrlRules {
  /** Refuse a query (`?`, even empty). */
  readonly query: boolean;
}

/** Checks one raw URL string; returns the parsed URL or the most useful single message. */
export function parseHttpUrl(raw: string, rules: UrlRules): ParsedUrl {
  if (FORBIDDEN_CHARS.test(raw)) {
    return { ok: false, message: 'must not contain white space or control characters' };
  }
  if (!ABSOLUTE_HTTP.test(raw)) {
    return { ok: false, message: 'must be an absolute http:// or https:// URL' };
  }
  if (raw.includes('\\')) return { ok: false, message: 'must not contain backslashes' };
  const authority = AUTHORITY.exec(raw)?.[1] ?? '';
  if (authority.includes('@')) {
    return { ok: false, message: 'must not contain credentials (user:password@)' };
  }
  // `http:///x` parses as `http://x/`; a host must be written where a host belongs.
  if (authority === '') return { ok: false, message: 'must have a host' };
  if (rules.query && raw.includes('?')) return { ok: false, message: 'must not have a query (?)' };
  if (raw.includes('#')) return { ok: false, message: 'must not have a fragment (#)' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: 'must be a valid absolute http or https URL' };
  }
  if (url.hostname === '') return { ok: false, message: 'must have a host' };
  return { ok: true, url };
}

/** WHATWG serialization without trailing slashes: `http://Example.com:80/api/` → `http://example.com/api`. */
export function normalizeBaseUrl(url: URL): string {
  return url.href.replace(/\/+$/, '');
}
