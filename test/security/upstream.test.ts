/**
 * An instance cannot make the gateway fetch something else for it: redirects are passed back to
 * the client unchanged, never followed, by the proxy and by the health checker alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import { startHealthServer } from '../helpers/health-server.js';
import { call } from '../helpers/http.js';
import { waitFor } from '../helpers/wait-for.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

describe('upstream redirects', () => {
  it('the proxy passes a redirect back with its Location and never follows it', async () => {
    const target = await startHealthServer({ name: 'target' });
    open.push(target);
    const redirecting = await startHealthServer({
      handler: (_req, res) => {
        res.writeHead(302, { location: `${target.url}/internal/secret` }).end();
        return true;
      },
    });
    open.push(redirecting);
    const gw = await startGateway({ healthCheckIntervalMs: 60_000 });
    open.push(gw);
    await gw.gateway.registry.register({ service_name: 'svc', base_url: redirecting.url });
    const res = await fetch(`${gw.url}/proxy/svc/go`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${target.url}/internal/secret`);
    expect(target.requests.filter((r) => r.url !== '/health')).toEqual([]);
  });

  it('a health check that answers with a redirect fails and is not followed', async () => {
    const target = await startHealthServer({ name: 'target' });
    open.push(target);
    const redirecting = await startHealthServer({
      handler: (req, res) => {
        if (req.url !== '/hc') return false;
        res.writeHead(302, { location: target.healthUrl }).end();
        return true;
      },
    });
    open.push(redirecting);
    const gw = await startGateway({ healthCheckIntervalMs: 60_000 });
    open.push(gw);
    await gw.gateway.registry.register({
      service_name: 'svc',
      base_url: redirecting.url,
      health_check_url: `${redirecting.url}/hc`,
    });
    const [instance] = gw.gateway.registry.instancesOf('svc');
    await waitFor(
      () => gw.gateway.health.healthOf('svc', instance!.instance_id).status === 'UNHEALTHY',
      5_000,
      'the redirecting instance to be UNHEALTHY',
    );
    expect(target.hits).toBe(0);
    const record = await call('GET', `${gw.url}/api/discovery/services/svc`);
    expect(JSON.stringify(record.body)).toMatch(/302/);
  });
});
