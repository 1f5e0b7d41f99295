import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classifyError, createProber, type Prober } from '../../src/health/probe.js';
import { closedPort, type HealthServer, startHealthServer } from './helpers.js';

describe('probe (GET health_check_url)', () => {
  let server: HealthServer | undefined;
  let prober: Prober | undefined;
  afterEach(async () => {
    await prober?.close();
    await server?.close();
    prober = undefined;
    server = undefined;
  });

  it('passes on a 2xx', async () => {
    server = await startHealthServer('ok');
    prober = createProber({ timeoutMs: 1_000 });
    expect(await prober.probe(`${server.url}/health`)).toEqual({ ok: true, reason: 'health check passed' });
  });

  it('fails on a 500 with "health check returned 500"', async () => {
    server = await startHealthServer('fail');
    prober = createProber({ timeoutMs: 1_000 });
    expect(await prober.probe(`${server.url}/health`)).toEqual({
      ok: false,
      reason: 'health check returned 500',
    });
  });

  it('fails on a 404 (any non-2xx)', async () => {
    server = await startHealthServer('ok');
    prober = createProber({ timeoutMs: 1_000 });
    expect((await prober.probe(`${server.url}/nope`)).reason).toBe('health check returned 404');
  });

  it('times out a check that never answers, within the timeout', async () => {
    server = await startHealthServer('hang');
    prober = createProber({ timeoutMs: 150 });
    const started = Date.now();
    expect(await prober.probe(`${server.url}/health`)).toEqual({
      ok: false,
      reason: 'health check timed out',
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports a closed port as "connection refused"', async () => {
    prober = createProber({ timeoutMs: 1_000 });
    const port = await closedPort();
    expect(await prober.probe(`http://127.0.0.1:${port}/health`)).toEqual({
      ok: false,
      reason: 'connection refused',
    });
  });

  it('reuses its connection across checks (the body is drained)', async () => {
    server = await startHealthServer('ok');
    prober = createProber({ timeoutMs: 1_000 });
    for (let i = 0; i < 5; i++) expect((await prober.probe(`${server.url}/health`)).ok).toBe(true);
    expect(server.hits).toBe(5);
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it('times out many checks in flight, each at its deadline', async () => {
    server = await startHealthServer('hang');
    prober = createProber({ timeoutMs: 200 });
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => prober!.probe(`${server!.url}/i${i}/health`)),
    );
    expect(new Set(results.map((r) => r.reason))).toEqual(new Set(['health check timed out']));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('arms one timer for many checks that finish in time, not one per check', async () => {
    server = await startHealthServer('ok');
    prober = createProber({ timeoutMs: 2_000 });
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => prober!.probe(`${server!.url}/i${i}/health`)),
      );
      expect(results.every((r) => r.ok)).toBe(true);
      // The prober's sweep (undici's connect timers are per connection, not per check).
      const sweeps = setTimeoutSpy.mock.calls.filter(([fn]) => (fn as () => void).name === 'sweep');
      expect(sweeps).toHaveLength(1);
    } finally {
      setTimeoutSpy.mockRestore();
    }
  });

  it('passes a 2xx whose body never ends once it drained 128 KiB, without waiting for the timeout', async () => {
    const endless = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const more = () => {
        while (res.write(chunk));
        res.once('drain', more);
      };
      more();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    try {
      prober = createProber({ timeoutMs: 5_000 });
      const started = Date.now();
      const { port } = endless.address() as AddressInfo;
      expect(await prober.probe(`http://127.0.0.1:${port}/health`)).toEqual({
        ok: true,
        reason: 'health check passed',
      });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  it('start() reports through its callback, never synchronously, and abort() answers "aborted"', async () => {
    server = await startHealthServer('hang');
    prober = createProber({ timeoutMs: 5_000 });
    const results: string[] = [];
    prober.start('not a url', (r) => results.push(r.reason));
    const running = prober.start(`${server.url}/health`, (r) => results.push(r.reason));
    running.abort();
    expect(results).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(results).toEqual(['connection failed: ERR_INVALID_URL', 'health check aborted']);
  });

  it('stops at once when its signal aborts', async () => {
    server = await startHealthServer('hang');
    prober = createProber({ timeoutMs: 5_000 });
    const controller = new AbortController();
    const pending = prober.probe(`${server.url}/health`, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toEqual({ ok: false, reason: 'health check aborted' });
  });
});

describe('classifyError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, 'connection refused'],
    [{ code: 'UND_ERR_SOCKET', cause: { code: 'ECONNREFUSED' } }, 'connection refused'],
    [{ name: 'AggregateError', errors: [{ code: 'ECONNREFUSED' }] }, 'connection refused'],
    [{ code: 'UND_ERR_CONNECT_TIMEOUT' }, 'health check timed out'],
    [{ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'health check timed out'],
    [{ code: 'ECONNRESET' }, 'connection failed: ECONNRESET'],
    [{ code: 'UND_ERR_SOCKET', cause: {} }, 'connection failed: UND_ERR_SOCKET'],
    [{ code: 'ENOTFOUND' }, 'connection failed: ENOTFOUND'],
    [new TypeError('bad'), 'connection failed: TypeError'],
  ])('%j → %s', (err, reason) => {
    expect(classifyError(err).reason).toBe(reason);
  });
});
