import { describe, expect, it } from 'vitest';
import { buildProductService } from '../../samples/product-service/service.js';
import { http, useService } from './helpers.js';

const service = useService(() => buildProductService());

describe('product-service', () => {
  it('lists the demo catalog with prices', async () => {
    const res = await http('GET', `${service.base}/api/products?limit=2`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(res.body.items).toEqual([
      expect.objectContaining({ id: 1, name: 'Laptop', price: 1299.99, currency: 'USD' }),
      expect.objectContaining({ id: 2, name: 'Wireless Mouse', price: 24.5 }),
    ]);
  });

  it('creates a product with the currency defaulted and the price rounded to cents', async () => {
    const res = await http('POST', `${service.base}/api/products`, {
      name: 'USB Cable',
      sku: 'USB-C1',
      price: 9.999,
      stock: 3,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'USB Cable',
      sku: 'USB-C1',
      price: 10,
      currency: 'USD',
      stock: 3,
    });
  });

  it('answers 409 for a SKU that another product holds', async () => {
    const res = await http('POST', `${service.base}/api/products`, {
      name: 'Laptop 2',
      sku: 'LAP-13',
      price: 1,
      stock: 1,
    });
    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([{ field: 'body.sku', message: 'is already in use' }]);
  });

  it('answers 400 for a negative price, a fractional stock and a bad SKU', async () => {
    const res = await http('POST', `${service.base}/api/products`, {
      name: 'Bad',
      sku: 'lower',
      price: -1,
      stock: 1.5,
    });
    expect(res.status).toBe(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['body.price', 'body.sku', 'body.stock']);
  });

  it('patches the stock, replaces with PUT, deletes with 204', async () => {
    const patched = await http('PATCH', `${service.base}/api/products/3`, { stock: 49 });
    expect(patched.body).toMatchObject({ id: 3, name: 'Mechanical Keyboard', stock: 49, price: 89 });
    const put = await http('PUT', `${service.base}/api/products/3`, {
      name: 'Keyboard',
      sku: 'KEY-87',
      price: 79,
      stock: 1,
    });
    expect(put.body).toMatchObject({ id: 3, name: 'Keyboard', price: 79, currency: 'USD' });
    expect((await http('DELETE', `${service.base}/api/products/3`)).status).toBe(204);
    expect((await http('GET', `${service.base}/api/products/3`)).status).toBe(404);
  });
});
