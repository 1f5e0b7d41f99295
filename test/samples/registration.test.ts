import { afterEach, describe, expect, it } from 'vitest';
import { type RunningService, startRegistration, startService } from '../../samples/shared/index.js';
import { buildUserService, USER_SERVICE } from '../../samples/user-service/service.js';
import { waitFor } from '../helpers/wait-for.js';
import { type GatewayFixture, startGatewayWith } from './gateway-fixture.js';
import { http } from './helpers.js';

const userMain = { info: USER_SERVICE, defaultPort: 8001, build: () => buildUserService() };
const quietLogger = { info: () => {}, warn: () => {} };

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function gatewayFor(test: Parameters<typeof startGatewayWith>[0] = {}): Promise<GatewayFixture> {
  const fixture = await startGatewayWith(test);
  cleanup.push(() => fixture.close());
  return fixture;
}

async function startUserService(env: Record<string, string>): Promise<RunningService> {
  const service = await startService(userMain, {
    PORT: '0',
    HOST: '127.0.0.1',
    REGISTRATION_TTL_SECONDS: '5',
    ...env,
  });
  cleanup.push(() => service.stop());
  return service;
}

const instancesOf = async (gateway: string, name: string) => {
  const res = await http('GET', `${gateway}/api/discovery/services/${name}`);
  return res.status === 404
    ? []
    : (res.body.instances as { instance_id: string; base_url: string; lease_expires_at: string }[]);
};

describe('sample self-registration', () => {
  it('registers with GATEWAY_URL, keeps its lease by heartbeats, and deregisters on stop', async () => {
    const { url: gateway } = await gatewayFor();
    const service = await startUserService({ GATEWAY_URL: gateway });
    const id = await service.registration!.registered();

    const [instance] = await instancesOf(gateway, 'user-service');
    expect(instance).toMatchObject({
      instance_id: id,
      base_url: service.url,
      metadata: { version: '1.0.0', sample: true },
    });
    const firstLease = Date.parse(instance!.lease_expires_at);

    // Past the first lease's end, the instance is still there with a later lease.
    await waitFor(
      async () => {
        const [now] = await instancesOf(gateway, 'user-service');
        return now && Date.parse(now.lease_expires_at) > firstLease + 1_000;
      },
      10_000,
      'a lease renewed past the first one',
    );
    await waitFor(() => Date.now() > firstLease + 500, 10_000, 'the first lease to be over');
    expect((await instancesOf(gateway, 'user-service')).map((i) => i.instance_id)).toEqual([id]);

    await service.stop();
    expect(await instancesOf(gateway, 'user-service')).toEqual([]);
  });

  it('registers again when a heartbeat answers 404', async () => {
    const { url: gateway } = await gatewayFor();
    const service = await startUserService({ GATEWAY_URL: gateway });
    const id = await service.registration!.registered();
    expect((await http('DELETE', `${gateway}/api/discovery/services/user-service`)).status).toBe(200);
    await waitFor(
      async () => (await instancesOf(gateway, 'user-service')).length > 0,
      10_000,
      're-registration',
    );
    expect(service.registration!.instanceId).toBe(id);
  });

  it('keeps retrying while the gateway is down and registers once it is back', async () => {
    const first = await startGatewayWith();
    await first.close();
    const registration = startRegistration({
      gatewayUrl: first.url,
      serviceName: 'late-service',
      baseUrl: 'http://127.0.0.1:1/',
      ttlSeconds: 5,
      metadata: {},
      logger: quietLogger,
      retryMinMs: 50,
    });
    cleanup.push(() => registration.stop());
    const second = await gatewayFor({ port: first.port });
    const id = await registration.registered();
    expect((await instancesOf(second.url, 'late-service')).map((i) => [i.instance_id, i.base_url])).toEqual([
      [id, 'http://127.0.0.1:1'],
    ]);
  });

  it('sends GATEWAY_ADMIN_TOKEN as a bearer token', async () => {
    const token = 'sample-token-1234';
    const { url: gateway } = await gatewayFor({ adminTokens: [token] });
    const service = await startUserService({ GATEWAY_URL: gateway, GATEWAY_ADMIN_TOKEN: token });
    await service.registration!.registered();
    const res = await fetch(`${gateway}/api/discovery/services/user-service`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
  });

  it('does not register without GATEWAY_URL', async () => {
    const service = await startUserService({});
    expect(service.registration).toBeUndefined();
    expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
