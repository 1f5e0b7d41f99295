import { join } from 'node:path';
import type { ChildSpec } from './child.js';

/** One process `npm start` runs, with where to probe it and what the URL table says of it. */
export interface PlannedProcess extends ChildSpec {
  port: number;
  title: string;
  description: string;
  /** Base URL to probe from this machine (loopback when listening on every address). */
  probeUrl: string;
  /** URL shown to the user. */
  displayUrl: string;
}

export interface StartPlan {
  gateway: PlannedProcess;
  samples: PlannedProcess[];
  startupTimeoutMs: number;
  stopTimeoutMs: number;
}

const SAMPLES = [
  {
    name: 'user-service',
    title: 'User Service',
    description: 'users (sample)',
    portVar: 'USER_SERVICE_PORT',
    port: 8001,
  },
  {
    name: 'product-service',
    title: 'Product Service',
    description: 'products (sample)',
    portVar: 'PRODUCT_SERVICE_PORT',
    port: 8002,
  },
  {
    name: 'order-service',
    title: 'Order Service',
    description: 'orders (sample)',
    portVar: 'ORDER_SERVICE_PORT',
    port: 8003,
  },
] as const;

export class PlanError extends Error {}

function portOf(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65_535) {
    throw new PlanError(`${name} must be a port number from 1 to 65535, got "${raw}"`);
  }
  return Number(raw);
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new PlanError(`${name} must be a number of milliseconds, got "${raw}"`);
  return Number(raw);
}

/** Where to reach a server listening on `host` from this machine. */
export function loopbackFor(host: string | undefined): string {
  if (!host || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The gateway and the three samples, from the environment: PORT and HOST for the gateway,
 * USER_SERVICE_PORT / PRODUCT_SERVICE_PORT / ORDER_SERVICE_PORT for the samples. The samples
 * get GATEWAY_URL so they register themselves (with a lease), which is why the gateway's own
 * pre-registration of the samples is off unless REGISTER_SAMPLE_SERVICES says otherwise.
 */
export function planFromEnv(env: NodeJS.ProcessEnv, root: string): StartPlan {
  const host = loopbackFor(env.HOST?.trim());
  const gatewayPort = portOf(env, 'PORT', 8000);
  const gatewayUrl = `http://${host}:${gatewayPort}`;
  const node = (script: string) => ({
    command: process.execPath,
    args: [join(root, 'dist', script)],
    cwd: root,
  });
  const gateway: PlannedProcess = {
    name: 'gateway',
    ...node('src/main.js'),
    env: {
      ...env,
      PORT: String(gatewayPort),
      REGISTER_SAMPLE_SERVICES: env.REGISTER_SAMPLE_SERVICES ?? 'false',
    },
    port: gatewayPort,
    title: 'Gateway',
    description: 'main gateway',
    probeUrl: gatewayUrl,
    displayUrl: `http://localhost:${gatewayPort}`,
  };
  const samples = SAMPLES.map((sample): PlannedProcess => {
    const port = portOf(env, sample.portVar, sample.port);
    // PUBLIC_URL names one process; inherited by all three it would register them at one URL.
    const { PUBLIC_URL: _ignored, ...inherited } = env;
    return {
      name: sample.name,
      ...node(`samples/${sample.name}/main.js`),
      env: { ...inherited, PORT: String(port), GATEWAY_URL: gatewayUrl },
      port,
      title: sample.title,
      description: sample.description,
      probeUrl: `http://${host}:${port}`,
      displayUrl: `http://localhost:${port}`,
    };
  });
  return {
    gateway,
    samples,
    startupTimeoutMs: milliseconds(env, 'STARTUP_TIMEOUT_MS', 60_000),
    stopTimeoutMs: milliseconds(env, 'STOP_TIMEOUT_MS', 10_000),
  };
}

/** The URL table of the original README, with the ports in use. */
export function urlTable(plan: StartPlan): string {
  const rows = [
    ['Service', 'URL', 'Description'],
    [plan.gateway.title, plan.gateway.displayUrl, plan.gateway.description],
    ['API Docs', `${plan.gateway.displayUrl}/docs`, 'Swagger UI'],
    ...plan.samples.map((s) => [s.title, s.displayUrl, s.description]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}
