/**
 * The rules of a route's `auth` that a schema cannot say: which fields each type needs, which
 * algorithms fit which key (an HMAC secret never verifies an RS256 token and a public key never
 * verifies HS256: the classic algorithm-confusion attack), and `env:NAME` indirection for secrets,
 * so they stay out of the config file. Used by loadConfig (a bad route stops start-up with one
 * line) and again when routes compile (a route that slipped through refuses every request).
 *
 * Only type imports from config: load.ts imports this file, so a value import would be a cycle.
 */
import { createPublicKey } from 'node:crypto';
import type { RouteAuthConfig } from '../config/index.js';

const JWT_FIELDS = [
  'secret',
  'public_key',
  'jwks_url',
  'algorithms',
  'audience',
  'issuer',
  'keep_authorization',
];
const API_KEY_FIELDS = ['header', 'keys', 'keep_key'];
/** RFC 7518 section 3.2: an HMAC key at least as long as the hash output. */
const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
/** Headers a route must not use for the subject: the gateway or HTTP itself owns them. */
const RESERVED_SUBJECT_HEADERS = new Set([
  'host',
  'authorization',
  'content-length',
  'transfer-encoding',
  'connection',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-prefix',
  'x-request-id',
]);

function present(auth: RouteAuthConfig, fields: readonly string[]): string[] {
  return fields.filter((f) => (auth as Record<string, unknown>)[f] !== undefined);
}

function jwtProblem(auth: RouteAuthConfig): string | null {
  const sources = present(auth, ['secret', 'public_key', 'jwks_url']);
  if (sources.length !== 1) return 'a jwt auth needs exactly one of secret, public_key, jwks_url';
  if (!auth.algorithms) return 'a jwt auth needs algorithms (e.g. [HS256] or [RS256])';
  const hmac = auth.algorithms.filter((a) => a.startsWith('HS'));
  if (auth.secret !== undefined) {
    if (hmac.length !== auth.algorithms.length) return 'secret verifies only HS256, HS384 and HS512 tokens';
    if (auth.secret.startsWith('env:')) return null; // resolved (and measured) by resolveRouteAuth
    const need = Math.max(...hmac.map((a) => HMAC_MIN_BYTES[a]!));
    if (Buffer.byteLength(auth.secret) < need)
      return `secret must be at least ${need} bytes for ${hmac.join(', ')}`;
    return null;
  }
  if (hmac.length > 0)
    return `${hmac.join(', ')} need a secret; public_key and jwks_url verify asymmetric algorithms`;
  if (auth.public_key !== undefined && !auth.public_key.startsWith('env:')) {
    try {
      createPublicKey(auth.public_key);
    } catch {
      return 'public_key must be a PEM public key (-----BEGIN PUBLIC KEY-----)';
    }
  }
  if (auth.jwks_url !== undefined && !URL.canParse(auth.jwks_url)) return 'jwks_url must be an http(s) URL';
  return null;
}

function apiKeyProblem(auth: RouteAuthConfig): string | null {
  if (!auth.keys) return 'an api_key auth needs keys: [{id, sha256}]';
  const ids = new Set<string>();
  for (const key of auth.keys) {
    if (ids.has(key.id)) return `keys has the id "${key.id}" twice`;
    ids.add(key.id);
  }
  return null;
}

/** What is wrong with a route's auth (one line), or null when it can be used. */
export function routeAuthProblem(auth: RouteAuthConfig): string | null {
  const foreign = present(auth, auth.type === 'jwt' ? API_KEY_FIELDS : JWT_FIELDS);
  if (foreign.length > 0) return `${foreign.join(', ')} do not apply to a ${auth.type} auth`;
  const subject = auth.subject_header?.toLowerCase();
  if (subject !== undefined && RESERVED_SUBJECT_HEADERS.has(subject)) {
    return `subject_header must not be ${auth.subject_header}`;
  }
  if (
    auth.type === 'api_key' &&
    subject !== undefined &&
    subject === (auth.header ?? 'x-api-key').toLowerCase()
  ) {
    return 'subject_header must differ from header';
  }
  return auth.type === 'jwt' ? jwtProblem(auth) : apiKeyProblem(auth);
}

function fromEnv(value: string | undefined, field: string, env: NodeJS.ProcessEnv): string | undefined {
  if (value === undefined || !value.startsWith('env:')) return value;
  const name = value.slice(4);
  const resolved = env[name];
  if (resolved === undefined || resolved === '') {
    throw new Error(`${field} names the environment variable ${name}, which is not set`);
  }
  return resolved;
}

/**
 * Checks a route's auth and replaces `env:NAME` secrets and keys with the variable's value.
 * Throws an Error whose message is one line (the caller adds where it came from).
 */
export function resolveRouteAuth(auth: RouteAuthConfig, env: NodeJS.ProcessEnv): RouteAuthConfig {
  const first = routeAuthProblem(auth);
  if (first !== null) throw new Error(first);
  const secret = fromEnv(auth.secret, 'secret', env);
  const publicKey = fromEnv(auth.public_key, 'public_key', env);
  const resolved: RouteAuthConfig = {
    ...auth,
    ...(secret !== undefined ? { secret } : {}),
    ...(publicKey !== undefined ? { public_key: publicKey } : {}),
  };
  const second = routeAuthProblem(resolved);
  if (second !== null) throw new Error(second);
  return resolved;
}
