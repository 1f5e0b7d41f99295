import type { FastifyInstance } from 'fastify';
import { createCollection, type RecordFields, type StoredRecord } from './collection.js';
import { type CrudResource, registerCrudRoutes } from './crud-routes.js';
import { createServiceApp, type ServiceInfo, type ServiceOptions } from './service-app.js';

/** A sample service made of one CRUD resource: what distinguishes user, product and order service. */
export interface CrudServiceDefinition<TInput, TRecord extends StoredRecord>
  extends Omit<CrudResource<TInput, TRecord>, 'collection'> {
  info: ServiceInfo;
  /** Demo records inserted at start (unless `seed: false`), ids 1, 2, 3, ... */
  seed: readonly RecordFields<TRecord>[];
}

export async function buildCrudService<TInput, TRecord extends StoredRecord>(
  definition: CrudServiceDefinition<TInput, TRecord>,
  options: ServiceOptions = {},
): Promise<FastifyInstance> {
  const app = await createServiceApp(definition.info, options);
  const collection = createCollection<TRecord>();
  registerCrudRoutes(app, { ...definition, collection });
  if (options.seed !== false) for (const fields of definition.seed) collection.insert(fields);
  return app;
}
