import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLeaseScheduler, type LeaseScheduler } from '../../src/registry/lease-scheduler.js';

const T0 = 1_700_000_000_000;

describe('lease scheduler', () => {
  let fired: { key: string; at: number }[];
  let scheduler: LeaseScheduler;
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    fired = [];
    scheduler = createLeaseScheduler({
      clock: { now: () => Date.now() },
      onDue: (keys, now) => {
        for (const key of keys) fired.push({ key, at: now - T0 });
      },
    });
  });
  afterEach(() => {
    scheduler.close();
    vi.useRealTimers();
  });

  it('fires every key once, at its own time, whatever the order they were tracked in', () => {
    // A fixed shuffle of due times 1..200 s (multiplicative step coprime with 200).
    const times = Array.from({ length: 200 }, (_, i) => (((i * 77) % 200) + 1) * 1_000);
    for (const [i, ms] of times.entries()) scheduler.track(`k${i}`, T0 + ms);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(200_000);
    expect(fired.map((f) => f.at)).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(fired.map((f) => f.key)).size).toBe(200);
    expect(scheduler.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a later track replaces the earlier due time of the key, in either direction', () => {
    scheduler.track('a', T0 + 5_000);
    scheduler.track('a', T0 + 9_000);
    scheduler.track('b', T0 + 9_000);
    scheduler.track('b', T0 + 2_000);
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual([
      { key: 'b', at: 2_000 },
      { key: 'a', at: 9_000 },
    ]);
  });

  it('untrack cancels the key', () => {
    scheduler.track('a', T0 + 1_000);
    scheduler.track('b', T0 + 2_000);
    scheduler.untrack('a');
    vi.advanceTimersByTime(5_000);
    expect(fired.map((f) => f.key)).toEqual(['b']);
  });

  it('fires a due time in the past at once', () => {
    scheduler.track('late', T0 - 10_000);
    vi.advanceTimersByTime(0);
    expect(fired).toEqual([{ key: 'late', at: 0 }]);
  });

  it('stays correct under many renewals of the same keys (stale entries are compacted away)', () => {
    for (let round = 1; round <= 5_000; round++) {
      scheduler.track('a', T0 + 10_000 + round);
      scheduler.track('b', T0 + 20_000 + round);
    }
    expect(scheduler.size).toBe(2);
    vi.advanceTimersByTime(30_000);
    expect(fired).toEqual([
      { key: 'a', at: 15_000 },
      { key: 'b', at: 25_000 },
    ]);
  });

  it('waits out a due time beyond the largest setTimeout delay', () => {
    const far = 30 * 86_400_000; // 30 days
    scheduler.track('far', T0 + far);
    vi.advanceTimersByTime(far - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([{ key: 'far', at: far }]);
  });

  it('fires nothing after close', () => {
    scheduler.track('a', T0 + 1_000);
    scheduler.close();
    expect(vi.getTimerCount()).toBe(0);
    scheduler.track('b', T0 + 2_000);
    vi.advanceTimersByTime(5_000);
    expect(fired).toEqual([]);
  });
});
