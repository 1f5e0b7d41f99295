import type { FastifyInstance, FastifySchema } from 'fastify';
import { GatewayError } from '../errors.js';
import { type RegistrationInput, RegistrationInputSchema } from '../registry/index.js';
import { statusRoutes } from './discovery-status-routes.js';
import type { EventStreams } from './event-stream.js';
import { combinedStatus, instanceRecord, serviceListJson, serviceRecordJson } from './records.js';
import {
  ADMIN_SECURITY,
  AUTH_PROBLEMS,
  DISCOVERY_TAGS,
  HeartbeatResponseSchema,
  InstanceParamsSchema,
  InstanceRecordSchema,
  problem,
  RegisterResponseSchema,
  ServiceListSchema,
  ServiceParamsSchema,
  ServiceRecordSchema,
} from './schemas.js';
import type { AdminDeps } from './types.js';

/** The service discovery API (SPEC section 4). */

type ServiceParams = { Params: { service_name: string } };
type InstanceParams = { Params: { service_name: string; instance_id: string } };

const tags = DISCOVERY_TAGS;
const security = ADMIN_SECURITY;
const auth = AUTH_PROBLEMS;

function serviceNotFound(name: string): GatewayError {
  return new GatewayError('GW_ERR_SERVICE_NOT_FOUND', `No service named "${name}" is registered`);
}

function instanceNotFound(service: string, id: string): GatewayError {
  return new GatewayError('GW_ERR_INSTANCE_NOT_FOUND', `Service "${service}" has no instance "${id}"`);
}

const registerSchema: FastifySchema = {
  tags,
  security,
  summary: 'Register an instance of a service (or update it)',
  description:
    'A new `base_url` (or `instance_id`) adds an instance (201); the same one again updates it (200). ' +
    'Answers at once: a new instance is `UNKNOWN` until its first health check. ' +
    'Every invalid field is named in one 400 answer.',
  body: RegistrationInputSchema,
  response: {
    200: { description: 'An existing instance was updated', ...RegisterResponseSchema },
    201: { description: 'A new instance was added', ...RegisterResponseSchema },
    400: problem('Invalid body: `errors` names every failing field'),
    ...auth,
    413: problem('Body larger than 64 KiB'),
    415: problem('Body is not application/json'),
    503: problem('The registry store is unavailable'),
  },
};

/**
 * The registry validates registrations itself (every field at once, no coercion, plus the
 * address policy it was built with), so the route's validator only passes the body through:
 * the schema above is there for the OpenAPI document, and one validation answers.
 */
const passThrough = () => (data: unknown) => ({ value: data });

const JSON_TYPE = 'application/json; charset=utf-8';

function registerRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { registry, health } = deps;
  app.post(
    '/api/discovery/services',
    { schema: registerSchema, validatorCompiler: passThrough },
    async (req, reply) => {
      const result = await registry.register(req.body as RegistrationInput);
      const name = result.instance.service_name;
      const id = `,"instance_id":${JSON.stringify(result.instance.instance_id)}`;
      reply
        .code(result.created ? 201 : 200)
        .header('location', `/api/discovery/services/${encodeURIComponent(name)}`)
        .type(JSON_TYPE);
      // A JSON string skips the response serializer (records.ts caches each instance's JSON).
      return (
        serviceRecordJson(name, registry, health, id) ??
        `{"service_name":${JSON.stringify(name)},"status":"UNKNOWN","instances":[]${id}}`
      );
    },
  );

  app.get(
    '/api/discovery/services',
    {
      schema: {
        tags,
        security,
        summary: 'List every service and its instances',
        response: { 200: ServiceListSchema, ...auth },
      },
    },
    async (_req, reply) => {
      reply.type(JSON_TYPE);
      return serviceListJson(registry, health);
    },
  );

  app.get<ServiceParams>(
    '/api/discovery/services/:service_name',
    {
      schema: {
        tags,
        security,
        summary: 'One service with its instances and their health',
        params: ServiceParamsSchema,
        response: { 200: ServiceRecordSchema, ...auth, 404: problem('No such service') },
      },
    },
    async (req, reply) => {
      const json = serviceRecordJson(req.params.service_name, registry, health);
      if (json === null) throw serviceNotFound(req.params.service_name);
      reply.type(JSON_TYPE);
      return json;
    },
  );
}

function removalRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { registry, health } = deps;
  app.delete<ServiceParams>(
    '/api/discovery/services/:service_name',
    {
      schema: {
        tags,
        security,
        summary: 'Deregister a service (every instance)',
        params: ServiceParamsSchema,
        response: { 200: ServiceRecordSchema, ...auth, 404: problem('No such service') },
      },
    },
    async (req) => {
      const name = req.params.service_name;
      // Health facts are read before removal: afterwards the monitor has forgotten the instances.
      const before = new Map(
        registry.instancesOf(name).map((r) => [r.instance_id, health.healthOf(name, r.instance_id)]),
      );
      const removed = await registry.deregisterService(name);
      if (!removed || removed.length === 0) throw serviceNotFound(name);
      const instances = removed.map((r) =>
        instanceRecord(r, before.get(r.instance_id) ?? health.healthOf(name, r.instance_id)),
      );
      return { service_name: name, status: combinedStatus(instances.map((i) => i.status)), instances };
    },
  );

  app.delete<InstanceParams>(
    '/api/discovery/services/:service_name/instances/:instance_id',
    {
      schema: {
        tags,
        security,
        summary: 'Deregister one instance',
        params: InstanceParamsSchema,
        response: { 200: InstanceRecordSchema, ...auth, 404: problem('No such instance') },
      },
    },
    async (req) => {
      const { service_name: name, instance_id: id } = req.params;
      const facts = health.healthOf(name, id);
      const removed = await registry.deregisterInstance(name, id);
      if (!removed) throw instanceNotFound(name, id);
      return instanceRecord(removed, facts);
    },
  );

  app.put<InstanceParams>(
    '/api/discovery/services/:service_name/instances/:instance_id/heartbeat',
    {
      schema: {
        tags,
        security,
        summary: "Renew an instance's lease",
        params: InstanceParamsSchema,
        description:
          'A 404 means the instance is gone (its lease ran out, or it was removed): register it again.',
        response: { 200: HeartbeatResponseSchema, ...auth, 404: problem('No such instance: register again') },
      },
    },
    async (req) => {
      const { service_name: name, instance_id: id } = req.params;
      const renewed = await registry.heartbeat(name, id);
      if (!renewed) throw instanceNotFound(name, id);
      return { lease_expires_at: renewed.lease_expires_at };
    },
  );
}

export function discoveryRoutes(app: FastifyInstance, deps: AdminDeps, streams: EventStreams): void {
  registerRoutes(app, deps);
  removalRoutes(app, deps);
  statusRoutes(app, deps, streams);
}
