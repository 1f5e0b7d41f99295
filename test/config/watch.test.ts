import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { watchConfigFile } from '../../src/config/watch.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function billingYaml(instance: HealthServer, prefixes: string[]): string {
  const routes = prefixes.map((p) => `  - { prefix: ${p}, service: billing }`).join('\n');
  return `services:\n  - { service_name: billing, base_url: "${instance.url}" }\nroutes:\n${routes}\n`;
}

async function start(yaml: string, logLines: string[] = []): Promise<{ gw: StartedGateway; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-watch-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yaml);
  const env = { GATEWAY_CONFIG: file, REGISTRY_STORE: 'memory', REGISTER_SAMPLE_SERVICES: 'false' };
  const fileConfig = loadConfig(env);
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  const gw = await startGateway(
    {
      configFile: file,
      services: fileConfig.services,
      routes: fileConfig.routes,
      healthCheckIntervalMs: 200,
      healthCheckTimeoutMs: 150,
    },
    { logger },
  );
  cleanups.push(() => gw.close());
  const stop = watchConfigFile(gw.gateway.config, gw.gateway, env, 50);
  cleanups.push(stop);
  return { gw, file };
}

async function statusOf(url: string): Promise<number> {
  return (await fetch(url)).status;
}

describe('GATEWAY_CONFIG is watched', () => {
  it('applies a new route from the file without a restart', async () => {
    const instance = await startHealthServer({ name: 'billing-1' });
    cleanups.push(() => instance.close());
    const { gw, file } = await start(billingYaml(instance, ['/billing']));
    await waitFor(async () => (await statusOf(`${gw.url}/billing/x`)) === 200, 5_000, 'the first route');
    expect(await statusOf(`${gw.url}/invoices/x`)).toBe(404);

    writeFileSync(file, billingYaml(instance, ['/billing', '/invoices']));
    await waitFor(async () => (await statusOf(`${gw.url}/invoices/x`)) === 200, 5_000, 'the added route');
    expect(instance.requests.some((r) => r.url === '/invoices/x')).toBe(true);
  });

  it('refuses an invalid file and keeps the running routes', async () => {
    const instance = await startHealthServer({ name: 'billing-1' });
    cleanups.push(() => instance.close());
    const logLines: string[] = [];
    const { gw, file } = await start(billingYaml(instance, ['/billing']), logLines);
    await waitFor(async () => (await statusOf(`${gw.url}/billing/x`)) === 200, 5_000, 'the first route');

    writeFileSync(file, 'routes: [{ prefix: no-slash, service: billing }]\n');
    const refusal = await waitFor(
      () => logLines.find((line) => line.includes('config reload refused')),
      5_000,
      'the refusal log line',
    );
    expect(refusal).toMatch(/routes\.0\.prefix/);
    expect(await statusOf(`${gw.url}/billing/x`)).toBe(200);
    writeFileSync(file, billingYaml(instance, ['/billing', '/later']));
    await waitFor(async () => (await statusOf(`${gw.url}/later/x`)) === 200, 5_000, 'the later valid route');
    expect(await statusOf(`${gw.url}/billing/x`)).toBe(200);
  });

  it('deregisters a service removed from the file and registers a new one', async () => {
    const a = await startHealthServer({ name: 'a' });
    const b = await startHealthServer({ name: 'b' });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const { gw, file } = await start(billingYaml(a, ['/billing']));
    await waitFor(() => gw.gateway.registry.instancesOf('billing').length === 1, 5_000, 'billing registered');

    writeFileSync(file, billingYaml(b, ['/billing']));
    await waitFor(
      () => {
        const urls = gw.gateway.registry.instancesOf('billing').map((i) => i.base_url);
        return urls.length === 1 && urls[0] === b.url;
      },
      5_000,
      'billing moved to the new instance',
    );
  });
});
