import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { call, isProblem } from '../helpers/http.js';

const TOKEN = 'integration-admin-token';

/** SPEC section 8 over real HTTP: GATEWAY_ADMIN_TOKEN guards the admin surface. */
describe('admin token on a running gateway', () => {
  let gw: StartedGateway;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    gw = await startGateway({ adminTokens: [TOKEN], healthCheckIntervalMs: 60_000 });
  });
  afterAll(() => gw.close());

  it('401 without a token, 403 with a wrong one, 2xx with the right one', async () => {
    const missing = await call('POST', `${gw.url}/api/discovery/services`, {
      service_name: 'a',
      base_url: 'http://a',
    });
    expect(missing.status).toBe(401);
    expect(isProblem(missing)).toBe(true);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await call('GET', `${gw.url}/metrics`, undefined, bearer('not-the-token'));
    expect(wrong.status).toBe(403);
    expect(isProblem(wrong)).toBe(true);
    const ok = await call(
      'POST',
      `${gw.url}/api/discovery/services`,
      { service_name: 'a', base_url: 'http://a' },
      bearer(TOKEN),
    );
    expect(ok.status).toBe(201);
    expect((await call('GET', `${gw.url}/metrics`, undefined, bearer(TOKEN))).status).toBe(200);
  });

  it('leaves /api/discovery/health and the gateway endpoints open', async () => {
    for (const path of ['/api/discovery/health', '/health', '/ready', '/']) {
      expect((await call('GET', `${gw.url}${path}`)).status, path).toBe(200);
    }
  });

  it('refuses the 21st failed attempt within a minute with 429 and Retry-After; a valid token still passes', async () => {
    // The first test made 2 failed attempts from this client already.
    let status = 0;
    let attempts = 2;
    while (status !== 429 && attempts < 30) {
      status = (await call('GET', `${gw.url}/api/discovery/services`, undefined, bearer('wrong-token')))
        .status;
      attempts++;
    }
    expect(attempts).toBe(21);
    const limited = await call('GET', `${gw.url}/api/discovery/services`);
    expect(limited.status).toBe(429);
    expect(isProblem(limited)).toBe(true);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await call('GET', `${gw.url}/api/discovery/services`, undefined, bearer(TOKEN))).status).toBe(
      200,
    );
  });
});
