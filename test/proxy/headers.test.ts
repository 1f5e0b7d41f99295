import { describe, expect, it } from 'vitest';
import type { RequestFacts } from '../../src/proxy/headers.js';
import { appendForwarded, copyRequestHeaders, copyResponseHeaders } from '../../src/proxy/index.js';
import { compileHeaderRules } from '../../src/routing/index.js';

function facts(): RequestFacts {
  return {
    host: undefined,
    forwardedFor: undefined,
    contentLength: null,
    chunked: false,
    idempotencyKey: false,
  };
}

describe('copyRequestHeaders (one pass)', () => {
  it('drops hop-by-hop fields and names listed in Connection, keeps order, case and repeats', () => {
    const f = facts();
    const out = copyRequestHeaders(
      [
        'Host',
        'gw.test:8000',
        'Accept',
        'a',
        'Connection',
        'keep-alive, X-Hop',
        'Keep-Alive',
        'timeout=5',
        'X-Hop',
        'gone',
        'TE',
        'trailers',
        'Trailer',
        'x',
        'Upgrade',
        'h2c',
        'Proxy-Connection',
        'keep-alive',
        'Proxy-Authorization',
        'Basic x',
        'Transfer-Encoding',
        'chunked',
        'Expect',
        '100-continue',
        'X-Forwarded-For',
        '10.0.0.1',
        'x-forwarded-for',
        '10.0.0.2',
        'X-Forwarded-Proto',
        'https',
        'X-Forwarded-Host',
        'evil',
        'X-Forwarded-Prefix',
        '/evil',
        'X-Request-ID',
        'client',
        'Content-Length',
        '12',
        'Idempotency-Key',
        'k',
        'set-thing',
        '1',
        'Set-Thing',
        '2',
        'traceparent',
        'tp',
      ],
      f,
      null,
    );
    expect(out).toEqual(['Accept', 'a', 'Idempotency-Key', 'k', 'set-thing', '1', 'Set-Thing', '2']);
    // traceparent is noted, not copied: appendForwarded sends it on with the gateway's span.
    expect(f).toEqual({
      host: 'gw.test:8000',
      forwardedFor: '10.0.0.1, 10.0.0.2',
      contentLength: '12',
      chunked: true,
      idempotencyKey: true,
      traceparent: 'tp',
    });
  });

  it('keeps Upgrade for a WebSocket hand-off', () => {
    const out = copyRequestHeaders(
      ['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Key', 'k'],
      facts(),
      null,
      true,
    );
    expect(out).toEqual(['Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k']);
  });

  it('applies route rules: remove, and set replaces what the client sent', () => {
    const rules = compileHeaderRules({ set: { 'X-Tenant': 'acme' }, remove: ['Cookie'] });
    const out = copyRequestHeaders(['x-tenant', 'spoof', 'cookie', 'c=1', 'accept', '*/*'], facts(), rules);
    expect(out).toEqual(['accept', '*/*', 'X-Tenant', 'acme']);
  });
});

describe('appendForwarded', () => {
  it('appends the client to X-Forwarded-For and states proto, host, prefix and request id', () => {
    const out: string[] = [];
    appendForwarded(
      out,
      { ...facts(), host: 'gw:8000', forwardedFor: '10.0.0.1' },
      '127.0.0.1',
      'http',
      '/proxy/s',
      'id-1',
      null,
    );
    expect(out).toEqual([
      'x-forwarded-for',
      '10.0.0.1, 127.0.0.1',
      'x-forwarded-proto',
      'http',
      'x-forwarded-host',
      'gw:8000',
      'x-forwarded-prefix',
      '/proxy/s',
      'x-request-id',
      'id-1',
      'traceparent',
      expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/),
    ]);
  });

  it('continues a valid traceparent with a new span id and notes the one sent', () => {
    const out: string[] = [];
    const f = { ...facts(), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    appendForwarded(out, f, '::1', 'http', null, 'id', null);
    const sent = out[out.indexOf('traceparent') + 1]!;
    expect(sent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(sent).not.toContain('b7ad6b7169203331');
    expect(f.traceparent).toBe(sent);
  });

  it('treats a repeated traceparent as invalid (a new trace starts)', () => {
    const f = facts();
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    copyRequestHeaders(['traceparent', tp, 'traceparent', tp], f, null);
    expect(f.traceparent).toBe('');
    const out: string[] = [];
    appendForwarded(out, f, '::1', 'http', null, 'id', null);
    expect(out[out.indexOf('traceparent') + 1]).not.toContain('0af7651916cd43dd8448eb211c80319c');
  });

  it('leaves out the prefix when there is none, and fields a route removes', () => {
    const out: string[] = [];
    const rules = compileHeaderRules({ remove: ['X-Forwarded-For', 'traceparent'] });
    appendForwarded(out, { ...facts(), host: 'gw' }, '::1', 'https', null, 'id', rules);
    expect(out).toEqual(['x-forwarded-proto', 'https', 'x-forwarded-host', 'gw', 'x-request-id', 'id']);
  });
});

describe('copyResponseHeaders', () => {
  const raw = (list: string[]) => list.map((v) => Buffer.from(v, 'latin1'));

  it('drops hop-by-hop fields and Connection-listed names, replaces X-Request-ID, keeps bytes', () => {
    const out = copyResponseHeaders(
      raw([
        'Content-Type',
        'text/plain; charset=utf-8',
        'Connection',
        'keep-alive, X-Private',
        'X-Private',
        'secret',
        'Keep-Alive',
        'timeout=5',
        'Transfer-Encoding',
        'chunked',
        'Proxy-Authenticate',
        'Basic',
        'Trailer',
        'x',
        'X-Request-ID',
        'instance',
        'Set-Cookie',
        'a=1',
        'Set-Cookie',
        'b=2',
        'X-Latin1',
        'caf\u00e9',
      ]),
      'gw-id',
      null,
    );
    expect(out).toEqual([
      'Content-Type',
      'text/plain; charset=utf-8',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'X-Latin1',
      'caf\u00e9',
      'x-request-id',
      'gw-id',
    ]);
  });

  it('applies route response rules', () => {
    const rules = compileHeaderRules({ set: { 'Cache-Control': 'no-store' }, remove: ['server'] });
    const out = copyResponseHeaders(
      raw(['Server', 'x', 'cache-control', 'max-age=60', 'etag', '"1"']),
      'id',
      rules,
    );
    expect(out).toEqual(['etag', '"1"', 'Cache-Control', 'no-store', 'x-request-id', 'id']);
  });
});
