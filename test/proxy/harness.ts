/**
 * Integration harness for the proxy: a real gateway (buildGateway + listen, memory store) and
 * small real instances on 127.0.0.1 port 0. Everything started here is closed by `closeAll()`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { buildGateway, type Gateway } from '../../src/app.js';
import { type GatewayConfig, testConfig } from '../../src/config/index.js';
import type { InstanceStatus } from '../../src/health/types.js';
import type { RegistrationInput } from '../../src/registry/types.js';

export interface Instance {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  /** Requests seen (health checks excluded). */
  hits: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const closers: (() => Promise<void>)[] = [];

export async function closeAll(): Promise<void> {
  const list = closers.splice(0).reverse();
  for (const close of list) await close();
}

/** Answers `/health` with 200 (unless `healthStatus` says otherwise) and everything else with `handler`. */
export async function startInstance(handler: Handler, healthStatus = 200): Promise<Instance> {
  const server = createServer();
  const instance: Instance = { server, url: '', port: 0, hits: 0 };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health') {
      res.statusCode = healthStatus;
      res.end();
      return;
    }
    instance.hits++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(instance, { port, url: `http://127.0.0.1:${port}` });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return instance;
}

/** The echo handler: describes the request it got (body as sha256) as JSON, with a few extra response headers. */
export function echo(name: string): Handler {
  return (req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    req.on('end', () => {
      const body = JSON.stringify({
        name,
        method: req.method,
        url: req.url,
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        sha256: hash.digest('hex'),
        bytes,
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-instance': name,
        'keep-alive': 'timeout=5',
        'proxy-authenticate': 'Basic',
        'x-secret': 'drop-me',
        connection: 'x-secret',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  };
}

export interface Harness {
  readonly gateway: Gateway;
  readonly url: string;
  register(input: RegistrationInput): Promise<void>;
  /** Polls until the instance has this status. */
  waitStatus(service: string, instanceId: string, status: InstanceStatus): Promise<void>;
}

export async function startGateway(overrides: Partial<GatewayConfig> = {}): Promise<Harness> {
  const config = testConfig(overrides);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const gateway = await buildGateway(config, { logger });
  const address = await gateway.listen();
  closers.push(() => gateway.close());
  return {
    gateway,
    url: `http://127.0.0.1:${address.port}`,
    async register(input) {
      await gateway.registry.register(input);
    },
    async waitStatus(service, instanceId, status) {
      await waitFor(
        () => gateway.health.healthOf(service, instanceId).status === status,
        5_000,
        `${instanceId} ${status}`,
      );
    },
  };
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A port that refuses connections: bound once, then closed. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface Reply {
  readonly status: number;
  readonly headers: import('node:http').IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/**
 * One request with node:http (fetch refuses hop-by-hop headers such as Connection and TE, which
 * these tests must send). `headers` may be a flat [name, value, …] list to keep case and repeats.
 */
export function send(
  method: string,
  url: string,
  options: { headers?: Record<string, string> | string[]; body?: Buffer | string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let headers = options.headers ?? {};
    // With a header list Node adds no Host, and the gateway (HTTP/1.1) requires one.
    if (Array.isArray(headers) && !headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host')) {
      headers = [...headers, 'Host', url.split('/')[2]!];
    }
    // …nor a Content-Length, and it sends a GET/DELETE/OPTIONS body unframed.
    const framed = (h: string) => ['content-length', 'transfer-encoding'].includes(h.toLowerCase());
    if (
      Array.isArray(headers) &&
      options.body !== undefined &&
      !headers.some((h, i) => i % 2 === 0 && framed(h))
    ) {
      headers = [...headers, 'Content-Length', String(Buffer.byteLength(options.body))];
    }
    // The path is sent exactly as written (a URL object would resolve `..` and re-encode).
    const [, hostPort, path] = /^http:\/\/([^/?]+)(.*)$/.exec(url)!;
    const [host, port] = hostPort!.split(':');
    const target = { host, port: Number(port), path: path || '/', method, headers, agent: false };
    const req = request(target, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body,
          json: () => JSON.parse(body.toString('utf8')),
        });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
