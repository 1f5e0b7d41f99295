import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { stdTimeFunctions } from 'pino';
import { installProblemHandlers } from './problem.js';

export interface ServiceInfo {
  name: string;
  version: string;
  description: string;
}

/** What every `buildXxxService` accepts. */
export interface ServiceOptions {
  /** Pino level, or false for no logging (the default, which suits tests). */
  logLevel?: string | false;
  /** Start with the demo data (default true). */
  seed?: boolean;
}

export const HealthSchema = Type.Object({
  status: Type.Literal('healthy'),
  service: Type.String(),
  version: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  uptime_seconds: Type.Number(),
});

/**
 * A Fastify app with what every sample shares: problem-JSON errors, `/health`, its own
 * OpenAPI document at `/openapi.json` (the gateway's Swagger UI fetches it from there) and
 * Swagger UI at `/docs`. Routes are added by the caller before `ready()`.
 */
export async function createServiceApp(
  info: ServiceInfo,
  options: ServiceOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    // The same line shape as the gateway's logs: ISO time, level name, the service's name.
    logger: options.logLevel
      ? {
          level: options.logLevel,
          base: { service: info.name },
          timestamp: stdTimeFunctions.isoTime,
          formatters: { level: (label: string) => ({ level: label }) },
        }
      : false,
    // The gateway checks /health every few seconds; logging each check would drown the rest.
    logController: new LogController({ disableRequestLogging: (request) => request.url === '/health' }),
    // Unknown fields are an error (400), not silently dropped; report every bad field at once.
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  });
  installProblemHandlers(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: info.name, version: info.version, description: info.description },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const startedAt = Date.now();
  app.get(
    '/health',
    { schema: { tags: ['health'], summary: 'Liveness', response: { 200: HealthSchema } } },
    async () => ({
      status: 'healthy' as const,
      service: info.name,
      version: info.version,
      timestamp: new Date().toISOString(),
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    }),
  );
  return app;
}
