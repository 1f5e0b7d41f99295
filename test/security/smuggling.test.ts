/**
 * Request smuggling and header injection over raw sockets (an HTTP client would refuse to send
 * these or would normalize them). Each ambiguous request must get one 400 and reach the instance
 * neither as one request nor as two: the instance server counts every request it sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { rawRequest } from './helpers.js';

let instance: HealthServer;
let gw: StartedGateway;

beforeAll(async () => {
  instance = await startHealthServer();
  gw = await startGateway({ healthCheckIntervalMs: 60_000, routes: [{ prefix: '/app', service: 'svc' }] });
  await gw.gateway.registry.register({ service_name: 'svc', base_url: instance.url });
});
afterAll(async () => {
  await gw?.close();
  await instance?.close();
});

const smuggled = 'GET /proxy/svc/smuggled HTTP/1.1\r\nHost: a\r\n\r\n';

/** name → raw request; every one targets /proxy/svc/<name> or /app/<name>. */
const CASES: [string, string][] = [
  [
    'cl-te',
    `POST /proxy/svc/cl-te HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  [
    'te-cl',
    `POST /proxy/svc/te-cl HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  [
    'duplicate content-length',
    `POST /proxy/svc/dup-cl HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 45\r\n\r\nhello${smuggled}`,
  ],
  [
    'content-length list',
    `POST /proxy/svc/cl-list HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 45\r\n\r\nhello${smuggled}`,
  ],
  [
    'negative content-length',
    `POST /proxy/svc/cl-neg HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n${smuggled}`,
  ],
  ['obs-fold', `GET /proxy/svc/obs-fold HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n${smuggled}`],
  [
    'obs-fold on transfer-encoding',
    `POST /proxy/svc/obs-te HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
  ],
  ['bare LF line endings', `GET /proxy/svc/bare-lf HTTP/1.1\nHost: a\n\n${smuggled}`],
  ['bare LF in one header', `GET /proxy/svc/bare-lf-header HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n`],
  ['bare CR in a header', `GET /proxy/svc/bare-cr HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n`],
  ['NUL in a header value', `GET /proxy/svc/nul HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n`],
  [
    'space before the colon',
    `POST /proxy/svc/te-space HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
  ],
  [
    'transfer-encoding: chunked, identity',
    `POST /proxy/svc/te-ci HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  [
    'transfer-encoding: identity',
    `POST /proxy/svc/te-identity HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n${smuggled}`,
  ],
  [
    'transfer-encoding: xchunked',
    `POST /proxy/svc/te-x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  // Node accepts this one (chunked is last); the proxy must refuse it: the gzip coding would be lost.
  [
    'transfer-encoding: gzip, chunked',
    `POST /proxy/svc/te-gzip HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  ],
  [
    'transfer-encoding twice',
    `POST /proxy/svc/te-twice HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  ['two Host fields', `GET /proxy/svc/two-hosts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${smuggled}`],
  [
    'two Host fields on a static route',
    `GET /app/two-hosts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${smuggled}`,
  ],
  [
    'bad chunk size',
    `POST /proxy/svc/chunk HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nx\r\n0\r\n\r\n${smuggled}`,
  ],
  ['space in the request target', `GET /proxy/svc/a ${smuggled.slice(4)}`],
];

const forwarded = () => instance.requests.filter((r) => r.url !== '/health');

describe('request smuggling over raw sockets', () => {
  it('a plain chunked POST passes (the harness itself works)', async () => {
    const before = forwarded().length;
    const reply = await rawRequest(
      gw.port,
      'POST /proxy/svc/ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    );
    expect(reply.statuses).toEqual([200]);
    expect(forwarded().length).toBe(before + 1);
  });

  it.each(CASES)(
    '%s: one 400, the connection closed, nothing reaches the instance',
    async (_name, payload) => {
      const before = forwarded().length;
      const reply = await rawRequest(gw.port, payload);
      expect(reply.statuses).toEqual([400]);
      expect(reply.text).toMatch(/content-type: application\/problem\+json/i);
      expect(reply.closed).toBe(true);
      // Give a request that did slip through time to arrive before asserting that none did.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(forwarded().slice(before)).toEqual([]);
      expect(forwarded().some((r) => r.url.includes('smuggled'))).toBe(false);
    },
  );

  it('the connection keeps working for well-formed keep-alive requests', async () => {
    const before = forwarded().length;
    const one = 'GET /proxy/svc/k1 HTTP/1.1\r\nHost: a\r\n\r\n';
    const two = 'GET /proxy/svc/k2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
    const reply = await rawRequest(gw.port, one + two);
    expect(reply.statuses).toEqual([200, 200]);
    await waitFor(() => forwarded().length === before + 2, 2_000, 'both requests at the instance');
  });
});
