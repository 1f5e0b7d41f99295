/**
 * OpenTelemetry export through a real gateway, a real instance and a real OTLP/HTTP receiver (a
 * node:http server on 127.0.0.1 that keeps what is POSTed to /v1/traces): the exported span
 * continues the client's trace, carries the span id the instance saw in its traceparent, and
 * follows the HTTP conventions; the sampler's decision is the flag sent on.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { GatewayConfig, OtelConfig } from '../../src/config/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { closeAll, echo, type Handler, send, startGateway, startInstance } from '../proxy/harness.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';

interface Posted {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/** An OTLP/HTTP receiver: answers every export with success and keeps the requests. */
async function startReceiver(): Promise<{ url: string; posted: Posted[]; server: Server }> {
  const posted: Posted[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      posted.push({ path: req.url ?? '', contentType, body: Buffer.concat(chunks) });
      // An empty ExportTraceServiceResponse: `{}` in JSON, zero bytes in protobuf.
      res.writeHead(200, { 'content-type': contentType });
      res.end(contentType.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, posted, server };
}

type OtlpValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number };
}
interface ExportedSpan extends OtlpSpan {
  readonly attrs: Record<string, string | number | boolean | undefined>;
  readonly resource: Record<string, string | number | boolean | undefined>;
}

function flatten(list: { key: string; value: OtlpValue }[] = []) {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const { key, value } of list) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue);
  }
  return out;
}

/** Every span in the JSON exports received so far. */
function spansIn(posted: Posted[]): ExportedSpan[] {
  const spans: ExportedSpan[] = [];
  for (const p of posted) {
    if (p.path !== '/v1/traces' || !p.contentType.includes('json')) continue;
    const request = JSON.parse(p.body.toString('utf8')) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: OtlpValue }[] };
        scopeSpans: { spans: OtlpSpan[] }[];
      }[];
    };
    for (const rs of request.resourceSpans) {
      const resource = flatten(rs.resource.attributes);
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) spans.push({ ...span, attrs: flatten(span.attributes), resource });
      }
    }
  }
  return spans;
}

function otel(url: string, extra: Partial<OtelConfig> = {}): Partial<GatewayConfig> {
  return {
    otel: {
      tracesUrl: `${url}/v1/traces`,
      protocol: 'http/json',
      serviceName: 'gw-under-test',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      ...extra,
    },
  };
}

/** The traceparent an echo instance saw. */
const seenTraceparent = (reply: { json(): Record<string, unknown> }) =>
  (reply.json().headers as Record<string, string>).traceparent!;

const receivers: Server[] = [];
beforeEach(() => {
  // The batch processor's delay (read by the SDK from the environment): short, so tests are quick.
  vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '50');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await closeAll();
  for (const server of receivers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function setUp(extra: Partial<OtelConfig> = {}, handler: Handler = echo('a')) {
  const receiver = await startReceiver();
  receivers.push(receiver.server);
  const instance = await startInstance(handler);
  const gw = await startGateway(otel(receiver.url, extra));
  await gw.register({ service_name: 'svc', base_url: instance.url, instance_id: 'i1' });
  return { gw, receiver };
}

describe('OpenTelemetry export (OTLP/HTTP)', () => {
  it('exports a SERVER span that continues the client trace with the span id sent to the instance', async () => {
    const { gw, receiver } = await setUp();
    const reply = await send('POST', `${gw.url}/proxy/svc/orders?q=secret`, {
      headers: [
        'traceparent',
        `00-${TRACE}-${PARENT}-01`,
        'x-request-id',
        'req-otel',
        'user-agent',
        'otel-test',
      ],
      body: 'hello',
    });
    expect(reply.status).toBe(200);
    const sent = seenTraceparent(reply);
    expect(sent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));

    const span = await waitFor(
      () => spansIn(receiver.posted).find((s) => s.traceId === TRACE),
      10_000,
      'the span at the receiver',
    );
    expect(span.spanId).toBe(sent.slice(36, 52));
    expect(span.parentSpanId).toBe(PARENT);
    expect(span.kind).toBe(2); // SPAN_KIND_SERVER
    expect(span.name).toBe('POST svc');
    expect(span.status?.code ?? 0).toBe(0); // unset: not an error
    expect(span.attrs).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/proxy/svc/orders',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(gw.url).port),
      'user_agent.original': 'otel-test',
      'http.request.body.size': 5,
      'gateway.service': 'svc',
      'gateway.instance': 'i1',
      'gateway.retries': 0,
      'gateway.request_id': 'req-otel',
    });
    expect(JSON.stringify(span.attrs)).not.toContain('secret'); // the query is not exported
    expect(span.resource['service.name']).toBe('gw-under-test');
    expect(receiver.posted[0]!.path).toBe('/v1/traces');
  });

  it('starts a sampled trace when the client sent none, and marks a 5xx as an error', async () => {
    const failing: Handler = (req, res) => {
      if (req.url?.startsWith('/fail')) {
        res.writeHead(503).end('down');
        return;
      }
      echo('a')(req, res);
    };
    const { gw, receiver } = await setUp({}, failing);
    const reply = await send('GET', `${gw.url}/proxy/svc/plain`);
    const sent = seenTraceparent(reply);
    // The default sampler (parent-based, always on) samples a new trace: the flag says so.
    expect(sent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect((await send('GET', `${gw.url}/proxy/svc/fail`)).status).toBe(503);

    await waitFor(() => spansIn(receiver.posted).length === 2, 10_000, 'two spans');
    const [plain, failed] = ['/proxy/svc/plain', '/proxy/svc/fail'].map(
      (path) => spansIn(receiver.posted).find((s) => s.attrs['url.path'] === path)!,
    );
    expect(plain!.traceId).toBe(sent.slice(3, 35));
    expect(plain!.spanId).toBe(sent.slice(36, 52));
    expect(plain!.parentSpanId ?? '').toBe('');
    expect(failed!.status?.code).toBe(2); // STATUS_CODE_ERROR
    expect(failed!.attrs).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
  });

  it('follows the sampler: an unsampled parent, and a ratio of 0, export nothing and send flag 00', async () => {
    const { gw, receiver } = await setUp({ sampler: 'parentbased_traceidratio', samplerRatio: 0 });
    const unsampledParent = await send('GET', `${gw.url}/proxy/svc/a`, {
      headers: ['traceparent', `00-${'1'.repeat(32)}-${PARENT}-00`],
    });
    expect(seenTraceparent(unsampledParent)).toMatch(new RegExp(`^00-${'1'.repeat(32)}-[0-9a-f]{16}-00$`));
    const root = await send('GET', `${gw.url}/proxy/svc/b`);
    expect(seenTraceparent(root)).toMatch(/-00$/);
    // A sampled parent is still followed; its span arrives, and nothing came before it.
    await send('GET', `${gw.url}/proxy/svc/c`, { headers: ['traceparent', `00-${TRACE}-${PARENT}-01`] });
    await waitFor(() => spansIn(receiver.posted).length > 0, 10_000, 'the sampled span');
    expect(spansIn(receiver.posted).map((s) => s.traceId)).toEqual([TRACE]);
  });

  it('exports spans of the gateway own refusals and of WebSocket upgrades', async () => {
    const { gw, receiver } = await setUp();
    expect((await send('GET', `${gw.url}/proxy/nobody/x`)).status).toBe(404);
    const ws = new WebSocketServer({ noServer: true });
    const instance = await startInstance(echo('ws'));
    instance.server.on('upgrade', (req, socket, head) =>
      ws.handleUpgrade(req, socket, head, (client) => client.on('message', (m) => client.send(m))),
    );
    await gw.register({ service_name: 'chat', base_url: instance.url, instance_id: 'w1' });
    const client = new WebSocket(`${gw.url.replace('http', 'ws')}/proxy/chat/live`, {
      headers: { traceparent: `00-${TRACE}-${PARENT}-01` },
    });
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const echoed = new Promise((resolve) => client.once('message', resolve));
    client.send('ping');
    await echoed;
    client.close();

    const spans = await waitFor(
      () => (spansIn(receiver.posted).length === 2 ? spansIn(receiver.posted) : null),
      10_000,
      'two spans',
    );
    const refused = spans.find((s) => s.attrs['http.response.status_code'] === 404)!;
    expect(refused.name).toBe('GET'); // an unregistered name stays out of the span name
    expect(refused.attrs['gateway.service']).toBe('nobody');
    const upgrade = spans.find((s) => s.attrs['http.response.status_code'] === 101)!;
    expect(upgrade).toMatchObject({ name: 'GET chat', traceId: TRACE, parentSpanId: PARENT });
    expect(upgrade.attrs).toMatchObject({ 'gateway.instance': 'w1', 'url.path': '/proxy/chat/live' });
    expect(upgrade.attrs['http.request.body.size']).toBeGreaterThan(0); // the frames sent through
    ws.close();
  });

  it('sends protobuf by default (http/protobuf), with the ids as raw bytes', async () => {
    const { gw, receiver } = await setUp({ protocol: 'http/protobuf' });
    const reply = await send('GET', `${gw.url}/proxy/svc/a`, {
      headers: ['traceparent', `00-${TRACE}-${PARENT}-01`],
    });
    const sent = seenTraceparent(reply);
    const post = await waitFor(() => receiver.posted[0], 10_000, 'an export');
    expect(post.path).toBe('/v1/traces');
    expect(post.contentType).toBe('application/x-protobuf');
    for (const bytes of [TRACE, PARENT, sent.slice(36, 52)]) {
      expect(post.body.includes(Buffer.from(bytes, 'hex'))).toBe(true);
    }
    expect(post.body.includes(Buffer.from('gw-under-test'))).toBe(true);
  });

  it('flushes queued spans when the gateway closes', async () => {
    vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '600000'); // no timed export during the test
    const { gw, receiver } = await setUp();
    await send('GET', `${gw.url}/proxy/svc/a`, { headers: ['traceparent', `00-${TRACE}-${PARENT}-01`] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.posted).toEqual([]);
    await gw.gateway.close();
    expect(spansIn(receiver.posted).map((s) => s.traceId)).toEqual([TRACE]);
  });
});
