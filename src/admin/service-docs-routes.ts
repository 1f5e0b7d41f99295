import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ADMIN_SECURITY, AUTH_PROBLEMS, problem, ServiceParamsSchema } from './schemas.js';
import { DOCS_PREFIX, type ServiceDocs } from './service-docs.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route needs the admin token when GATEWAY_ADMIN_TOKEN is set, like the patterns
     * auth.ts lists; decided per matched route, so no spelling of the URL skips the check.
     */
    adminToken?: boolean;
  }
}

export const ServiceDocListSchema = Type.Array(
  Type.Object({
    service_name: Type.String(),
    url: Type.String({ description: 'The rewritten document, on this gateway' }),
    status: Type.Unsafe<string>({
      type: 'string',
      enum: ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'],
      description: 'The service status; an UNHEALTHY service has no instance to fetch a document from',
    }),
  }),
);

const tags = ['docs'];

/**
 * The service documents behind Swagger UI's definition selector. They name every registered
 * service, so with an admin token configured they need it, as the discovery API does.
 */
export function serviceDocsRoutes(app: FastifyInstance, docs: ServiceDocs): void {
  app.get(
    `${DOCS_PREFIX}/services`,
    {
      config: { adminToken: true },
      schema: {
        tags,
        security: ADMIN_SECURITY,
        summary: 'Registered services whose own API Swagger UI offers',
        description:
          'Swagger UI lists these after the gateway itself; each document is fetched when selected.',
        response: { 200: ServiceDocListSchema, ...AUTH_PROBLEMS },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return docs.list();
    },
  );

  app.get<{ Params: { service_name: string } }>(
    `${DOCS_PREFIX}/services/:service_name/openapi.json`,
    {
      config: { adminToken: true },
      schema: {
        tags,
        security: ADMIN_SECURITY,
        summary: "A service's own OpenAPI document, pointed at the gateway",
        description:
          'Fetched from one routable instance (`metadata.openapi_url`, else `{base_url}/openapi.json`), ' +
          'kept for a minute or until the service changes. Its server is `/proxy/{service_name}` ' +
          '(Swagger 2.0: `basePath`), so "Try it out" goes through the gateway.',
        params: ServiceParamsSchema,
        response: {
          200: Type.Object({}, { additionalProperties: true, description: 'OpenAPI 3.x or Swagger 2.0' }),
          ...AUTH_PROBLEMS,
          404: problem('No such service'),
          502: problem('No instance serves an OpenAPI document (missing, not JSON, too large, too slow)'),
          503: problem('The service has no healthy instance to fetch it from'),
        },
      },
    },
    async (request, reply) => {
      const json = await docs.document(request.params.service_name);
      // Already serialized once per fetch: a string body skips the response serializer.
      return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(json);
    },
  );
}
