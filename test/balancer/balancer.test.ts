import { describe, expect, it } from 'vitest';
import { type Balancer, createBalancer, resolvePolicy } from '../../src/balancer/index.js';
import type { BalancingConfig } from '../../src/config/index.js';
import type { InstanceRegistration } from '../../src/registry/types.js';
import { ctx, inst } from './fixtures.js';

function balancerOver(
  members: Map<string, InstanceRegistration[]>,
  balancing: Record<string, BalancingConfig> = {},
): Balancer {
  return createBalancer({ balancing, membersOf: (s) => members.get(s) ?? [] });
}

describe('policy choice', () => {
  const older = inst('old', 1, {
    registered_at: '2026-01-01T00:00:00.000Z',
    metadata: { lb: 'least_outstanding' },
  });
  const newer = inst('new', 1, {
    registered_at: '2026-01-02T00:00:00.000Z',
    metadata: { lb: 'hash', hash_on: 'header:X-User' },
  });

  it('takes the most recently registered instance’s metadata', () => {
    expect(resolvePolicy(undefined, [newer, older])).toEqual({
      lb: 'hash',
      hashOn: { kind: 'header', name: 'x-user' },
    });
    expect(resolvePolicy(undefined, [older])).toEqual({ lb: 'least_outstanding', hashOn: null });
  });

  it('lets config win over metadata', () => {
    expect(resolvePolicy({ lb: 'round_robin' }, [newer])).toEqual({ lb: 'round_robin', hashOn: null });
    expect(resolvePolicy({ lb: 'hash', hash_on: 'cookie:sid' }, [older])).toEqual({
      lb: 'hash',
      hashOn: { kind: 'cookie', name: 'sid' },
    });
  });

  it('defaults to round robin, and hashes the client IP when hash_on is missing or bad', () => {
    expect(resolvePolicy(undefined, [])).toEqual({ lb: 'round_robin', hashOn: null });
    expect(resolvePolicy(undefined, [inst('x', 1, { metadata: { lb: 'fastest' } })]).lb).toBe('round_robin');
    expect(resolvePolicy(undefined, [inst('x', 1, { metadata: { lb: 'hash', hash_on: 'body:x' } })])).toEqual(
      {
        lb: 'hash',
        hashOn: { kind: 'ip' },
      },
    );
  });
});

describe('createBalancer', () => {
  it('runs the policy resolved per service and re-resolves on config change', () => {
    const a = [inst('a', 3), inst('b', 1)];
    const balancer = balancerOver(new Map([['svc', a]]));
    const picks = Array.from({ length: 4 }, () => balancer.pick('svc', a, ctx())?.instance_id);
    expect(picks).toEqual(['a', 'a', 'b', 'a']);
    balancer.setConfig({ svc: { lb: 'least_outstanding' } });
    expect(balancer.policyOf('svc').lb).toBe('least_outstanding');
  });

  it('least outstanding counts acquire/release', () => {
    const list = [inst('a'), inst('b')];
    const balancer = balancerOver(new Map([['svc', list]]), { svc: { lb: 'least_outstanding' } });
    const first = balancer.pick('svc', list, ctx())!;
    balancer.acquire('svc', first.instance_id);
    const second = balancer.pick('svc', list, ctx())!;
    expect(second.instance_id).not.toBe(first.instance_id);
    balancer.acquire('svc', second.instance_id);
    balancer.acquire('svc', second.instance_id);
    expect(balancer.pick('svc', list, ctx())!.instance_id).toBe(first.instance_id);
    balancer.release('svc', second.instance_id);
    balancer.release('svc', second.instance_id);
    balancer.release('svc', first.instance_id);
  });

  it('sticky hashing keeps a key on one instance, and falls back to round robin without a key', () => {
    const list = [inst('a'), inst('b'), inst('c')];
    const balancer = balancerOver(new Map([['svc', list]]), {
      svc: { lb: 'hash', hash_on: 'header:x-user' },
    });
    const withKey = ctx(null, { 'header:x-user': 'alice' });
    const owner = balancer.pick('svc', list, withKey)!.instance_id;
    for (let i = 0; i < 20; i++) expect(balancer.pick('svc', list, withKey)!.instance_id).toBe(owner);
    const noKey = Array.from({ length: 3 }, () => balancer.pick('svc', list, ctx())!.instance_id);
    expect(noKey).toEqual(['a', 'b', 'c']);
    const retry = balancer.pick('svc', list, ctx([owner], { 'header:x-user': 'alice' }))!.instance_id;
    expect(retry).not.toBe(owner);
  });

  it('sticky on a cookie or the client IP', () => {
    const list = [inst('a'), inst('b'), inst('c')];
    const byCookie = balancerOver(new Map([['svc', list]]), { svc: { lb: 'hash', hash_on: 'cookie:sid' } });
    const c = ctx(null, { 'cookie:sid': 's1' });
    const owner = byCookie.pick('svc', list, c)!.instance_id;
    expect(byCookie.pick('svc', list, c)!.instance_id).toBe(owner);
    const byIp = balancerOver(new Map([['svc', list]]), { svc: { lb: 'hash', hash_on: 'ip' } });
    const ip = ctx(null, { ip: '10.0.0.7' });
    const ipOwner = byIp.pick('svc', list, ip)!.instance_id;
    expect(byIp.pick('svc', list, ip)!.instance_id).toBe(ipOwner);
  });
});
