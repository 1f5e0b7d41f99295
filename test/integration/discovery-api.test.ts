import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InstanceRecordSchema,
  RegisterResponseSchema,
  ServiceListSchema,
  ServiceRecordSchema,
} from '../../src/admin/schemas.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { call, isProblem } from '../helpers/http.js';

// The schemas are the OpenAPI document's; they also say each object has no other field.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
const closed = <T extends { properties: object }>(schema: T) => ({ ...schema, additionalProperties: false });
const matches = (schema: object, value: unknown) => {
  const ok = ajv.validate(schema, value);
  return ok ? true : ajv.errorsText();
};

type Instance = Record<string, unknown> & { instance_id: string; base_url: string; status: string };
type Service = { service_name: string; status: string; instances: Instance[]; instance_id?: string };

describe('service discovery API', () => {
  let gw: StartedGateway;
  let a: HealthServer;
  let b: HealthServer;
  const api = (path: string) => `${gw.url}/api/discovery${path}`;

  beforeAll(async () => {
    // A long interval: these tests look at registrations, not at health transitions.
    gw = await startGateway({ healthCheckIntervalMs: 60_000 });
    [a, b] = await Promise.all([startHealthServer(), startHealthServer()]);
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('registers a new instance: 201, UNKNOWN, no check yet, defaults applied', async () => {
    const res = await call<Service>('POST', api('/services'), {
      service_name: 'users',
      base_url: `${a.url}/`,
      metadata: { version: '1.0.0' },
    });
    expect(res.status).toBe(201);
    expect(res.body.service_name).toBe('users');
    expect(res.body.instances).toHaveLength(1);
    const instance = res.body.instances[0]!;
    expect(instance).toMatchObject({
      base_url: a.url, // normalized: no trailing slash
      health_check_url: `${a.url}/health`,
      metadata: { version: '1.0.0' },
      weight: 1,
      last_error: null,
      consecutive_failures: 0,
      lease_expires_at: null,
    });
    // The answer does not wait for the first health check.
    expect(instance).toMatchObject({ status: 'UNKNOWN', last_check_at: null });
    expect(res.body.status).toBe('UNKNOWN');
    expect(res.body.instance_id).toBe(instance.instance_id);
    expect(instance.instance_id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(new Date(String(instance.registered_at)).toISOString()).toBe(instance.registered_at);
  });

  it('registering the same base_url again answers 200 and keeps one instance', async () => {
    const res = await call<Service>('POST', api('/services'), {
      service_name: 'users',
      base_url: a.url,
      weight: 5,
    });
    expect(res.status).toBe(200);
    expect(res.body.instances).toHaveLength(1);
    expect(res.body.instances[0]!.weight).toBe(5);
  });

  it('a new base_url for the same service answers 201 and adds one instance', async () => {
    const res = await call<Service>('POST', api('/services'), { service_name: 'users', base_url: b.url });
    expect(res.status).toBe(201);
    expect(res.body.instances.map((i) => i.base_url).sort()).toEqual([a.url, b.url].sort());
  });

  it('lists every service with its total', async () => {
    await call('POST', api('/services'), { service_name: 'orders', base_url: b.url, ttl_seconds: 60 });
    const res = await call<{ services: Service[]; total: number }>('GET', api('/services'));
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    expect(res.body.services.map((s) => s.service_name)).toEqual(['orders', 'users']);
    const orders = res.body.services[0]!;
    expect(orders.instances[0]!.lease_expires_at).toEqual(expect.any(String));
  });

  it('gets one service, or a 404 problem', async () => {
    const res = await call<Service>('GET', api('/services/users'));
    expect(res.status).toBe(200);
    expect(res.body.instances).toHaveLength(2);
    for (const instance of res.body.instances) {
      expect(Object.keys(instance).sort()).toEqual(
        [
          'base_url',
          'consecutive_failures',
          'health_check_url',
          'instance_id',
          'last_check_at',
          'last_error',
          'lease_expires_at',
          'metadata',
          'registered_at',
          'status',
          'ttl_seconds',
          'updated_at',
          'weight',
        ].sort(),
      );
    }
    // The answers are JSON built by hand (records.ts), not by the schema's serializer: they must
    // still be exactly what the OpenAPI document says, fields in the schema's order.
    const fields = Object.keys(InstanceRecordSchema.properties);
    for (const instance of res.body.instances) expect(Object.keys(instance)).toEqual(fields);
    expect(matches(ServiceRecordSchema, res.body)).toBe(true);
    for (const instance of res.body.instances)
      expect(matches(closed(InstanceRecordSchema), instance)).toBe(true);
    expect(Object.keys(res.body)).toEqual(['service_name', 'status', 'instances']);
    const listed = await call('GET', api('/services'));
    expect(matches(ServiceListSchema, listed.body)).toBe(true);
    const again = await call('POST', api('/services'), { service_name: 'users', base_url: a.url, weight: 5 });
    expect(matches(closed(RegisterResponseSchema), again.body)).toBe(true);
    expect(Object.keys(again.body as object)).toEqual(['service_name', 'status', 'instances', 'instance_id']);
    expect(again.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const missing = await call('GET', api('/services/nobody'));
    expect(missing.status).toBe(404);
    expect(isProblem(missing)).toBe(true);
    expect(missing.body.code).toBe('GW_ERR_SERVICE_NOT_FOUND');
  });

  it('renews a lease by heartbeat, or answers 404 for an unknown instance', async () => {
    const orders = await call<Service>('GET', api('/services/orders'));
    const id = orders.body.instances[0]!.instance_id;
    const before = Date.parse(String(orders.body.instances[0]!.lease_expires_at));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await call<{ lease_expires_at: string }>(
      'PUT',
      api(`/services/orders/instances/${id}/heartbeat`),
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['lease_expires_at']);
    expect(Date.parse(res.body.lease_expires_at)).toBeGreaterThan(before);
    // The record read before the heartbeat is not served again from a cache.
    const after = await call<Service>('GET', api('/services/orders'));
    expect(after.body.instances[0]!.lease_expires_at).toBe(res.body.lease_expires_at);
    for (const path of [
      '/services/orders/instances/nope/heartbeat',
      '/services/nobody/instances/x/heartbeat',
    ]) {
      const missing = await call('PUT', api(path));
      expect(missing.status, path).toBe(404);
      expect(isProblem(missing)).toBe(true);
    }
  });

  it('accepts an explicit instance_id of the full 128 characters, also in paths', async () => {
    const id = `i-${'x'.repeat(126)}`;
    const res = await call<Service>('POST', api('/services'), {
      service_name: 'long-ids',
      base_url: `${a.url}/long`,
      instance_id: id,
      ttl_seconds: 30,
    });
    expect(res.status).toBe(201);
    expect(res.body.instance_id).toBe(id);
    expect((await call('PUT', api(`/services/long-ids/instances/${id}/heartbeat`))).status).toBe(200);
    expect((await call('DELETE', api(`/services/long-ids/instances/${id}`))).status).toBe(200);
  });

  it('reports its own health', async () => {
    const res = await call('GET', api('/health'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'healthy',
      store: 'memory',
      services: 2,
      instances: 3,
      healthy_instances: expect.any(Number),
      health_checker: { running: true, interval_ms: 60_000 },
      routing_policy: expect.any(String),
    });
  });

  it('deregisters one instance, or answers 404', async () => {
    const users = await call<Service>('GET', api('/services/users'));
    const target = users.body.instances.find((i) => i.base_url === b.url)!;
    const res = await call<Instance>('DELETE', api(`/services/users/instances/${target.instance_id}`));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ instance_id: target.instance_id, base_url: b.url });
    expect((await call<Service>('GET', api('/services/users'))).body.instances).toHaveLength(1);
    const again = await call('DELETE', api(`/services/users/instances/${target.instance_id}`));
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('GW_ERR_INSTANCE_NOT_FOUND');
  });

  it('deregisters a whole service and answers the removed record, or 404', async () => {
    const res = await call<Service>('DELETE', api('/services/users'));
    expect(res.status).toBe(200);
    expect(res.body.service_name).toBe('users');
    expect(res.body.instances.map((i) => i.base_url)).toEqual([a.url]);
    expect((await call('GET', api('/services/users'))).status).toBe(404);
    const again = await call('DELETE', api('/services/users'));
    expect(again.status).toBe(404);
    expect(isProblem(again)).toBe(true);
  });
});
