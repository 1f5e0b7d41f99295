import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../../src/config/index.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { http, listenLocal } from './helpers.js';

/** A real gateway (see test/helpers/gateway.ts) plus the sample apps registered with it. */
export interface GatewayFixture extends StartedGateway {
  /** Listens a sample app on 127.0.0.1, registers it under `name` through the admin API; returns its URL. */
  addService(name: string, app: FastifyInstance): Promise<string>;
}

export async function startGatewayWith(overrides: Partial<GatewayConfig> = {}): Promise<GatewayFixture> {
  const started = await startGateway({ healthCheckIntervalMs: 1_000, ...overrides });
  const apps: FastifyInstance[] = [];
  return {
    ...started,
    async addService(name, app) {
      apps.push(app);
      const base = await listenLocal(app);
      const res = await http('POST', `${started.url}/api/discovery/services`, {
        service_name: name,
        base_url: base,
      });
      if (res.status !== 201) throw new Error(`registering ${name} answered ${res.status}: ${res.text}`);
      return base;
    },
    async close() {
      await started.close();
      await Promise.all(apps.map((app) => app.close()));
    },
  };
}
