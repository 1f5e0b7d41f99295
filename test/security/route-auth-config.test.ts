import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { compileRouteAuth } from '../../src/security/index.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { call, isProblem } from '../helpers/http.js';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const KEY = 'sk_live_0123456789abcdef';

describe('API key route auth', () => {
  let instance: HealthServer;
  let gw: StartedGateway;
  beforeAll(async () => {
    instance = await startHealthServer({
      handler: (req, res) => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ headers: req.headers }));
        return true;
      },
    });
    gw = await startGateway({
      routes: [
        {
          prefix: '/keys',
          service: 'api',
          auth: { type: 'api_key', keys: [{ id: 'partner-a', sha256: sha256(KEY) }] },
        },
        {
          prefix: '/kept',
          service: 'api',
          auth: {
            type: 'api_key',
            header: 'X-Key',
            keep_key: true,
            keys: [{ id: 'b', sha256: sha256(KEY) }],
          },
        },
      ],
    });
    await gw.gateway.registry.register({ service_name: 'api', base_url: instance.url });
  });
  afterAll(async () => {
    await gw?.close();
    await instance?.close();
  });

  const headersOf = (body: unknown) => (body as { headers: IncomingHttpHeaders }).headers;

  it('forwards the key id as the subject and never the key itself', async () => {
    const res = await call('GET', `${gw.url}/keys/a`, undefined, {
      'x-api-key': KEY,
      'x-consumer-subject': 'root',
    });
    expect(res.status).toBe(200);
    expect(headersOf(res.body)['x-consumer-subject']).toBe('partner-a');
    expect(headersOf(res.body)['x-api-key']).toBeUndefined();
  });

  it('keeps the key when the route says keep_key, in its own header', async () => {
    const res = await call('GET', `${gw.url}/kept/a`, undefined, { 'x-key': KEY });
    expect(headersOf(res.body)['x-key']).toBe(KEY);
    expect(headersOf(res.body)['x-consumer-subject']).toBe('b');
  });

  it.each([
    ['missing', {}],
    ['wrong', { 'x-api-key': `${KEY}x` }],
    ['the stored hash itself', { 'x-api-key': sha256(KEY) }],
  ])('a %s key is a 401 problem with an ApiKey challenge', async (_name, headers) => {
    const hits = instance.requests.length;
    const res = await call('GET', `${gw.url}/keys/a`, undefined, headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(isProblem(res)).toBe(true);
    expect(res.headers.get('www-authenticate')).toMatch(/^ApiKey realm="msa-gateway", header="x-api-key"/);
    expect(instance.requests.length).toBe(hits);
  });
});

describe('route auth configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-auth-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function load(auth: Record<string, unknown>, env: Record<string, string> = {}) {
    const file = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, JSON.stringify({ routes: [{ prefix: '/x', service: 's', auth }] }));
    return loadConfig({ GATEWAY_CONFIG: file, ...env });
  }

  it('resolves an env: secret from the environment', () => {
    const secret = 's'.repeat(32);
    const config = load(
      { type: 'jwt', secret: 'env:JWT_SECRET', algorithms: ['HS256'] },
      { JWT_SECRET: secret },
    );
    expect(config.routes[0]!.auth!.secret).toBe(secret);
  });

  it.each([
    [{ type: 'jwt', secret: 'env:JWT_SECRET', algorithms: ['HS256'] }, /JWT_SECRET, which is not set/],
    [{ type: 'jwt', secret: 'short', algorithms: ['HS256'] }, /at least 32 bytes/],
    [{ type: 'jwt', secret: 'x'.repeat(64), algorithms: ['RS256'] }, /secret verifies only HS/],
    [{ type: 'jwt', jwks_url: 'https://idp.test/jwks', algorithms: ['HS256'] }, /need a secret/],
    [{ type: 'jwt', algorithms: ['RS256'] }, /exactly one of secret, public_key, jwks_url/],
    [{ type: 'jwt', public_key: 'not a pem', algorithms: ['RS256'] }, /PEM public key/],
    [{ type: 'jwt', jwks_url: 'https://idp.test/jwks' }, /algorithms/],
    [{ type: 'jwt', jwks_url: 'https://idp.test/jwks', algorithms: ['none'] }, /algorithms/],
    [{ type: 'api_key', keys: [{ id: 'a', sha256: 'abc' }] }, /sha256/],
    [{ type: 'api_key', keys: [{ id: 'a', key: 'plain-text' }] }, /key/],
    [
      {
        type: 'api_key',
        keys: [
          { id: 'a', sha256: 'a'.repeat(64) },
          { id: 'a', sha256: 'b'.repeat(64) },
        ],
      },
      /twice/,
    ],
    [{ type: 'api_key', secret: 'x', keys: [{ id: 'a', sha256: 'a'.repeat(64) }] }, /do not apply/],
    [
      { type: 'api_key', subject_header: 'Authorization', keys: [{ id: 'a', sha256: 'a'.repeat(64) }] },
      /subject_header/,
    ],
    [{ type: 'basic' }, /auth/],
  ])('refuses %j with one line naming the problem', (auth, message) => {
    let error: unknown;
    try {
      load(auth);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/routes/);
    expect((error as Error).message).not.toMatch(/\n/);
  });

  it('accepts a PEM public key for RS256', async () => {
    const { publicKey } = await generateKeyPair('RS256');
    const config = load({ type: 'jwt', public_key: await exportSPKI(publicKey), algorithms: ['RS256'] });
    expect(config.routes[0]!.auth!.type).toBe('jwt');
  });

  it('a route whose auth slipped past loadConfig refuses every request instead of opening', async () => {
    const problems: string[] = [];
    const auth = compileRouteAuth({ type: 'jwt', secret: 'env:NOPE', algorithms: ['HS256'] }, (p) =>
      problems.push(p),
    );
    expect(problems).toHaveLength(1);
    const result = await auth.authenticate({ authorization: 'Bearer a.b.c' });
    expect(result.ok).toBe(false);
  });
});
