import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type TrustProxy } from '../../src/config/index.js';
import { createClientIpResolver, limitKeyOf } from '../../src/security/index.js';
import { startGateway } from '../helpers/gateway.js';
import { startHealthServer } from '../helpers/health-server.js';
import { call } from '../helpers/http.js';

function req(peer: string, xff?: string): IncomingMessage {
  const headers: IncomingHttpHeaders = xff === undefined ? {} : { 'x-forwarded-for': xff };
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

const ip = (trust: TrustProxy, peer: string, xff?: string) => createClientIpResolver(trust)(req(peer, xff));

describe('clientIp under TRUST_PROXY', () => {
  it('false: the socket peer, whatever X-Forwarded-For says', () => {
    expect(ip(false, '::ffff:192.0.2.1', '203.0.113.1')).toBe('192.0.2.1');
    expect(ip(false, '2001:db8::1', '203.0.113.1')).toBe('2001:db8::1');
  });

  it('true: the leftmost address', () => {
    expect(ip(true, '192.0.2.1', '203.0.113.1, 198.51.100.2')).toBe('203.0.113.1');
    expect(ip(true, '192.0.2.1')).toBe('192.0.2.1');
  });

  it('a hop count: that many hops left of the peer, at most the leftmost', () => {
    const xff = '203.0.113.1, 198.51.100.2, 198.51.100.3';
    expect(ip(1, '192.0.2.1', xff)).toBe('198.51.100.3');
    expect(ip(2, '192.0.2.1', xff)).toBe('198.51.100.2');
    expect(ip(9, '192.0.2.1', xff)).toBe('203.0.113.1');
    expect(ip(0, '192.0.2.1', xff)).toBe('192.0.2.1');
  });

  it('IPs/CIDRs: the first untrusted hop from the right, so a client cannot prepend its way in', () => {
    const trust = ['10.0.0.0/8', '2001:db8::/32'];
    expect(ip(trust, '10.1.1.1', '203.0.113.1, 10.2.2.2')).toBe('203.0.113.1');
    expect(ip(trust, '10.1.1.1', '6.6.6.6, 198.51.100.7, 10.2.2.2')).toBe('198.51.100.7');
    expect(ip(trust, '2001:db8::5', '203.0.113.1')).toBe('203.0.113.1');
    expect(ip(trust, '192.0.2.1', '203.0.113.1')).toBe('192.0.2.1'); // peer not trusted
    expect(ip(trust, '10.1.1.1', '203.0.113.1, not-an-ip')).toBe('10.1.1.1'); // garbage stops the walk
    expect(ip(trust, '10.1.1.1', '[2001:db9::1]:443, 203.0.113.1:8080')).toBe('203.0.113.1');
  });

  it('keys IPv6 clients by their /64 for rate limits', () => {
    expect(limitKeyOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(limitKeyOf('2001:db8:1:2:bbbb::9')).toBe('2001:db8:1:2::/64');
    expect(limitKeyOf('192.0.2.1')).toBe('192.0.2.1');
  });

  it('TRUST_PROXY is parsed once at start, with one clear line on a bad value', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy).toEqual(['10.0.0.0/8', '::1']);
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '1.2.3.4/8/9']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });
});

describe('X-Forwarded-For and hash_on: ip through the gateway', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });

  it('appends the socket peer always; hash_on: ip follows the trusted client', async () => {
    const seen: Record<string, string[]> = { a: [], b: [] };
    const instances = await Promise.all(
      (['a', 'b'] as const).map((name) =>
        startHealthServer({
          handler: (r, res) => {
            seen[name]!.push(String(r.headers['x-forwarded-for']));
            res.end(name);
            return true;
          },
        }),
      ),
    );
    open.push(...instances);
    const gw = await startGateway({
      healthCheckIntervalMs: 60_000,
      trustProxy: ['127.0.0.1'],
      balancing: { svc: { lb: 'hash', hash_on: 'ip' } },
    });
    open.push(gw);
    for (const instance of instances) {
      await gw.gateway.registry.register({ service_name: 'svc', base_url: instance.url });
    }
    const landing = new Map<string, Set<string>>();
    for (let i = 1; i <= 20; i++) {
      const client = `203.0.113.${i}`;
      for (let n = 0; n < 3; n++) {
        const res = await call('GET', `${gw.url}/proxy/svc/x`, undefined, { 'x-forwarded-for': client });
        landing.set(client, (landing.get(client) ?? new Set()).add(res.text));
      }
    }
    // Each client sticks to one instance, and the clients are spread over both.
    expect([...landing.values()].every((set) => set.size === 1)).toBe(true);
    expect(new Set([...landing.values()].map((set) => [...set][0])).size).toBe(2);
    expect([...seen.a!, ...seen.b!].every((xff) => /^203\.0\.113\.\d+, 127\.0\.0\.1$/.test(xff))).toBe(true);
  });
});
