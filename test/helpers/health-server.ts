import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServer {
  /** `http://127.0.0.1:<port>`: what to register as `base_url`. */
  readonly url: string;
  readonly healthUrl: string;
  readonly port: number;
  /** Status /health answers with from now on (200 healthy, 500 failing, …). */
  status: number;
  /** Delay before /health answers (ms), to provoke check timeouts. */
  delayMs: number;
  /** How many times /health was called. */
  readonly hits: number;
  /** Every request seen, in order: method, url, arrival time (epoch ms), status answered. */
  readonly requests: SeenRequest[];
  /** /health requests that arrived within [from, to] (epoch ms). */
  checksBetween(from: number, to: number): SeenRequest[];
  close(): Promise<void>;
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly at: number;
  /** For /health: the status it answered with. */
  readonly status?: number;
}

export interface HealthServerOptions {
  status?: number;
  delayMs?: number;
  /** Name echoed by non-health paths, to tell instances apart. */
  name?: string;
  /** Handles other paths; return true when it answered. */
  handler?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/**
 * A real HTTP server on 127.0.0.1, port 0, standing in for a service instance: `/health`
 * answers `status` (flip it to drive health transitions); any other path answers 200 JSON
 * `{name, method, url}` unless `handler` takes it.
 */
export async function startHealthServer(options: HealthServerOptions = {}): Promise<HealthServer> {
  let hits = 0;
  const requests: SeenRequest[] = [];
  const state = { status: options.status ?? 200, delayMs: options.delayMs ?? 0 };
  const server = createServer((req, res) => {
    const isHealth = req.url?.split('?')[0] === '/health';
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      at: Date.now(),
      ...(isHealth ? { status: state.status } : {}),
    });
    if (isHealth) {
      hits++;
      const answer = () => {
        const body = JSON.stringify({ status: state.status < 400 ? 'healthy' : 'unhealthy' });
        res.writeHead(state.status, { 'content-type': 'application/json' }).end(body);
      };
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
      return;
    }
    if (options.handler?.(req, res)) return;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ name: options.name ?? 'instance', method: req.method, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    healthUrl: `${url}/health`,
    port,
    get status() {
      return state.status;
    },
    set status(code: number) {
      state.status = code;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    get hits() {
      return hits;
    },
    requests,
    checksBetween: (from, to) => requests.filter((r) => r.status !== undefined && r.at >= from && r.at <= to),
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
