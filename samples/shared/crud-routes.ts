import { type Static, type TObject, type TProperties, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import type { Collection, RecordFields, StoredRecord } from './collection.js';
import { ProblemError, ProblemSchema } from './problem.js';

/**
 * One resource's REST surface: list (paginated), get, create, replace, patch, delete.
 * The three samples differ only in their schemas and in `toFields` (uniqueness checks,
 * references checked through the gateway, computed totals), so the routes live once here.
 */
export interface CrudResource<TInput, TRecord extends StoredRecord> {
  /** Collection path, e.g. `/api/users`. */
  path: string;
  /** Singular noun for messages, e.g. `user`. */
  noun: string;
  recordSchema: TObject;
  /** Body of POST and PUT; PATCH takes any non-empty subset of it. */
  inputSchema: TObject;
  collection: Collection<TRecord>;
  /** The record's fields for a full input; throws ProblemError for conflicts or unknown references. */
  toFields(
    input: TInput,
    context: FieldContext<TRecord>,
  ): RecordFields<TRecord> | Promise<RecordFields<TRecord>>;
  /** The input a record stands for: what PATCH merges its partial body onto. */
  toInput(record: TRecord): TInput;
}

export interface FieldContext<TRecord extends StoredRecord> {
  /** The record being replaced or patched; absent on create. */
  current?: TRecord;
  collection: Collection<TRecord>;
  request: FastifyRequest;
}

/** Throws 409 when another record than `current` already holds `value` in `field`. */
export function assertUnique<TRecord extends StoredRecord>(
  { collection, current }: FieldContext<TRecord>,
  noun: string,
  field: keyof TRecord & string,
  value: string,
): void {
  const key = value.toLowerCase();
  const owner = collection.find((r) => String(r[field]).toLowerCase() === key && r.id !== current?.id);
  if (owner) {
    throw new ProblemError(409, `${field} ${value} is already used by ${noun} ${owner.id}`, {
      errors: [{ field: `body.${field}`, message: 'is already in use' }],
    });
  }
}

/** A stored record's schema: `id`, the resource's own fields, then the timestamps. */
export function recordSchemaOf<T extends TProperties>(fields: T) {
  return Type.Object({
    id: Type.Integer({ minimum: 1 }),
    ...fields,
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  });
}

export const PageQuerySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size (1-100)' }),
    offset: Type.Integer({ minimum: 0, default: 0, description: 'Items to skip' }),
  },
  { additionalProperties: false },
);

const IdParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1 }) });
type IdParams = { id: number };

const problems = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ProblemSchema]));

/**
 * Adds the six routes of `resource` to `app`, each with its OpenAPI description. A changed
 * record may disappear while `toFields` awaits a remote check; the update then answers 404.
 */
export function registerCrudRoutes<TInput, TRecord extends StoredRecord>(
  app: FastifyInstance,
  resource: CrudResource<TInput, TRecord>,
): void {
  const { path, noun, collection, recordSchema, inputSchema } = resource;
  const itemPath = `${path}/:id`;
  const tags = [path.split('/').pop() ?? noun];
  const doc = (summary: string, schema: FastifySchema) => ({ schema: { tags, summary, ...schema } });
  const found = (id: number): TRecord => {
    const record = collection.get(id);
    if (!record) throw new ProblemError(404, `${noun} ${id} not found`);
    return record;
  };
  const save = async (id: number, input: TInput, request: FastifyRequest) => {
    const fields = await resource.toFields(input, { current: found(id), collection, request });
    return collection.update(id, fields) ?? found(id);
  };
  const page = Type.Object({
    items: Type.Array(recordSchema),
    total: Type.Integer(),
    ...PageQuerySchema.properties,
  });
  const written = { 200: recordSchema, ...problems(400, 404, 409, 422, 502, 503) };
  const created = { 201: recordSchema, ...problems(400, 409, 422, 502, 503) };

  app.get<{ Querystring: Static<typeof PageQuerySchema> }>(
    path,
    doc(`List ${tags[0]}`, { querystring: PageQuerySchema, response: { 200: page, ...problems(400) } }),
    async ({ query }) => collection.page(query.limit, query.offset),
  );
  app.get<{ Params: IdParams }>(
    itemPath,
    doc(`Get one ${noun}`, {
      params: IdParamsSchema,
      response: { 200: recordSchema, ...problems(400, 404) },
    }),
    async ({ params }) => found(params.id),
  );
  app.post(
    path,
    doc(`Create a ${noun}`, { body: inputSchema, response: created }),
    async (request, reply) => {
      const record = collection.insert(
        await resource.toFields(request.body as TInput, { collection, request }),
      );
      return reply.code(201).header('location', `${path}/${record.id}`).send(record);
    },
  );
  app.put<{ Params: IdParams }>(
    itemPath,
    doc(`Replace a ${noun}`, { params: IdParamsSchema, body: inputSchema, response: written }),
    async (request) => save(request.params.id, request.body as TInput, request),
  );
  app.patch<{ Params: IdParams }>(
    itemPath,
    doc(`Change some fields of a ${noun}`, {
      params: IdParamsSchema,
      body: Type.Partial(inputSchema, { minProperties: 1 }),
      response: written,
    }),
    async (request) => {
      const merged = { ...resource.toInput(found(request.params.id)), ...(request.body as Partial<TInput>) };
      return save(request.params.id, merged, request);
    },
  );
  app.delete<{ Params: IdParams }>(
    itemPath,
    doc(`Delete a ${noun}`, {
      params: IdParamsSchema,
      response: { 204: Type.Null(), ...problems(400, 404) },
    }),
    async ({ params }, reply) => {
      collection.remove(found(params.id).id);
      return reply.code(204).send();
    },
  );
}
