/**
 * The access log (one `proxied` line per request) and W3C trace propagation, through a real
 * gateway whose logger writes to a captured stream.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/index.js';
import { startGateway } from '../helpers/gateway.js';
import { closeAll, echo, refusedUrl, send, startInstance, waitFor } from './harness.js';

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
  await closeAll();
});

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

async function setUp(overrides: Partial<GatewayConfig> = {}, level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const instance = await startInstance(echo('a'));
  const gw = await startGateway(overrides, { logger });
  stop = gw.close;
  await gw.gateway.registry.register({ service_name: 'svc', base_url: instance.url, instance_id: 'i1' });
  const proxied = () => lines.filter((l) => l.msg === 'proxied');
  return { gw, lines, proxied };
}

describe('access log', () => {
  it('writes one line per request with ids, sizes, status and the trace id sent on', async () => {
    const { gw, proxied } = await setUp();
    const body = 'x'.repeat(1234);
    const reply = await send('POST', `${gw.url}/proxy/svc/orders?q=1`, {
      body,
      headers: [
        'X-Request-ID',
        'req-42',
        'traceparent',
        `00-${TRACE}-${PARENT}-01`,
        'tracestate',
        'vendor=abc',
        'Authorization',
        'Bearer secret-token',
      ],
    });
    expect(reply.status).toBe(200);
    const seen = reply.json().headers as Record<string, string>;
    // Same trace, the gateway's own span as the parent, flags kept; tracestate untouched.
    expect(seen.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(seen.traceparent!.slice(36, 52)).not.toBe(PARENT);
    expect(seen.tracestate).toBe('vendor=abc');

    await waitFor(() => proxied().length === 1, 2_000, 'the access line');
    const line = proxied()[0]!;
    expect(line).toMatchObject({
      level: 30,
      msg: 'proxied',
      method: 'POST',
      path: '/proxy/svc/orders?q=1',
      service: 'svc',
      instance: 'i1',
      status: 200,
      bytes_in: 1234,
      bytes_out: reply.body.length,
      request_id: 'req-42',
      retries: 0,
      trace_id: TRACE,
    });
    expect(typeof line.duration_ms).toBe('number');
    expect(line.duration_ms as number).toBeGreaterThan(0);
    expect(JSON.stringify(line)).not.toContain('secret-token');
    expect(line).not.toHaveProperty('headers');
  });

  it('starts a trace when none (or an invalid one) came, and logs its id', async () => {
    const { gw, proxied } = await setUp();
    const plain = await send('GET', `${gw.url}/proxy/svc/a`);
    const invalid = await send('GET', `${gw.url}/proxy/svc/b`, {
      headers: ['traceparent', `ff-${TRACE}-${PARENT}-01`],
    });
    await waitFor(() => proxied().length === 2, 2_000, 'two access lines');
    for (const [i, reply] of [plain, invalid].entries()) {
      const sent = (reply.json().headers as Record<string, string>).traceparent!;
      expect(sent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(sent).not.toContain(TRACE);
      expect(proxied()[i]!.trace_id).toBe(sent.slice(3, 35));
      expect(proxied()[i]!.bytes_in).toBe(0);
    }
  });

  it('counts the extra attempts of a retried request', async () => {
    const { gw, proxied } = await setUp();
    const good = await startInstance(echo('good'));
    await gw.gateway.registry.register({
      service_name: 'r',
      base_url: await refusedUrl(),
      instance_id: 'refusing',
      health_check_url: `${good.url}/health`,
      weight: 1000,
    });
    await gw.gateway.registry.register({ service_name: 'r', base_url: good.url, instance_id: 'good' });
    const { health } = gw.gateway;
    await waitFor(
      () =>
        health.healthOf('r', 'refusing').status === 'HEALTHY' &&
        health.healthOf('r', 'good').status === 'HEALTHY',
      5_000,
      'both instances healthy',
    );
    const reply = await send('POST', `${gw.url}/proxy/r/x`, { body: 'abc' });
    expect(reply.status).toBe(200);
    await waitFor(() => proxied().length === 1, 2_000, 'the access line');
    expect(proxied()[0]).toMatchObject({ service: 'r', instance: 'good', retries: 1, bytes_in: 3 });
  });

  it('logs the gateway own refusals too (503 without an instance, 404 unknown service)', async () => {
    const { gw, proxied } = await setUp();
    const path = `/proxy/nobody/${'p'.repeat(3000)}`;
    expect((await send('GET', `${gw.url}${path}`)).status).toBe(404);
    await waitFor(() => proxied().length === 1, 2_000, 'the access line');
    const line = proxied()[0]!;
    expect(line).toMatchObject({
      service: 'nobody',
      instance: null,
      status: 404,
      retries: 0,
      trace_id: null,
    });
    expect(line.path).toBe(path.slice(0, 2048));
  });

  it('is silent with ACCESS_LOG=false, and when the level is above info', async () => {
    for (const [overrides, level] of [
      [{ accessLog: false }, 'info'],
      [{}, 'warn'],
    ] as const) {
      const { gw, lines } = await setUp(overrides, level);
      expect((await send('GET', `${gw.url}/proxy/svc/a`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(lines.filter((l) => l.msg === 'proxied')).toEqual([]);
      await stop?.();
      stop = null;
    }
  });
});
