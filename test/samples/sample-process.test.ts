import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, type Watched, watch } from '../e2e/process-helpers.js';
import { ensureBuilt } from '../helpers/spawn-gateway.js';
import { waitFor } from '../helpers/wait-for.js';
import { type GatewayFixture, startGatewayWith } from './gateway-fixture.js';
import { http } from './helpers.js';

/** A sample run as its own process from the build, the way `npm run start:product-service` runs it. */

let fixture: GatewayFixture;
const processes: Watched[] = [];

beforeAll(async () => {
  await ensureBuilt();
  fixture = await startGatewayWith();
}, 180_000);
afterAll(async () => {
  for (const p of processes) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
  await fixture?.close();
});

function runSample(env: Record<string, string>): Watched {
  const started = watch(
    process.execPath,
    ['dist/samples/product-service/main.js'],
    cleanEnv({ LOG_LEVEL: 'info', ...env }),
  );
  processes.push(started);
  return started;
}

const leaseOf = async () => {
  const res = await http('GET', `${fixture.url}/api/discovery/services/product-service`);
  return res.status === 200 ? Date.parse(res.body.instances[0].lease_expires_at) : undefined;
};

describe('a sample process started with GATEWAY_URL', () => {
  it('registers, renews its lease, and is gone from the registry after SIGTERM', async () => {
    const sample = runSample({
      PORT: '0',
      HOST: '127.0.0.1',
      GATEWAY_URL: fixture.url,
      REGISTRATION_TTL_SECONDS: '5',
    });
    const first = await waitFor(leaseOf, 15_000, 'the registration');
    await waitFor(async () => (await leaseOf())! > first, 10_000, 'a heartbeat');

    const proxied = await http('GET', `${fixture.url}/proxy/product-service/api/products/1`);
    expect(proxied.body).toMatchObject({ id: 1, name: 'Laptop' });

    sample.proc.kill('SIGTERM');
    expect(await sample.exited).toEqual({ code: 0, signal: null });
    expect((await http('GET', `${fixture.url}/api/discovery/services/product-service`)).status).toBe(404);
    expect(sample.output()).toContain('deregistered from the gateway');
  }, 40_000);

  it('refuses a bad setting with one line and exit code 1', async () => {
    const sample = runSample({ PORT: 'abc' });
    expect((await sample.exited).code).toBe(1);
    expect(sample.output().trim()).toBe(
      'product-service: configuration error: PORT must be an integer from 0 to 65535, got "abc"',
    );
  });
});
