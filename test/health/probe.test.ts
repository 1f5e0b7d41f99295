import { afterEach, describe, expect, it } from 'vitest';
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
