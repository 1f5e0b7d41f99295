import { describe, expect, it } from 'vitest';
import { cookieValue, pickRendezvous } from '../../src/balancer/index.js';
import { inst } from './fixtures.js';

const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);

function owners(instances: ReturnType<typeof inst>[]): Map<string, string> {
  return new Map(keys.map((k) => [k, pickRendezvous(instances, k, null)!.instance_id]));
}

describe('rendezvous hashing', () => {
  const four = [inst('a'), inst('b'), inst('c'), inst('d')];

  it('keeps a key on one instance', () => {
    const first = pickRendezvous(four, 'session-42', null)!.instance_id;
    for (let i = 0; i < 50; i++) expect(pickRendezvous(four, 'session-42', null)!.instance_id).toBe(first);
    // Order of the candidates does not matter.
    expect(pickRendezvous([...four].reverse(), 'session-42', null)!.instance_id).toBe(first);
  });

  it('spreads keys over the instances', () => {
    const counts = new Map<string, number>();
    for (const owner of owners(four).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    for (const id of ['a', 'b', 'c', 'd']) expect(counts.get(id)).toBeGreaterThan(350);
  });

  it('moves only the keys the new instance wins when one is added', () => {
    const before = owners(four);
    const after = owners([...four, inst('e')]);
    let moved = 0;
    for (const [key, owner] of after) {
      if (owner !== before.get(key)) {
        moved++;
        expect(owner).toBe('e');
      }
    }
    expect(moved / keys.length).toBeGreaterThan(0.12);
    expect(moved / keys.length).toBeLessThan(0.28);
  });

  it('sends an excluded instance’s keys to their second choice only', () => {
    const before = owners(four);
    for (const key of keys) {
      const owner = pickRendezvous(four, key, new Set(['a']))!.instance_id;
      if (before.get(key) !== 'a') expect(owner).toBe(before.get(key));
      else expect(owner).not.toBe('a');
    }
    expect(pickRendezvous(four, 'k', new Set(['a', 'b', 'c', 'd']))).toBeNull();
  });

  it('follows weights', () => {
    const counts = new Map<string, number>();
    for (const owner of owners([inst('a', 3), inst('b', 1)]).values())
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    expect(counts.get('a')! / keys.length).toBeGreaterThan(0.68);
    expect(counts.get('a')! / keys.length).toBeLessThan(0.82);
  });
});

describe('cookieValue', () => {
  it.each([
    ['sid=abc', 'sid', 'abc'],
    ['a=1; sid=abc; b=2', 'sid', 'abc'],
    ['a=1;sid=x=y', 'sid', 'x=y'],
    ['xsid=1; sid=2', 'sid', '2'],
    ['a=1', 'sid', null],
    ['sid=', 'sid', null],
    [undefined, 'sid', null],
  ])('%s [%s] → %s', (header, name, expected) => expect(cookieValue(header, name)).toBe(expected));
});
