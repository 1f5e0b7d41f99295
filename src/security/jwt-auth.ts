/**
 * JWT bearer authentication for a route, on jose: the signature is checked with the configured
 * secret, PEM public key or JWKS (fetched lazily, cached, refetched on an unknown `kid` at most
 * once per cooldown), and `exp`, `nbf`, `aud`, `iss` are checked by jwtVerify. Only the configured
 * algorithms are accepted (pinned), and jwtVerify never accepts `alg: none`.
 *
 * Every credential failure answers 401 with `WWW-Authenticate: Bearer … error="invalid_token"`
 * (RFC 6750), wrong audience and issuer included; a JWKS endpoint that cannot be reached is the
 * gateway's problem, not the client's: 503.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import type { RouteAuthConfig } from '../config/index.js';
import type { Refusal } from './answers.js';

export type AuthResult =
  | { readonly ok: true; readonly subject: string | null }
  | { readonly ok: false; readonly refusal: Refusal };

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/-]+=*)[ \t]*$/i;
/** A subject must be a safe header value: visible ASCII and inner spaces, at most 256 characters. */
const SAFE_SUBJECT = /^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$/;
const REALM = 'Bearer realm="msa-gateway"';

const MISSING: AuthResult = {
  ok: false,
  refusal: {
    code: 'GW_ERR_UNAUTHORIZED',
    detail: 'This route needs an Authorization: Bearer <JWT> header',
    headers: { 'www-authenticate': REALM },
  },
};

function invalid(description: string): AuthResult {
  return {
    ok: false,
    refusal: {
      code: 'GW_ERR_UNAUTHORIZED',
      detail: `The bearer token is not accepted: ${description}`,
      headers: {
        'www-authenticate': `${REALM}, error="invalid_token", error_description="${description}"`,
      },
    },
  };
}

const UNAVAILABLE: AuthResult = {
  ok: false,
  refusal: {
    code: 'GW_ERR_AUTH_UNAVAILABLE',
    detail: 'The keys that verify tokens on this route cannot be fetched right now',
    headers: { 'retry-after': '5' },
  },
};

/** jose's error codes → the client's answer. Messages are fixed strings: nothing of the token is echoed. */
function failureOf(err: unknown, remote: boolean): AuthResult {
  const code = (err as { code?: unknown } | null)?.code;
  const claim = (err as { claim?: unknown } | null)?.claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return invalid('the token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return invalid('the token is not valid yet');
      if (claim === 'aud') return invalid('the token is meant for another audience');
      if (claim === 'iss') return invalid('the token comes from an issuer this route does not trust');
      return invalid(`the ${String(claim)} claim is not valid`);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return invalid('the token algorithm is not allowed here');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalid('the token signature does not verify');
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return UNAVAILABLE;
    default:
      // jose reports a JWKS fetch that failed at the network level with the fetch's own error;
      // anything else without a jose code (a key of the wrong type for the token's alg) is the token's.
      if (remote && !(typeof code === 'string' && code.startsWith('ERR_J'))) return UNAVAILABLE;
      return invalid('the token is malformed or does not fit the key');
  }
}

function subjectOf(sub: unknown): AuthResult {
  if (sub === undefined) return { ok: true, subject: null };
  if (typeof sub !== 'string' || !SAFE_SUBJECT.test(sub)) {
    return invalid('the sub claim cannot be forwarded as a header value');
  }
  return { ok: true, subject: sub };
}

type Verify = (token: string) => ReturnType<typeof import('jose')['jwtVerify']>;

/** The route's own key (secret or PEM public key), or null for a JWKS URL. A bad PEM key throws. */
function localKeyOf(auth: RouteAuthConfig): KeyObject | Uint8Array | null {
  if (auth.secret !== undefined) return new TextEncoder().encode(auth.secret);
  if (auth.public_key !== undefined) return createPublicKey(auth.public_key);
  return null;
}

/**
 * The route's verifier. jose is imported on the first token, not at start-up: a gateway without
 * JWT routes (most of them) never loads its module graph. Once it is loaded, tokens go straight
 * to jose, with no extra promise per request.
 */
function verifierOf(
  auth: RouteAuthConfig,
  local: KeyObject | Uint8Array | null,
  options: JWTVerifyOptions,
): Verify {
  const make = async (): Promise<Verify> => {
    const { createRemoteJWKSet, jwtVerify } = await import('jose');
    if (local !== null) return (token) => jwtVerify(token, local, options);
    // Keys are cached for 10 minutes; an unknown kid triggers a refetch at most every 30 s.
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(auth.jwks_url!), {
      timeoutDuration: 5_000,
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
    });
    return (token) => jwtVerify(token, jwks, options);
  };
  let loading: Promise<Verify> | null = null;
  let loaded: Verify | null = null;
  return (token) => {
    if (loaded !== null) return loaded(token);
    loading ??= make().then((verify) => (loaded = verify));
    return loading.then((verify) => verify(token));
  };
}

/** Builds the check for one route (config already validated by auth-config.ts). */
export function createJwtAuth(
  auth: RouteAuthConfig,
): (headers: IncomingHttpHeaders) => AuthResult | Promise<AuthResult> {
  const options: JWTVerifyOptions = { algorithms: [...(auth.algorithms ?? [])] };
  if (auth.audience !== undefined) options.audience = auth.audience;
  if (auth.issuer !== undefined) options.issuer = auth.issuer;
  // Built here, at start-up, so that a bad PEM key fails the configuration, not the first request.
  const local = localKeyOf(auth);
  const remote = local === null;
  const verify = verifierOf(auth, local, options);
  const onFailure = (err: unknown) => failureOf(err, remote);
  return (headers) => {
    const header = headers.authorization;
    if (header === undefined || header === '') return MISSING;
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) return invalid('the Authorization header does not hold a Bearer token');
    return verify(token).then(({ payload }) => subjectOf(payload.sub), onFailure);
  };
}
