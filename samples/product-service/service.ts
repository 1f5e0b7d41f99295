import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { assertUnique, buildCrudService, recordSchemaOf, type ServiceOptions } from '../shared/index.js';

export const PRODUCT_SERVICE = {
  name: 'product-service',
  version: '1.0.0',
  description: 'Sample product service of msa-gateway: a catalog with prices and stock.',
};

export const ProductInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['Laptop'] }),
    sku: Type.String({
      pattern: '^[A-Z0-9-]{3,32}$',
      description: 'Unique stock-keeping unit',
      examples: ['LAP-13'],
    }),
    price: Type.Number({
      minimum: 0,
      maximum: 1_000_000,
      description: 'Unit price, rounded to cents',
      examples: [1299.99],
    }),
    currency: Type.Optional(
      Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, default USD' }),
    ),
    stock: Type.Integer({ minimum: 0, examples: [10] }),
  },
  { additionalProperties: false },
);
export type ProductInput = Static<typeof ProductInputSchema>;

export const ProductSchema = recordSchemaOf({
  name: Type.String(),
  sku: Type.String(),
  price: Type.Number(),
  currency: Type.String(),
  stock: Type.Integer(),
});
export type Product = Static<typeof ProductSchema>;

export const DEMO_PRODUCTS = [
  { name: 'Laptop', sku: 'LAP-13', price: 1299.99, currency: 'USD', stock: 10 },
  { name: 'Wireless Mouse', sku: 'MOU-01', price: 24.5, currency: 'USD', stock: 200 },
  { name: 'Mechanical Keyboard', sku: 'KEY-87', price: 89, currency: 'USD', stock: 50 },
] as const satisfies readonly ProductInput[];

/** The product service: CRUD on `/api/products`; a SKU belongs to one product (409 otherwise). */
export function buildProductService(options: ServiceOptions = {}): Promise<FastifyInstance> {
  return buildCrudService<ProductInput, Product>(
    {
      info: PRODUCT_SERVICE,
      path: '/api/products',
      noun: 'product',
      recordSchema: ProductSchema,
      inputSchema: ProductInputSchema,
      seed: DEMO_PRODUCTS,
      toInput: ({ name, sku, price, currency, stock }) => ({ name, sku, price, currency, stock }),
      toFields(input, context) {
        assertUnique(context, 'product', 'sku', input.sku);
        const price = Math.round(input.price * 100) / 100;
        return { ...input, name: input.name.trim(), price, currency: input.currency ?? 'USD' };
      },
    },
    options,
  );
}
