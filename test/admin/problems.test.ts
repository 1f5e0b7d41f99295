import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGatewayError } from '../../src/admin/problems.js';
import { GatewayError } from '../../src/errors.js';
import { type AdminHarness, startAdminApp } from '../helpers/admin-app.js';

describe('translating errors to problems', () => {
  it.each([
    ['a GatewayError as it is', new GatewayError('GW_ERR_CONFLICT', 'x'), 409],
    [
      'a body syntax error as 400',
      Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 }),
      400,
    ],
    [
      'a body over the limit as 413',
      Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }),
      413,
    ],
    [
      'an unknown media type as 415',
      Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }),
      415,
    ],
    ['another 4xx by its status', Object.assign(new Error('x'), { statusCode: 405 }), 405],
  ])('maps %s', (_name, err, status) => {
    expect(toGatewayError(err)?.status).toBe(status);
  });

  it('names every field of an ajv validation error', () => {
    const err = Object.assign(new Error('bad'), {
      validation: [
        { instancePath: '/service_name', message: 'must match pattern' },
        { instancePath: '', message: 'must have required property', params: { missingProperty: 'x' } },
      ],
      validationContext: 'querystring',
    });
    expect(toGatewayError(err)?.extra.errors).toEqual([
      { field: 'querystring.service_name', message: 'must match pattern' },
      { field: 'querystring.x', message: 'must have required property' },
    ]);
  });

  it('leaves anything else to the 500 path', () => {
    expect(toGatewayError(new Error('database password is hunter2'))).toBeNull();
  });
});

describe('problem answers of the admin app', () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdminApp();
  });
  afterAll(() => h.close());

  const expectProblem = (
    res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
    status: number,
  ) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json() as Record<string, unknown>;
    expect(body).toMatchObject({
      status,
      type: expect.stringMatching(/^https:\/\//),
      title: expect.any(String),
    });
    expect(body.request_id).toBe(res.headers['x-request-id']);
    return body;
  };

  it('an unknown route is a 404 problem, never HTML', async () => {
    const body = expectProblem(await h.app.inject({ method: 'GET', url: '/nope/../x?y=1' }), 404);
    expect(body.code).toBe('GW_ERR_ROUTE_NOT_FOUND');
  });

  it('a wrong method on a known path is a 404 problem', async () => {
    expectProblem(await h.app.inject({ method: 'PATCH', url: '/api/discovery/services' }), 404);
  });

  it('malformed JSON is a 400 problem', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/discovery/services',
      headers: { 'content-type': 'application/json' },
      payload: '{"service_name": "a",',
    });
    expect(expectProblem(res, 400).code).toBe('GW_ERR_BAD_REQUEST');
  });

  it('a prototype-poisoning body is refused with 400', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/discovery/services',
      headers: { 'content-type': 'application/json' },
      payload: '{"service_name":"a","base_url":"http://a","__proto__":{"admin":true}}',
    });
    expectProblem(res, 400);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
    'a %s body is 415',
    async (type) => {
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/discovery/services',
        headers: { 'content-type': type },
        payload: 'service_name=a',
      });
      expect(expectProblem(res, 415).code).toBe('GW_ERR_UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it('a body over 64 KiB is 413', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/discovery/services',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        service_name: 'a',
        base_url: 'http://a',
        metadata: { pad: 'x'.repeat(65 * 1024) },
      }),
    });
    expect(expectProblem(res, 413).code).toBe('GW_ERR_BODY_TOO_LARGE');
  });

  it('an empty JSON body on a bodyless endpoint is not an error', async () => {
    const res = await h.app.inject({
      method: 'DELETE',
      url: '/api/discovery/services/nothing-here',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 404);
  });

  it('a malformed URL is a 400 problem', async () => {
    expect(expectProblem(await h.app.inject({ method: 'GET', url: '/%zz' }), 400).code).toBe(
      'GW_ERR_BAD_REQUEST',
    );
  });

  it('a bad query parameter is a 400 problem naming it', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/discovery/events?service_name=-x' });
    const body = expectProblem(res, 400);
    expect(body.errors).toEqual([{ field: 'querystring.service_name', message: expect.any(String) }]);
  });

  it('an internal failure is a 500 problem that reveals nothing', async () => {
    const original = h.registry.serviceNames;
    h.registry.serviceNames = () => {
      throw new Error('database password is hunter2');
    };
    try {
      const res = await h.app.inject({ method: 'GET', url: '/' });
      const body = expectProblem(res, 500);
      expect(res.body).not.toMatch(/hunter2|at .*\.ts/);
      expect(body.code).toBe('GW_ERR_INTERNAL');
    } finally {
      h.registry.serviceNames = original;
    }
  });

  it('keeps a sane client X-Request-ID and replaces an unsafe one', async () => {
    const kept = await h.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'abc-123.X_y' },
    });
    expect(kept.headers['x-request-id']).toBe('abc-123.X_y');
    const replaced = await h.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'a b<script>' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await h.app.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'x-request-id': 'req-42' },
    });
    expect(problem.headers['x-request-id']).toBe('req-42');
    expect(problem.json().request_id).toBe('req-42');
  });
});
