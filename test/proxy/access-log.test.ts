/**
 * The access log (one `proxied` line per request) and W3C trace propagation, through a real
 * gateway whose logger writes to a captured stream.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
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
  /** The access line number `i` (from 0), once written. */
  const accessLine = async (i: number, what: string) => {
    await waitFor(() => proxied().length > i, 2_000, what);
    return proxied()[i]!;
  };
  return { gw, lines, proxied, accessLine };
}

describe('access log', () => {
  it('writes one line per request with ids, sizes, status and the trace id sent on', async () => {
    const { gw, accessLine } = await setUp();
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

    const line = await accessLine(0, 'the access line');
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

describe('access log of WebSocket upgrades', () => {
  /** An instance whose WebSocket endpoint echoes messages; `refuse` answers the handshake 401. */
  async function wsInstance(refuse = false) {
    const instance = await startInstance(echo('ws'));
    const wss = new WebSocketServer({ server: instance.server, verifyClient: () => !refuse });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
    return instance;
  }

  function open(url: string, headers: Record<string, string>): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected ${res.statusCode}`)));
    });
  }

  it('writes one line when the tunnel closes: 101, duration, bytes both ways, ids', async () => {
    const { gw, proxied, accessLine } = await setUp();
    const instance = await wsInstance();
    await gw.gateway.registry.register({ service_name: 'chat', base_url: instance.url, instance_id: 'w1' });
    const ws = await open(`${gw.url.replace('http', 'ws')}/proxy/chat/room?u=1`, {
      'x-request-id': 'ws-42',
      traceparent: `00-${TRACE}-${PARENT}-01`,
    });
    for (const text of ['hello', 'x'.repeat(1000)]) {
      const reply = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
      ws.send(text);
      expect(await reply).toBe(text);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(proxied()).toEqual([]); // nothing while the tunnel is open
    ws.close();
    const line = await accessLine(0, 'the upgrade access line');
    expect(proxied()).toHaveLength(1);
    expect(line).toMatchObject({
      method: 'GET',
      path: '/proxy/chat/room?u=1',
      service: 'chat',
      instance: 'w1',
      status: 101,
      request_id: 'ws-42',
      retries: 0,
      trace_id: TRACE,
    });
    // Masked client frames (6-byte header + payload, 4-byte length for 1000) and the close frame.
    expect(line.bytes_in as number).toBeGreaterThanOrEqual(5 + 6 + 1000 + 8);
    expect(line.bytes_out as number).toBeGreaterThanOrEqual(5 + 2 + 1000 + 4);
    expect(line.duration_ms as number).toBeGreaterThanOrEqual(50);
    expect(Object.keys(line).sort()).toEqual(
      [
        'level',
        'time',
        'pid',
        'hostname',
        'msg',
        'method',
        'path',
        'service',
        'instance',
        'status',
        'duration_ms',
        'bytes_in',
        'bytes_out',
        'request_id',
        'retries',
        'trace_id',
      ].sort(),
    );
  });

  it('writes one line for a refused upgrade: the gateway own refusal, and an instance answer other than 101', async () => {
    const { gw, proxied } = await setUp();
    await expect(open(`${gw.url.replace('http', 'ws')}/proxy/nobody/x`, {})).rejects.toThrow(
      'unexpected 404',
    );
    await waitFor(() => proxied().length === 1, 2_000, 'the refusal line');
    expect(proxied()[0]).toMatchObject({ service: 'nobody', instance: null, status: 404, trace_id: null });

    const picky = await wsInstance(true);
    await gw.gateway.registry.register({ service_name: 'picky', base_url: picky.url, instance_id: 'p1' });
    await expect(open(`${gw.url.replace('http', 'ws')}/proxy/picky/x`, {})).rejects.toThrow('unexpected 401');
    await waitFor(() => proxied().length === 2, 2_000, 'the relayed refusal line');
    expect(proxied()[1]).toMatchObject({ service: 'picky', instance: 'p1', status: 401, bytes_in: 0 });
    expect(proxied()[1]!.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is silent with ACCESS_LOG=false', async () => {
    const { gw, lines } = await setUp({ accessLog: false });
    const instance = await wsInstance();
    await gw.gateway.registry.register({ service_name: 'chat', base_url: instance.url });
    const ws = await open(`${gw.url.replace('http', 'ws')}/proxy/chat/x`, {});
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.filter((l) => l.msg === 'proxied')).toEqual([]);
  });
});
