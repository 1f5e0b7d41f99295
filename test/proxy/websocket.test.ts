import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { closeAll, refusedUrl, startGateway, startInstance } from './harness.js';

afterEach(closeAll);

/** An instance whose WebSocket endpoint echoes every message and remembers the upgrade request. */
async function startWsInstance() {
  const instance = await startInstance((_req, res) => res.end('plain http'));
  const wss = new WebSocketServer({ server: instance.server });
  const upgrades: IncomingMessage[] = [];
  wss.on('connection', (socket, req) => {
    upgrades.push(req);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return { instance, wss, upgrades };
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected ${res.statusCode}`)));
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(String(data))));
}

describe('WebSocket upgrades through the gateway', () => {
  it('echoes messages both ways on /proxy/{service}/…, with the path rewritten and forwarded headers', async () => {
    const { instance, upgrades, wss } = await startWsInstance();
    const gw = await startGateway();
    await gw.register({
      service_name: 'chat',
      base_url: `${instance.url}/ws-base`,
      health_check_url: `${instance.url}/health`,
    });
    const ws = await open(`${gw.url.replace('http', 'ws')}/proxy/chat/room/1?user=a%20b`, {
      'x-request-id': 'ws-1',
    });
    for (const text of ['hello', 'second', 'x'.repeat(100_000)]) {
      const reply = nextMessage(ws);
      ws.send(text);
      expect(await reply).toBe(text);
    }
    const req = upgrades[0]!;
    expect(req.url).toBe('/ws-base/room/1?user=a%20b');
    expect(req.headers['x-forwarded-prefix']).toBe('/proxy/chat');
    expect(req.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(req.headers['x-request-id']).toBe('ws-1');
    expect(req.headers.host).toBe(new URL(instance.url).host);
    // The instance closing ends the client's socket cleanly.
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    for (const client of wss.clients) client.close(4001, 'bye');
    expect(await closed).toBe(4001);
  });

  it('closes the instance side when the client leaves', async () => {
    const { instance, wss } = await startWsInstance();
    const gw = await startGateway();
    await gw.register({ service_name: 'chat', base_url: instance.url });
    const ws = await open(`${gw.url.replace('http', 'ws')}/proxy/chat/x`);
    const serverSide = [...wss.clients][0]!;
    const closed = new Promise<number>((resolve) => serverSide.once('close', (code) => resolve(code)));
    ws.close(4002);
    expect(await closed).toBe(4002);
  });

  it('answers a raw 502 when the instance refuses the connection', async () => {
    const { instance } = await startWsInstance();
    const gw = await startGateway();
    const refused = await refusedUrl();
    await gw.register({
      service_name: 'chat',
      base_url: refused,
      health_check_url: `${instance.url}/health`,
    });
    await expect(open(`${gw.url.replace('http', 'ws')}/proxy/chat/x`)).rejects.toThrow('unexpected 502');
  });

  it('proxies upgrades on a static route, and relays a refused handshake as it came', async () => {
    const { instance } = await startWsInstance();
    const gw = await startGateway({ routes: [{ prefix: '/live', service: 'chat', strip_prefix: true }] });
    await gw.register({ service_name: 'chat', base_url: instance.url });
    const ws = await open(`${gw.url.replace('http', 'ws')}/live/feed`);
    const reply = nextMessage(ws);
    ws.send('via route');
    expect(await reply).toBe('via route');
    ws.close();

    const picky = await startInstance((_req, res) => res.end());
    new WebSocketServer({ server: picky.server, verifyClient: () => false });
    await gw.register({ service_name: 'picky', base_url: picky.url });
    await expect(open(`${gw.url.replace('http', 'ws')}/proxy/picky/x`)).rejects.toThrow('unexpected 401');
  });

  it('refuses an upgrade to an unknown service with 404', async () => {
    const gw = await startGateway();
    await expect(open(`${gw.url.replace('http', 'ws')}/proxy/nobody/x`)).rejects.toThrow('unexpected 404');
  });
});
