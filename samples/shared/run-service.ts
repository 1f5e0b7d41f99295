import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { defaultPublicUrl, readServiceEnv, SampleConfigError, type ServiceEnv } from './env.js';
import { type Registration, startRegistration } from './registration.js';
import type { ServiceInfo, ServiceOptions } from './service-app.js';

/** How to make one sample service: its identity, default port and builder. */
export interface ServiceMain {
  info: ServiceInfo;
  defaultPort: number;
  build(options: ServiceOptions, env: ServiceEnv): Promise<FastifyInstance>;
}

export interface RunningService {
  app: FastifyInstance;
  /** The URL the service registered as (PUBLIC_URL or derived from HOST and the bound port). */
  url: string;
  /** Present when GATEWAY_URL is set. */
  registration: Registration | undefined;
  /** Deregisters, then closes the server. */
  stop(): Promise<void>;
}

/** Listens on HOST:PORT and, when GATEWAY_URL is set, registers with the gateway and heartbeats. */
export async function startService(
  main: ServiceMain,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<RunningService> {
  const env = readServiceEnv(processEnv, main.defaultPort);
  const app = await main.build({ logLevel: env.logLevel }, env);
  await app.listen({ port: env.port, host: env.host });
  const { port } = app.server.address() as AddressInfo;
  const url = env.publicUrl ?? defaultPublicUrl(env.host, port);
  const registration = env.gatewayUrl
    ? startRegistration({
        gatewayUrl: env.gatewayUrl,
        serviceName: main.info.name,
        baseUrl: url,
        ttlSeconds: env.ttlSeconds,
        metadata: { version: main.info.version, sample: true },
        token: env.adminToken,
        logger: app.log,
      })
    : undefined;
  if (!registration) app.log.info('GATEWAY_URL is not set: not registering with a gateway');
  return {
    app,
    url,
    registration,
    async stop() {
      await registration?.stop();
      await app.close();
    },
  };
}

/** A sample's process entry: start, stop cleanly on SIGTERM/SIGINT, one clear line on a bad setting. */
export function runServiceMain(main: ServiceMain): void {
  const fail = (line: string) => {
    process.stderr.write(`${main.info.name}: ${line}\n`);
    process.exit(1);
  };
  startService(main).then(
    (service) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        service.stop().then(
          () => process.exit(0),
          (err) => fail(`shutdown failed: ${(err as Error).message}`),
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (err: NodeJS.ErrnoException) => {
      if (err instanceof SampleConfigError) return fail(`configuration error: ${err.message}`);
      if (err.code === 'EADDRINUSE') return fail(`cannot start: ${err.message} (set PORT)`);
      return fail(`cannot start: ${err.message}`);
    },
  );
}
