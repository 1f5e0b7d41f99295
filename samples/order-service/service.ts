import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  buildCrudService,
  type FieldContext,
  ProblemError,
  recordSchemaOf,
  type ServiceOptions,
} from '../shared/index.js';
import { type Catalog, type CatalogProduct, createCatalog } from './catalog.js';

export const ORDER_SERVICE = {
  name: 'order-service',
  version: '1.0.0',
  description:
    'Sample order service of msa-gateway: checks the user and products of each order through the gateway ' +
    'and keeps the total from the product prices.',
};

const ORDER_STATUSES = ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled'] as const;

export const OrderInputSchema = Type.Object(
  {
    user_id: Type.Integer({ minimum: 1, examples: [1] }),
    items: Type.Array(
      Type.Object(
        { product_id: Type.Integer({ minimum: 1 }), quantity: Type.Integer({ minimum: 1, maximum: 1000 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50, examples: [[{ product_id: 1, quantity: 2 }]] },
    ),
    // No schema `default`: Fastify would fill it into PATCH bodies and reset the status.
    status: Type.Optional(
      Type.Union(
        ORDER_STATUSES.map((s) => Type.Literal(s)),
        { description: 'Default pending' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type OrderInput = Static<typeof OrderInputSchema>;

const OrderLineSchema = Type.Object({
  product_id: Type.Integer(),
  quantity: Type.Integer(),
  unit_price: Type.Number(),
  line_total: Type.Number(),
});
type OrderLine = Static<typeof OrderLineSchema>;

export const OrderSchema = recordSchemaOf({
  user_id: Type.Integer(),
  items: Type.Array(OrderLineSchema),
  total: Type.Number({ description: 'Sum of unit_price × quantity over the items' }),
  status: Type.String({ enum: [...ORDER_STATUSES] }),
});
export type Order = Static<typeof OrderSchema>;

export interface OrderServiceOptions extends ServiceOptions {
  /** The gateway the look-ups go through; default GATEWAY_URL's default, http://localhost:8000. */
  gatewayUrl?: string;
  lookupTimeoutMs?: number;
}

/** Money in cents while adding, so 3 × 0.1 is 0.3 and not 0.30000000000000004. */
const cents = (amount: number) => Math.round(amount * 100);

function priceLines(
  input: OrderInput,
  products: Map<number, CatalogProduct>,
): { items: OrderLine[]; total: number } {
  let totalCents = 0;
  const items = input.items.map(({ product_id, quantity }) => {
    const unitCents = cents(products.get(product_id)!.price);
    totalCents += unitCents * quantity;
    return { product_id, quantity, unit_price: unitCents / 100, line_total: (unitCents * quantity) / 100 };
  });
  return { items, total: totalCents / 100 };
}

/** Checks user and products through the gateway; 422 naming every unknown id. */
async function checkReferences(catalog: Catalog, input: OrderInput, requestId?: string) {
  const ids = [...new Set(input.items.map((item) => item.product_id))];
  const [userExists, found] = await Promise.all([
    catalog.userExists(input.user_id, requestId),
    Promise.all(ids.map((id) => catalog.product(id, requestId))),
  ]);
  const products = new Map(found.flatMap((p, i) => (p ? [[ids[i]!, p] as const] : [])));
  const errors = input.items.flatMap((item, i) =>
    products.has(item.product_id)
      ? []
      : [{ field: `body.items.${i}.product_id`, message: `product ${item.product_id} does not exist` }],
  );
  if (!userExists) errors.unshift({ field: 'body.user_id', message: `user ${input.user_id} does not exist` });
  if (errors.length > 0) {
    throw new ProblemError(422, errors.map((e) => e.message).join('; '), { errors });
  }
  return products;
}

const sameLines = (order: Order, input: OrderInput) =>
  order.user_id === input.user_id &&
  order.items.length === input.items.length &&
  order.items.every(
    (line, i) => line.product_id === input.items[i]!.product_id && line.quantity === input.items[i]!.quantity,
  );

/**
 * The order service: CRUD on `/api/orders`. Creating an order, or changing its user or items,
 * checks them through the gateway and prices the lines; a status-only change does not call out.
 */
export function buildOrderService(options: OrderServiceOptions = {}): Promise<FastifyInstance> {
  const catalog = createCatalog({
    gatewayUrl: options.gatewayUrl ?? 'http://localhost:8000',
    ...(options.lookupTimeoutMs ? { timeoutMs: options.lookupTimeoutMs } : {}),
  });
  async function toFields(input: OrderInput, { current, request }: FieldContext<Order>) {
    const status = input.status ?? 'pending';
    if (current && sameLines(current, input))
      return { user_id: current.user_id, items: current.items, total: current.total, status };
    const requestId = request.headers['x-request-id'];
    const products = await checkReferences(
      catalog,
      input,
      typeof requestId === 'string' ? requestId : undefined,
    );
    return { user_id: input.user_id, ...priceLines(input, products), status };
  }
  return buildCrudService<OrderInput, Order>(
    {
      info: ORDER_SERVICE,
      path: '/api/orders',
      noun: 'order',
      recordSchema: OrderSchema,
      inputSchema: OrderInputSchema,
      // Alice's first order: one laptop and two mice at the demo catalog's prices.
      seed: [
        {
          user_id: 1,
          items: [
            { product_id: 1, quantity: 1, unit_price: 1299.99, line_total: 1299.99 },
            { product_id: 2, quantity: 2, unit_price: 24.5, line_total: 49 },
          ],
          total: 1348.99,
          status: 'confirmed',
        },
      ],
      toInput: ({ user_id, items, status }) => ({
        user_id,
        items: items.map(({ product_id, quantity }) => ({ product_id, quantity })),
        status: status as OrderInput['status'],
      }),
      toFields,
    },
    options,
  );
}
