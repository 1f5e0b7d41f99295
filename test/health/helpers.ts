import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Polls `predicate` every 10 ms; throws with `what` once `timeoutMs` has passed. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 3_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export type HealthMode = 'ok' | 'fail' | 'hang';

/** A real HTTP server whose `…/health` answers 200, 500 or never; counts what it sees. */
export interface HealthServer {
  readonly url: string;
  mode: HealthMode;
  /** Delay before answering in `ok` / `fail` mode. */
  delayMs: number;
  /** Health requests received so far. */
  readonly hits: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startHealthServer(mode: HealthMode = 'ok'): Promise<HealthServer> {
  let hits = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const state = { mode, delayMs: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.endsWith('/health')) {
      res.writeHead(404).end();
      return;
    }
    hits++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = () => {
      if (!done) inFlight--;
      done = true;
    };
    res.on('close', finish);
    if (state.mode === 'hang') return;
    const status = state.mode === 'ok' ? 200 : 500;
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"x"}');
    }, state.delayMs);
  };
  const server: Server = createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(value) {
      state.mode = value;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value) {
      state.delayMs = value;
    },
    get hits() {
      return hits;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (listen, note the port, close). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
