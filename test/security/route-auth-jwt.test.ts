import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAuthConfig } from '../../src/config/index.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { call, isProblem } from '../helpers/http.js';
import { rawRequest } from './helpers.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const secretKey = new TextEncoder().encode(SECRET);

interface Echo {
  url: string;
  headers: IncomingHttpHeaders;
}

let instance: HealthServer;
let jwks: Server;
let jwksUrl = '';
let jwksFetches = 0;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let ec: Awaited<ReturnType<typeof generateKeyPair>>;
let gw: StartedGateway;

const now = () => Math.floor(Date.now() / 1000);

function hs256(claims: JWTPayload, alg = 'HS256', key: Uint8Array = secretKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(key);
}

const base = { sub: 'user-42', aud: 'orders-api', iss: 'https://idp.test' };

function route(prefix: string, service: string, auth: RouteAuthConfig) {
  return { prefix, service, auth };
}

beforeAll(async () => {
  instance = await startHealthServer({
    handler: (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, headers: req.headers }));
      return true;
    },
  });
  rsa = await generateKeyPair('RS256');
  ec = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => {
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  const claims = { audience: 'orders-api', issuer: 'https://idp.test' };
  gw = await startGateway({
    routes: [
      route('/hs', 'orders', { type: 'jwt', secret: SECRET, algorithms: ['HS256'], ...claims }),
      route('/keep', 'orders', {
        type: 'jwt',
        secret: SECRET,
        algorithms: ['HS256'],
        keep_authorization: true,
      }),
      route('/rs', 'orders', {
        type: 'jwt',
        public_key: await exportSPKI(rsa.publicKey),
        algorithms: ['RS256'],
      }),
      route('/es', 'orders', {
        type: 'jwt',
        jwks_url: jwksUrl,
        algorithms: ['ES256'],
        subject_header: 'X-User',
      }),
      route('/down', 'orders', { type: 'jwt', jwks_url: 'http://127.0.0.1:9/jwks', algorithms: ['ES256'] }),
      { prefix: '/open', service: 'orders' },
    ],
  });
  await gw.gateway.registry.register({ service_name: 'orders', base_url: instance.url });
});

afterAll(async () => {
  await gw?.close();
  await instance?.close();
  jwks?.closeAllConnections();
  await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
});

function get(path: string, headers: Record<string, string> = {}) {
  return call<Record<string, unknown>>('GET', `${gw.url}${path}`, undefined, headers);
}

/** Requests the instance saw on `path` (health checks aside). */
function seen(path: string): number {
  return instance.requests.filter((r) => r.url.startsWith(path)).length;
}

describe('JWT route auth', () => {
  it('forwards the verified subject, drops Authorization, and replaces a spoofed subject', async () => {
    const token = await hs256({ ...base, exp: now() + 60 });
    const res = await get('/hs/orders', { authorization: `Bearer ${token}`, 'x-consumer-subject': 'admin' });
    expect(res.status).toBe(200);
    const echo = res.body as unknown as Echo;
    expect(echo.headers['x-consumer-subject']).toBe('user-42');
    expect(echo.headers.authorization).toBeUndefined();
  });

  it('keeps Authorization when the route says keep_authorization', async () => {
    const token = await hs256({ sub: 'u1' });
    const res = await get('/keep/x', { authorization: `Bearer ${token}` });
    expect((res.body as unknown as Echo).headers.authorization).toBe(`Bearer ${token}`);
  });

  it('a missing token is a 401 problem with WWW-Authenticate: Bearer, and reaches no instance', async () => {
    const before = seen('/hs');
    const res = await get('/hs/orders');
    expect(res.status).toBe(401);
    expect(isProblem(res)).toBe(true);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="msa-gateway"');
    expect(seen('/hs')).toBe(before);
  });

  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['expired', () => hs256({ ...base, exp: now() - 120 }), /expired/],
    ['nbf in the future', () => hs256({ ...base, nbf: now() + 3600 }), /not valid yet/],
    ['wrong audience', () => hs256({ ...base, aud: 'billing-api' }), /audience/],
    ['wrong issuer', () => hs256({ ...base, iss: 'https://evil.test' }), /issuer/],
    ['wrong signature', () => hs256(base, 'HS256', new TextEncoder().encode(`${SECRET}-other`)), /signature/],
    [
      'an algorithm not pinned (HS512)',
      () => hs256(base, 'HS512', new TextEncoder().encode(SECRET.repeat(2))),
      /algorithm/,
    ],
    ['alg: none', async () => unsigned(base), /algorithm|malformed/],
    ['garbage', async () => 'not.a.jwt', /malformed/],
  ];

  it.each(refusals)('refuses a token that is %s with 401 invalid_token', async (_name, make, reason) => {
    const before = seen('/hs');
    const res = await get('/hs/orders', { authorization: `Bearer ${await make()}` });
    expect(res.status).toBe(401);
    expect(isProblem(res)).toBe(true);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="msa-gateway", error="invalid_token"/);
    expect(String(res.body.detail)).toMatch(reason);
    expect(seen('/hs')).toBe(before);
  });

  it('verifies RS256 with a PEM public key and refuses the HS256-with-the-public-key confusion', async () => {
    const good = await new SignJWT({ sub: 'rs-user' })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey);
    const ok = await get('/rs/a', { authorization: `Bearer ${good}` });
    expect((ok.body as unknown as Echo).headers['x-consumer-subject']).toBe('rs-user');
    const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const forged = await hs256({ sub: 'admin' }, 'HS256', pem);
    expect((await get('/rs/a', { authorization: `Bearer ${forged}` })).status).toBe(401);
  });

  it('verifies ES256 from a JWKS URL, fetched once and cached, subject in the configured header', async () => {
    const sign = (claims: JWTPayload, kid = 'ec-1') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(ec.privateKey);
    const fetchesBefore = jwksFetches;
    for (let i = 0; i < 3; i++) {
      const res = await get('/es/a', {
        authorization: `Bearer ${await sign({ sub: `es-${i}` })}`,
        'x-user': 'spoofed', // the route's own subject header is never taken from the client
      });
      expect(res.status).toBe(200);
      expect((res.body as unknown as Echo).headers['x-user']).toBe(`es-${i}`);
    }
    expect(jwksFetches - fetchesBefore).toBeLessThanOrEqual(1);
    const unknownKid = await sign({ sub: 'x' }, 'other-kid');
    expect((await get('/es/a', { authorization: `Bearer ${unknownKid}` })).status).toBe(401);
  });

  it('answers 503 when the JWKS cannot be fetched (the gateway failed, not the client)', async () => {
    const token = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
      .sign(ec.privateKey);
    const res = await get('/down/a', { authorization: `Bearer ${token}` });
    expect(res.status).toBe(503);
    expect(isProblem(res)).toBe(true);
  });

  it('refuses a subject that is not a safe header value', async () => {
    const token = await hs256({ ...base, sub: 'user\r\nx-admin: true' });
    const res = await get('/hs/orders', { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
  });

  it('strips a client-sent X-Consumer-Subject on routes without auth too', async () => {
    const res = await get('/open/x', { 'x-consumer-subject': 'admin' });
    expect(res.status).toBe(200);
    expect((res.body as unknown as Echo).headers['x-consumer-subject']).toBeUndefined();
  });

  it('refuses /proxy/{service} for a service behind an authenticated route (no way around it)', async () => {
    const res = await get('/proxy/orders/anything');
    expect(res.status).toBe(403);
    expect(isProblem(res)).toBe(true);
  });

  it('checks a WebSocket upgrade on an authenticated route like any request', async () => {
    const before = seen('/hs');
    const reply = await rawRequest(
      gw.port,
      'GET /hs/socket HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(reply.statuses).toEqual([401]);
    expect(reply.text).toMatch(/www-authenticate: Bearer/i);
    expect(seen('/hs')).toBe(before);
  });
});

/** An `alg: none` token: header and claims, no signature. */
function unsigned(claims: JWTPayload): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}
