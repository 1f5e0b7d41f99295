/**
 * A static route's client authentication, compiled once per config: `jwt` (jwt-auth.ts) or
 * `api_key`. API keys are stored as their sha256 only (a config file or a log never holds a
 * usable key); a presented key is hashed and compared with every stored digest in constant time,
 * so neither timing nor an early exit tells which key (or how much of one) matched.
 *
 * What the proxy forwards is decided here too (`dropNames`): the subject header is never taken
 * from the client (spoofing), and the credential itself is dropped unless the route keeps it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteAuthConfig } from '../config/index.js';
import { routeAuthProblem } from './auth-config.js';
import { type AuthResult, createJwtAuth } from './jwt-auth.js';

export type { AuthResult } from './jwt-auth.js';

export const DEFAULT_SUBJECT_HEADER = 'x-consumer-subject';
const DEFAULT_KEY_HEADER = 'x-api-key';

export interface RouteAuth {
  readonly type: 'jwt' | 'api_key';
  /** Lower-case header the verified subject is forwarded in. */
  readonly subjectHeader: string;
  /** Lower-case names never forwarded from the client on this route. */
  readonly dropNames: readonly string[];
  authenticate(headers: IncomingHttpHeaders): AuthResult | Promise<AuthResult>;
}

function createApiKeyAuth(auth: RouteAuthConfig): RouteAuth['authenticate'] {
  const header = (auth.header ?? DEFAULT_KEY_HEADER).toLowerCase();
  const stored = (auth.keys ?? []).map((k) => ({ id: k.id, digest: Buffer.from(k.sha256, 'hex') }));
  const challenge = `ApiKey realm="msa-gateway", header="${header}"`;
  const missing: AuthResult = {
    ok: false,
    refusal: {
      code: 'GW_ERR_UNAUTHORIZED',
      detail: `This route needs an API key in the ${header} header`,
      headers: { 'www-authenticate': challenge },
    },
  };
  const wrong: AuthResult = {
    ok: false,
    refusal: {
      code: 'GW_ERR_UNAUTHORIZED',
      detail: 'The API key is not valid',
      headers: { 'www-authenticate': `${challenge}, error="invalid_key"` },
    },
  };
  return (headers) => {
    const presented = headers[header];
    if (typeof presented !== 'string' || presented === '') return missing;
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let id: string | null = null;
    for (const key of stored) if (timingSafeEqual(digest, key.digest)) id = key.id;
    return id === null ? wrong : { ok: true, subject: id };
  };
}

/** A route whose auth is unusable refuses every request: failing open would expose the service. */
const MISCONFIGURED: AuthResult = {
  ok: false,
  refusal: { code: 'GW_ERR_INTERNAL', detail: 'This route is misconfigured and refuses every request' },
};

/** Compiles a route's auth. `onError` hears why a configuration cannot be used (it then refuses all). */
export function compileRouteAuth(
  auth: RouteAuthConfig,
  onError: (problem: string) => void = () => {},
): RouteAuth {
  const subjectHeader = (auth.subject_header ?? DEFAULT_SUBJECT_HEADER).toLowerCase();
  const dropNames = [subjectHeader];
  if (auth.type === 'jwt' && auth.keep_authorization !== true) dropNames.push('authorization');
  if (auth.type === 'api_key' && auth.keep_key !== true) {
    dropNames.push((auth.header ?? DEFAULT_KEY_HEADER).toLowerCase());
  }
  // An `env:` secret here was never resolved by loadConfig (programmatic config): not a usable key.
  const problem =
    routeAuthProblem(auth) ??
    (auth.secret?.startsWith('env:') || auth.public_key?.startsWith('env:')
      ? 'env: reference not resolved'
      : null);
  let authenticate: RouteAuth['authenticate'];
  if (problem !== null) {
    onError(problem);
    authenticate = () => MISCONFIGURED;
  } else {
    authenticate = auth.type === 'jwt' ? createJwtAuth(auth) : createApiKeyAuth(auth);
  }
  return { type: auth.type, subjectHeader, dropNames, authenticate };
}
