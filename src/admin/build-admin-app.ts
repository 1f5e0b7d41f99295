import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import { GatewayError } from '../errors.js';
import { requestIdFrom } from '../http/request-id.js';
import { createAdminAuth, isProtectedRoute } from './auth.js';
import { discoveryRoutes } from './discovery-routes.js';
import { registerDocs } from './docs.js';
import { createEventStreams, type EventStreams } from './event-stream.js';
import { gatewayRoutes, packageVersion } from './gateway-routes.js';
import { clientErrorHandler, frameworkErrors, installProblemHandlers } from './problems.js';
import { ProblemSchema } from './schemas.js';
import type { AdminDeps } from './types.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** SPEC section 8: admin JSON bodies are limited to 64 KiB (413 beyond). */
export const ADMIN_BODY_LIMIT = 64 * 1024;

/**
 * The gateway's own HTTP surface (info, health, docs, metrics, discovery API, events) as one
 * Fastify app. It never creates a server: `serverFactory` hands Fastify's handler to the
 * caller's server, whose request handler runs the proxy first and passes the rest here.
 */
export async function buildAdminApp(
  deps: AdminDeps,
  serverFactory: (handler: RequestHandler) => Server,
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    serverFactory: (handler) => serverFactory(handler),
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    requestIdHeader: false,
    // Fastify's per-request lines would double the proxy's access log; ours (onResponse) is debug.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: ADMIN_BODY_LIMIT,
    // Our own onRequest hook answers 503 while closing, as problem JSON instead of Fastify's body.
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // instance_id may be 128 characters; find-my-way's default limit is 100.
    routerOptions: { maxParamLength: 256 },
    ajv: { customOptions: { coerceTypes: false, allErrors: true, removeAdditional: false } },
    clientErrorHandler,
    frameworkErrors,
  }) as unknown as FastifyInstance;

  const streams = createEventStreams({
    events: deps.events,
    logger: deps.logger,
    ...(deps.sseHeartbeatMs ? { heartbeatMs: deps.sseHeartbeatMs } : {}),
  });
  installHooks(app, deps, streams);
  installParsers(app);
  installProblemHandlers(app);
  app.addSchema(ProblemSchema);
  await registerCors(app, deps.config.allowedOrigins);
  if (deps.config.docsEnabled) await registerDocs(app, packageVersion(), deps);
  gatewayRoutes(app, deps);
  discoveryRoutes(app, deps, streams);
  // Not made ready here: the caller may still register plugins (the dashboard) before listen().
  return app;
}

function installHooks(app: FastifyInstance, deps: AdminDeps, streams: EventStreams): void {
  let closing = false;
  const clientIp = deps.clientIp;
  const clientOf = clientIp
    ? (request: FastifyRequest) => clientIp(request.raw)
    : (request: FastifyRequest) => request.ip;
  const checkToken = createAdminAuth({
    tokens: deps.config.adminTokens,
    clientIp: clientOf,
    onRefused: (request, reason) => {
      // The token itself is never logged: only who tried, why it was refused and where.
      const facts = { ip: clientOf(request), reason, path: request.routeOptions.url };
      // Once a client is limited its further attempts are noise: counted, logged at debug only.
      if (reason === 'limited') {
        deps.metrics.rateLimitedTotal.inc({ scope: 'admin_auth' });
        request.log.debug(facts, 'admin token attempt refused: too many failures');
      } else {
        request.log.warn(facts, 'admin token refused');
      }
    },
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
      throw new GatewayError('GW_ERR_SHUTTING_DOWN', 'The gateway is shutting down', {
        retryAfterSeconds: 1,
      });
    }
    const { url, config } = request.routeOptions;
    // A route asks for the token by its pattern (auth.ts) or its config (`adminToken`, /docs/services*).
    if (checkToken && request.method !== 'OPTIONS' && (isProtectedRoute(url) || config.adminToken === true)) {
      checkToken(request);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.observeRequest('', request.method, reply.statusCode, reply.elapsedTime / 1000);
    request.log.debug(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'admin request',
    );
  });
  // Before the server stops accepting: open event streams would otherwise hold close() forever.
  app.addHook('preClose', async () => {
    closing = true;
    streams.closeAll();
  });
}

/**
 * JSON only (anything else is 415), with prototype-poisoning refused. An empty body counts as
 * no body, so a client that sends `content-type: application/json` on a bodyless DELETE or
 * heartbeat is not refused; a registration without a body still fails its validation.
 */
function installParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}

/** CORS from ALLOWED_ORIGINS: `*` any origin, a list exactly those, empty none (no CORS headers at all). */
async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    exposedHeaders: ['X-Request-ID', 'Retry-After', 'WWW-Authenticate', 'Location'],
    maxAge: 600,
  });
}
