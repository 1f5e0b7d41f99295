import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { addressPolicyFor } from '../security/index.js';
import { createServiceDocs, DOCS_PREFIX } from './service-docs.js';
import { serviceDocsRoutes } from './service-docs-routes.js';
import { initializerScript, overrideInitializer } from './service-docs-ui.js';
import type { AdminDeps } from './types.js';

const UI_CONFIG = { docExpansion: 'list', deepLinking: true, persistAuthorization: true } as const;

/**
 * OpenAPI document and Swagger UI. @fastify/swagger runs in dynamic mode: it collects every
 * route's TypeBox schemas (the same objects that validate requests and serialize answers), so
 * the document cannot drift from the code. Must be registered before the routes it describes.
 * The UI also offers every registered service's own document (service-docs*.ts).
 */
export async function registerDocs(app: FastifyInstance, version: string, deps: AdminDeps): Promise<void> {
  await app.register(swagger, {
    // Shared schemas keep their $id as their name under components.schemas (`Problem`).
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      // 3.1: schemas are JSON Schema 2020-12, so `null` unions and `examples` arrays stay as written.
      openapi: '3.1.0',
      info: {
        title: 'msa-gateway',
        version,
        description:
          'API gateway with a built-in service registry: register instances, watch their health, ' +
          'and proxy `/proxy/{service_name}/{path}` to a healthy one. Errors are RFC 9457 problem JSON.',
      },
      tags: [
        { name: 'gateway', description: "The gateway's own endpoints" },
        { name: 'discovery', description: 'Service registry: register, list, deregister, heartbeat, events' },
        { name: 'docs', description: "Registered services' own OpenAPI documents, pointed at the gateway" },
      ],
      components: {
        securitySchemes: {
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'GATEWAY_ADMIN_TOKEN (needed only when the gateway is configured with one)',
          },
        },
      },
    },
  });
  // Its own scope, so replacing the initializer route looks at the plugin's routes only.
  await app.register(async (scope) => {
    overrideInitializer(scope, initializerScript(UI_CONFIG));
    await scope.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      uiConfig: UI_CONFIG,
      // Fastify's default CSP plus `upgrade-insecure-requests`, which would break the UI on plain http.
      staticCSP:
        "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; frame-ancestors 'self'; " +
        "img-src 'self' data: validator.swagger.io; object-src 'none'; script-src 'self'; " +
        "script-src-attr 'none'; style-src 'self' https: 'unsafe-inline'; connect-src 'self'",
    });
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const serviceDocs = createServiceDocs({
    registry: deps.registry,
    health: deps.health,
    events: deps.events,
    logger: deps.logger,
    checkAddress: addressPolicyFor(deps.config),
  });
  app.addHook('onClose', () => serviceDocs.close());
  serviceDocsRoutes(app, serviceDocs);
}
