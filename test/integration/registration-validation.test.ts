import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { call, isProblem, type JsonResponse } from '../helpers/http.js';

/** SPEC section 4: every bad registration is one 400 problem naming each bad field. */

const VALID = { service_name: 'svc', base_url: 'http://127.0.0.1:9' };

type Body = Record<string, unknown>;
type Errors = { field: string; message: string }[];

describe('registration validation', () => {
  let gw: StartedGateway;
  const register = (body: unknown, headers: Record<string, string> = {}) =>
    call<Body & { errors?: Errors }>('POST', `${gw.url}/api/discovery/services`, body, headers);
  const fieldsOf = (res: JsonResponse<Body & { errors?: Errors }>) =>
    (res.body.errors ?? []).map((e) => e.field);

  beforeAll(async () => {
    gw = await startGateway({ healthCheckIntervalMs: 60_000 });
  });
  afterAll(() => gw.close());

  it.each<[string, Body, string]>([
    ['service_name missing', { base_url: VALID.base_url }, 'service_name'],
    ['service_name empty', { ...VALID, service_name: '' }, 'service_name'],
    ['service_name starting with a dash', { ...VALID, service_name: '-svc' }, 'service_name'],
    ['service_name with a slash', { ...VALID, service_name: 'a/b' }, 'service_name'],
    ['service_name with a space', { ...VALID, service_name: 'a b' }, 'service_name'],
    ['service_name of 64 chars', { ...VALID, service_name: 'a'.repeat(64) }, 'service_name'],
    ['service_name a number', { ...VALID, service_name: 42 }, 'service_name'],
    ['base_url missing', { service_name: 'svc' }, 'base_url'],
    ['base_url with credentials', { ...VALID, base_url: 'http://user:pw@127.0.0.1:9' }, 'base_url'],
    ['base_url with a query', { ...VALID, base_url: 'http://127.0.0.1:9/?a=1' }, 'base_url'],
    ['base_url with an empty query', { ...VALID, base_url: 'http://127.0.0.1:9/?' }, 'base_url'],
    ['base_url with a fragment', { ...VALID, base_url: 'http://127.0.0.1:9/#top' }, 'base_url'],
    ['base_url with white space', { ...VALID, base_url: 'http://127.0.0.1:9/a b' }, 'base_url'],
    ['base_url with a tab', { ...VALID, base_url: 'http://127.0.0.1:9/a\tb' }, 'base_url'],
    ['base_url with a newline', { ...VALID, base_url: 'http://127.0.0.1:9/\n' }, 'base_url'],
    ['base_url with leading space', { ...VALID, base_url: ' http://127.0.0.1:9' }, 'base_url'],
    ['base_url ftp:', { ...VALID, base_url: 'ftp://127.0.0.1/' }, 'base_url'],
    ['base_url relative', { ...VALID, base_url: '/api' }, 'base_url'],
    ['base_url not a URL', { ...VALID, base_url: 'not a url' }, 'base_url'],
    ['base_url a number', { ...VALID, base_url: 80 }, 'base_url'],
    ['health_check_url ftp:', { ...VALID, health_check_url: 'ftp://127.0.0.1/health' }, 'health_check_url'],
    ['health_check_url relative', { ...VALID, health_check_url: '/health' }, 'health_check_url'],
    ['weight as a string "5"', { ...VALID, weight: '5' }, 'weight'],
    ['weight 0', { ...VALID, weight: 0 }, 'weight'],
    ['weight 1001', { ...VALID, weight: 1001 }, 'weight'],
    ['weight 1.5', { ...VALID, weight: 1.5 }, 'weight'],
    ['weight null', { ...VALID, weight: null }, 'weight'],
    ['ttl_seconds 4', { ...VALID, ttl_seconds: 4 }, 'ttl_seconds'],
    ['ttl_seconds 86401', { ...VALID, ttl_seconds: 86_401 }, 'ttl_seconds'],
    ['ttl_seconds "30"', { ...VALID, ttl_seconds: '30' }, 'ttl_seconds'],
    ['ttl_seconds 7.5', { ...VALID, ttl_seconds: 7.5 }, 'ttl_seconds'],
    ['metadata an array', { ...VALID, metadata: [1, 2] }, 'metadata'],
    ['metadata a string', { ...VALID, metadata: 'v1' }, 'metadata'],
    ['metadata null', { ...VALID, metadata: null }, 'metadata'],
    ['metadata over 16 KiB', { ...VALID, metadata: { pad: 'x'.repeat(16 * 1024) } }, 'metadata'],
    ['instance_id empty', { ...VALID, instance_id: '' }, 'instance_id'],
    ['instance_id with a slash', { ...VALID, instance_id: 'a/b' }, 'instance_id'],
    ['instance_id of 129 chars', { ...VALID, instance_id: 'i'.repeat(129) }, 'instance_id'],
    ['an unknown field', { ...VALID, colour: 'blue' }, 'colour'],
  ])('%s → 400 naming %s', async (_name, body, field) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(isProblem(res)).toBe(true);
    expect(res.body.code).toBe('GW_ERR_VALIDATION');
    expect(fieldsOf(res)).toEqual([field]);
    expect(res.body.errors![0]!.message).toEqual(expect.any(String));
  });

  it('names every bad field in one answer', async () => {
    const res = await register({
      service_name: '-bad',
      base_url: 'ftp://x',
      weight: '5',
      ttl_seconds: 1,
      metadata: [],
      instance_id: 'a b',
      health_check_url: 'nope',
      extra: true,
    });
    expect(res.status).toBe(400);
    expect(fieldsOf(res).sort()).toEqual(
      [
        'base_url',
        'extra',
        'health_check_url',
        'instance_id',
        'metadata',
        'service_name',
        'ttl_seconds',
        'weight',
      ].sort(),
    );
  });

  it.each<[string, unknown]>([
    ['an array', [VALID]],
    ['a string', '"svc"'],
    ['null', 'null'],
  ])('a body that is %s is a 400 problem', async (_name, body) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(isProblem(res)).toBe(true);
  });

  it('malformed JSON is a 400 problem', async () => {
    const res = await register('{"service_name": "svc", ');
    expect(res.status).toBe(400);
    expect(isProblem(res)).toBe(true);
    expect(res.body.code).toBe('GW_ERR_BAD_REQUEST');
  });

  it('a non-JSON content type is a 415 problem', async () => {
    const res = await register('service_name=svc', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(isProblem(res)).toBe(true);
  });

  it('a body over 64 KiB is a 413 problem', async () => {
    const res = await register({ ...VALID, metadata: { pad: 'x'.repeat(70 * 1024) } });
    expect(res.status).toBe(413);
    expect(isProblem(res)).toBe(true);
  });

  it('refused registrations leave nothing behind', async () => {
    const res = await call<{ total: number }>('GET', `${gw.url}/api/discovery/services`);
    expect(res.body.total).toBe(0);
  });
});
