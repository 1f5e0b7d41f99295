import { describe, expect, it } from 'vitest';
import { createSwrrState, pickSwrr } from '../../src/balancer/index.js';
import { inst } from './fixtures.js';

function sequence(
  instances: ReturnType<typeof inst>[],
  n: number,
  exclude: Set<string> | null = null,
): string[] {
  const state = createSwrrState();
  return Array.from({ length: n }, () => pickSwrr(state, instances, exclude)?.instance_id ?? '-');
}

describe('smooth weighted round robin', () => {
  it('spreads equal weights evenly, in order', () => {
    expect(sequence([inst('a'), inst('b'), inst('c')], 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('gives weights 3 and 1 exactly 3 and 1 of every 4 requests, interleaved', () => {
    const picks = sequence([inst('a', 3), inst('b', 1)], 400);
    for (let i = 0; i < picks.length; i += 4) {
      const window = picks.slice(i, i + 4);
      expect(window.filter((p) => p === 'a')).toHaveLength(3);
      expect(window.filter((p) => p === 'b')).toHaveLength(1);
    }
    expect(picks.slice(0, 4)).toEqual(['a', 'a', 'b', 'a']);
  });

  it('follows nginx for weights 5, 1, 1', () => {
    expect(sequence([inst('a', 5), inst('b'), inst('c')], 7)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('honours the exclude set and returns null when everything is excluded', () => {
    expect(sequence([inst('a'), inst('b'), inst('c')], 4, new Set(['b']))).toEqual(['a', 'c', 'a', 'c']);
    expect(sequence([inst('a'), inst('b')], 1, new Set(['a', 'b']))).toEqual(['-']);
    expect(sequence([], 1)).toEqual(['-']);
  });

  it('keeps its cycle when the same members come in a new array, restarts when they change', () => {
    const state = createSwrrState();
    const first = [inst('a'), inst('b')];
    expect(pickSwrr(state, first, null)?.instance_id).toBe('a');
    expect(pickSwrr(state, [inst('a'), inst('b')], null)?.instance_id).toBe('b');
    expect(pickSwrr(state, [inst('a'), inst('c')], null)?.instance_id).toBe('a');
  });
});
