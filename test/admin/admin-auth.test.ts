import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProtectedRoute } from '../../src/admin/auth.js';
import { type AdminHarness, startAdminApp } from '../helpers/admin-app.js';

const TOKEN = 'admin-token-0123456789';
const OTHER = 'rotated-token-abcdefgh';

describe('which routes need the admin token', () => {
  it.each([
    ['/api/discovery/services', true],
    ['/api/discovery/services/:service_name', true],
    ['/api/discovery/services/:service_name/instances/:instance_id/heartbeat', true],
    ['/api/discovery/events', true],
    ['/metrics', true],
    ['/api/discovery/health', false],
    ['/health', false],
    ['/', false],
    ['/docs', false],
    [undefined, false],
  ])('%s → %s', (route, expected) => {
    expect(isProtectedRoute(route)).toBe(expected);
  });
});

describe('admin token', () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdminApp({ adminTokens: [TOKEN, OTHER] });
  });
  afterAll(() => h.close());

  const get = (url: string, headers: Record<string, string> = {}, ip = '10.1.1.1') =>
    h.app.inject({ method: 'GET', url, headers, remoteAddress: ip });

  it('a missing token is 401 problem JSON with WWW-Authenticate: Bearer', async () => {
    const res = await get('/api/discovery/services');
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toMatchObject({ status: 401, code: 'GW_ERR_UNAUTHORIZED' });
  });

  it.each([
    ['a wrong token', `Bearer wrong-token-xyz`, 403],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`, 401],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`, 403],
    ['the token with a suffix', `Bearer ${TOKEN}x`, 403],
  ])('%s is refused (%s)', async (_name, authorization, status) => {
    const res = await get('/api/discovery/services', { authorization });
    expect(res.statusCode).toBe(status);
    expect(res.json().status).toBe(status);
  });

  it.each([
    ['the first token', TOKEN],
    ['the second token (rotation)', OTHER],
  ])('%s is accepted', async (_name, token) => {
    const res = await get('/api/discovery/services', { authorization: `Bearer ${token}` });
    expect(res.statusCode).toBe(200);
    expect((await get('/metrics', { authorization: `bearer ${token}` })).statusCode).toBe(200);
  });

  it('protects /metrics and every discovery endpoint but /api/discovery/health', async () => {
    expect((await get('/metrics')).statusCode).toBe(401);
    expect((await get('/api/discovery/events')).statusCode).toBe(401);
    const put = await h.app.inject({ method: 'PUT', url: '/api/discovery/services/a/instances/b/heartbeat' });
    expect(put.statusCode).toBe(401);
    const del = await h.app.inject({ method: 'DELETE', url: '/api/discovery/services/a' });
    expect(del.statusCode).toBe(401);
    const post = await h.app.inject({ method: 'POST', url: '/api/discovery/services', payload: {} });
    expect(post.statusCode).toBe(401);
    for (const open of ['/api/discovery/health', '/health', '/ready', '/']) {
      expect((await get(open)).statusCode, open).toBe(200);
    }
  });

  it('cannot be dodged by spelling the path differently', async () => {
    for (const url of ['/%6detrics', '/api/discovery/%73ervices', '/metrics?x=1']) {
      const res = await get(url);
      expect([401, 404], url).toContain(res.statusCode);
      expect(res.statusCode === 200, url).toBe(false);
    }
  });

  it('from the 21st failure within a minute answers 429 with Retry-After, yet never refuses a valid token', async () => {
    const ip = '10.9.9.9';
    for (let i = 0; i < 20; i++) {
      const res = await get(
        '/api/discovery/services',
        i % 2 ? { authorization: 'Bearer nope-nope-nope' } : {},
        ip,
      );
      expect(res.statusCode).toBe(i % 2 ? 403 : 401);
    }
    const limited = await get('/api/discovery/services', {}, ip);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json()).toMatchObject({ status: 429, code: 'GW_ERR_RATE_LIMITED' });
    expect((await get('/metrics', { authorization: 'Bearer bad-bad-bad' }, ip)).statusCode).toBe(429);
    const valid = await get('/api/discovery/services', { authorization: `Bearer ${TOKEN}` }, ip);
    expect(valid.statusCode).toBe(200);
    // Another client is not affected.
    expect((await get('/api/discovery/services', {}, '10.9.9.10')).statusCode).toBe(401);
  });

  it('answers a CORS preflight without a token', async () => {
    const res = await h.app.inject({
      method: 'OPTIONS',
      url: '/api/discovery/services',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('without a configured token', () => {
  it('the admin API is open', async () => {
    const h = await startAdminApp({ adminTokens: [] });
    try {
      expect((await h.app.inject({ method: 'GET', url: '/api/discovery/services' })).statusCode).toBe(200);
      expect((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    } finally {
      await h.close();
    }
  });
});
