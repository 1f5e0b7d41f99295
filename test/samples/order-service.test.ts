import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrderService } from '../../samples/order-service/service.js';
import { buildProductService } from '../../samples/product-service/service.js';
import { buildUserService } from '../../samples/user-service/service.js';
import { type GatewayFixture, startGatewayWith } from './gateway-fixture.js';
import { http, listenLocal } from './helpers.js';

describe('order-service, checking orders through a real gateway', () => {
  let fixture: GatewayFixture;
  let orders: string;

  beforeAll(async () => {
    fixture = await startGatewayWith();
    await fixture.addService('user-service', await buildUserService());
    await fixture.addService('product-service', await buildProductService());
    orders = await fixture.addService('order-service', await buildOrderService({ gatewayUrl: fixture.url }));
  });
  afterAll(() => fixture.close());

  it('creates a valid order: 201, lines priced from product-service, total = Σ price × quantity', async () => {
    const res = await http('POST', `${orders}/api/orders`, {
      user_id: 1,
      items: [
        { product_id: 1, quantity: 2 },
        { product_id: 2, quantity: 3 },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      user_id: 1,
      status: 'pending',
      total: 2673.48,
      items: [
        { product_id: 1, quantity: 2, unit_price: 1299.99, line_total: 2599.98 },
        { product_id: 2, quantity: 3, unit_price: 24.5, line_total: 73.5 },
      ],
    });
  });

  it('answers 422 naming an unknown product id', async () => {
    const res = await http('POST', `${orders}/api/orders`, {
      user_id: 2,
      items: [
        { product_id: 1, quantity: 1 },
        { product_id: 99, quantity: 1 },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.detail).toBe('product 99 does not exist');
    expect(res.body.errors).toEqual([
      { field: 'body.items.1.product_id', message: 'product 99 does not exist' },
    ]);
  });

  it('answers 422 naming an unknown user, together with unknown products', async () => {
    const res = await http('POST', `${orders}/api/orders`, {
      user_id: 42,
      items: [{ product_id: 77, quantity: 1 }],
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'body.user_id',
      'body.items.0.product_id',
    ]);
    expect(res.body.detail).toContain('user 42');
  });

  it('works end to end through the gateway: create and read back via /proxy/order-service', async () => {
    const created = await http('POST', `${fixture.url}/proxy/order-service/api/orders`, {
      user_id: 3,
      items: [{ product_id: 3, quantity: 2 }],
    });
    expect(created.status).toBe(201);
    expect(created.body.total).toBe(178);
    const read = await http('GET', `${fixture.url}/proxy/order-service/api/orders/${created.body.id}`);
    expect(read.body).toEqual(created.body);
  });

  it('re-prices on a changed line but keeps the total on a status-only change', async () => {
    const patched = await http('PATCH', `${orders}/api/orders/1`, { status: 'shipped' });
    expect(patched.body).toMatchObject({ id: 1, status: 'shipped', total: 1348.99 });
    const repriced = await http('PATCH', `${orders}/api/orders/1`, {
      items: [{ product_id: 2, quantity: 4 }],
    });
    expect(repriced.body).toMatchObject({
      status: 'shipped',
      total: 98,
      items: [{ product_id: 2, line_total: 98 }],
    });
    expect(
      (await http('PUT', `${orders}/api/orders/1`, { user_id: 1, items: [{ product_id: 5, quantity: 1 }] }))
        .status,
    ).toBe(422);
  });

  it('lists and deletes orders', async () => {
    const list = await http('GET', `${orders}/api/orders?limit=100`);
    expect(list.body.total).toBe(list.body.items.length);
    expect((await http('DELETE', `${orders}/api/orders/1`)).status).toBe(204);
    expect((await http('GET', `${orders}/api/orders/1`)).status).toBe(404);
  });
});

describe('order-service when its dependencies fail', () => {
  let fixture: GatewayFixture;
  let orders: FastifyInstance;

  beforeAll(async () => {
    fixture = await startGatewayWith();
    await fixture.addService('user-service', await buildUserService());
    const broken = Fastify();
    broken.get('/health', async () => ({ status: 'healthy' }));
    broken.get('/api/products/:id', async (_req, reply) => reply.code(500).send({ oops: true }));
    await fixture.addService('product-service', broken);
  });
  afterAll(async () => {
    await orders?.close();
    await fixture.close();
  });

  const order = { user_id: 1, items: [{ product_id: 1, quantity: 1 }] };

  it('answers 502 when product-service fails behind the gateway', async () => {
    orders = await buildOrderService({ gatewayUrl: fixture.url });
    const res = await http('POST', `${await listenLocal(orders)}/api/orders`, order);
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ status: 502, title: 'Bad Gateway' });
    expect(res.body.detail).toContain('product-service answered 500');
  });

  it('answers 503 when the gateway does not know the service', async () => {
    await http('DELETE', `${fixture.url}/api/discovery/services/product-service`);
    const res = await orders.inject({ method: 'POST', url: '/api/orders', payload: order });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().detail).toContain('product-service is not available through the gateway');
  });

  it('answers 503 when the gateway cannot be reached', async () => {
    const closed = await buildOrderService({ gatewayUrl: 'http://127.0.0.1:9', lookupTimeoutMs: 2_000 });
    const res = await closed.inject({ method: 'POST', url: '/api/orders', payload: order });
    await closed.close();
    expect(res.statusCode).toBe(503);
    expect(res.json().detail).toContain('cannot reach the gateway at http://127.0.0.1:9');
  });
});
