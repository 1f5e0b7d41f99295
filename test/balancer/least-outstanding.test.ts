import { describe, expect, it } from 'vitest';
import { createLeastState, pickLeast } from '../../src/balancer/index.js';
import { inst } from './fixtures.js';

describe('least outstanding requests', () => {
  const three = [inst('a'), inst('b'), inst('c')];

  it('prefers the idle instance', () => {
    const state = createLeastState();
    state.outstanding.set('a', 2);
    state.outstanding.set('c', 1);
    expect(pickLeast(state, three, null)?.instance_id).toBe('b');
  });

  it('breaks ties in round-robin order', () => {
    const state = createLeastState();
    const picks = Array.from({ length: 6 }, () => pickLeast(state, three, null)?.instance_id);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('continues round robin among the tied after a busy one', () => {
    const state = createLeastState();
    state.outstanding.set('b', 5);
    const picks = Array.from({ length: 4 }, () => pickLeast(state, three, null)?.instance_id);
    expect(picks).toEqual(['a', 'c', 'a', 'c']);
  });

  it('weighs load by weight: 2 in flight on weight 4 is lighter than 1 on weight 1', () => {
    const state = createLeastState();
    state.outstanding.set('a', 1);
    state.outstanding.set('b', 2);
    expect(pickLeast(state, [inst('a', 1), inst('b', 4)], null)?.instance_id).toBe('b');
  });

  it('honours the exclude set', () => {
    const state = createLeastState();
    state.outstanding.set('a', 3);
    expect(pickLeast(state, three, new Set(['b', 'c']))?.instance_id).toBe('a');
    expect(pickLeast(state, three, new Set(['a', 'b', 'c']))).toBeNull();
  });
});
