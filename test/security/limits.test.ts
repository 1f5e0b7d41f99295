/**
 * The client limits of SPEC sections 2 and 8, over raw sockets: header size (431), slowloris
 * (headers or body dribbled past CLIENT_HEADER_TIMEOUT_MS / CLIENT_REQUEST_TIMEOUT_MS), the
 * connection cap, and body limits (admin 64 KiB, per route).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionsCheckingIntervalOf } from '../../src/security/index.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { startHealthServer } from '../helpers/health-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { rawRequest } from './helpers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function gateway(overrides: Parameters<typeof startGateway>[0] = {}): Promise<StartedGateway> {
  const gw = await startGateway({ healthCheckIntervalMs: 60_000, ...overrides });
  open.push(gw);
  return gw;
}

const header = (bytes: number) => `X-Big: ${'a'.repeat(bytes)}\r\n`;

describe('request header size', () => {
  it('answers 431 problem JSON past 16 KiB of headers, and serves 15 KiB', async () => {
    const gw = await gateway();
    const big = await rawRequest(gw.port, `GET /health HTTP/1.1\r\nHost: a\r\n${header(17 * 1024)}\r\n`);
    expect(big.statuses).toEqual([431]);
    expect(big.text).toMatch(/application\/problem\+json/);
    expect(big.closed).toBe(true);
    const ok = await rawRequest(
      gw.port,
      `GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${header(15 * 1024)}\r\n`,
    );
    expect(ok.statuses).toEqual([200]);
  });

  it('counts many small headers together, on proxy routes too', async () => {
    const gw = await gateway();
    const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}\r\n`).join('');
    const reply = await rawRequest(gw.port, `GET /proxy/svc/x HTTP/1.1\r\nHost: a\r\n${many}\r\n`);
    expect(reply.statuses).toEqual([431]);
  });
});

describe('slow clients (slowloris)', () => {
  it('checks connections often enough to honour a short header timeout', () => {
    expect(connectionsCheckingIntervalOf({ clientHeaderTimeoutMs: 20_000 })).toBe(1_000);
    expect(connectionsCheckingIntervalOf({ clientHeaderTimeoutMs: 400 })).toBe(100);
  });

  it('cuts a client dribbling header bytes within CLIENT_HEADER_TIMEOUT_MS', async () => {
    const gw = await gateway({ clientHeaderTimeoutMs: 500, clientRequestTimeoutMs: 5_000 });
    const pieces = [
      'GET /health HTTP/1.1\r\nHost: a\r\n',
      ...Array.from({ length: 60 }, (_, i) => `X-${i}: y\r\n`),
    ];
    const reply = await rawRequest(gw.port, '', { pieces, gapMs: 100, idleMs: 10_000, deadlineMs: 8_000 });
    expect(reply.closed).toBe(true);
    // The header timeout plus one check interval (125 ms), with slack for a loaded machine.
    expect(reply.ms).toBeLessThan(2_000);
    expect(reply.statuses).toEqual([408]);
  });

  it('cuts a connection that never sends a byte', async () => {
    const gw = await gateway({ clientHeaderTimeoutMs: 500, clientRequestTimeoutMs: 5_000 });
    const reply = await rawRequest(gw.port, '', { idleMs: 10_000, deadlineMs: 8_000 });
    expect(reply.closed).toBe(true);
    expect(reply.ms).toBeLessThan(2_000);
  });

  it('cuts a client dribbling its body within CLIENT_REQUEST_TIMEOUT_MS', async () => {
    const instance = await startHealthServer();
    open.push(instance);
    const gw = await gateway({ clientHeaderTimeoutMs: 300, clientRequestTimeoutMs: 1_000 });
    await gw.gateway.registry.register({ service_name: 'svc', base_url: instance.url });
    const head = 'POST /proxy/svc/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n';
    const pieces = [head, ...Array.from({ length: 100 }, () => 'x')];
    const reply = await rawRequest(gw.port, '', { pieces, gapMs: 100, idleMs: 10_000, deadlineMs: 8_000 });
    expect(reply.closed).toBe(true);
    expect(reply.ms).toBeLessThan(2_500);
  });
});

describe('the connection cap (MAX_CONNECTIONS)', () => {
  it('drops connections past the cap and accepts again once one closes', async () => {
    const gw = await gateway({ maxConnections: 2 });
    const held: Socket[] = [];
    const openOne = async () => {
      const socket = connect(gw.port, '127.0.0.1');
      let text = '';
      socket.on('data', (c: Buffer) => {
        text += c.toString();
      });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write('GET /health HTTP/1.1\r\nHost: a\r\n\r\n');
      await waitFor(() => text.includes('"healthy"'), 2_000, 'a keep-alive answer');
      held.push(socket);
    };
    await openOne();
    await openOne();
    const third = await rawRequest(gw.port, 'GET /health HTTP/1.1\r\nHost: a\r\n\r\n', { idleMs: 2_000 });
    expect(third.closed).toBe(true);
    expect(third.statuses).toEqual([]);
    held.pop()!.destroy();
    await waitFor(
      () => new Promise<boolean>((resolve) => gw.gateway.server.getConnections((_e, n) => resolve(n < 2))),
      2_000,
      'a free connection slot',
    );
    const fourth = await rawRequest(gw.port, 'GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(fourth.statuses).toEqual([200]);
    for (const socket of held) socket.destroy();
  });
});

describe('body limits', () => {
  it('admin JSON bodies over 64 KiB get a 413 problem', async () => {
    const gw = await gateway();
    const body = JSON.stringify({
      service_name: 'x',
      base_url: 'http://127.0.0.1:9',
      metadata: { pad: 'p'.repeat(70_000) },
    });
    const reply = await rawRequest(
      gw.port,
      `POST /api/discovery/services HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(reply.statuses).toEqual([413]);
    expect(reply.text).toMatch(/application\/problem\+json/);
  });

  it('a route body limit answers 413 for a declared or a streamed body, and the instance never gets it whole', async () => {
    const received: number[] = [];
    const instance = await startHealthServer({
      handler: (req, res) => {
        let bytes = 0;
        req.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        req.on('close', () => received.push(bytes));
        req.on('end', () => res.end('ok'));
        return true;
      },
    });
    open.push(instance);
    const gw = await gateway({ routes: [{ prefix: '/up', service: 'svc', body_limit_bytes: 1_000 }] });
    await gw.gateway.registry.register({ service_name: 'svc', base_url: instance.url });
    const declared = await rawRequest(
      gw.port,
      `POST /up/a HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n${'x'.repeat(2_000)}`,
    );
    expect(declared.statuses).toEqual([413]);
    const chunk = `${(1_500).toString(16)}\r\n${'y'.repeat(1_500)}\r\n`;
    const streamed = await rawRequest(
      gw.port,
      `POST /up/b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}0\r\n\r\n`,
    );
    expect(streamed.statuses).toEqual([413]);
    expect(received.every((bytes) => bytes <= 1_000)).toBe(true);
  });
});
