import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, MAX_STARTS_PER_TURN, type Scheduler } from '../../src/health/scheduler.js';

const clock = { now: () => Date.now() };

/** A scheduler whose checks stay in flight until the test releases them. */
function setup(concurrency = 2) {
  const started: string[] = [];
  const timers: string[] = [];
  const releases = new Map<string, () => void>();
  const scheduler: Scheduler<string> = createScheduler<string>({
    concurrency,
    clock,
    runCheck: (key) => {
      started.push(key);
      return new Promise<void>((resolve) => releases.set(key, resolve));
    },
    runTimer: (key) => timers.push(key),
  });
  const release = async (key: string) => {
    releases.get(key)?.();
    releases.delete(key);
    await vi.advanceTimersByTimeAsync(0);
  };
  return { scheduler, started, timers, release };
}

describe('scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs checks when due, earliest first, equal times first-come first-served', async () => {
    const { scheduler, started } = setup(10);
    const now = Date.now();
    scheduler.start();
    scheduler.scheduleCheck('c', now + 300);
    scheduler.scheduleCheck('a', now + 100);
    scheduler.scheduleCheck('b1', now + 200);
    scheduler.scheduleCheck('b2', now + 200);
    await vi.advanceTimersByTimeAsync(99);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toEqual(['a', 'b1', 'b2', 'c']);
    scheduler.stop();
  });

  it('never has more than `concurrency` checks in flight; due ones wait in order', async () => {
    const { scheduler, started, release } = setup(2);
    scheduler.start();
    for (const key of ['a', 'b', 'c', 'd', 'e']) scheduler.scheduleCheck(key, Date.now());
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual(['a', 'b']);
    expect(scheduler.inFlight).toBe(2);
    expect(scheduler.queued).toBe(3);
    await release('a');
    expect(started).toEqual(['a', 'b', 'c']);
    await release('b');
    await release('c');
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(scheduler.inFlight).toBe(2);
    scheduler.stop();
  });

  it('uses one timer however many jobs are pending', async () => {
    const { scheduler } = setup(4);
    scheduler.start();
    for (let i = 0; i < 5_000; i++) scheduler.scheduleCheck(`k${i}`, Date.now() + 1_000 + i);
    expect(vi.getTimerCount()).toBe(1);
    expect(scheduler.pending).toBe(5_000);
    scheduler.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(scheduler.pending).toBe(0);
  });

  it('scheduling a key again replaces its pending check', async () => {
    const { scheduler, started } = setup();
    scheduler.start();
    scheduler.scheduleCheck('a', Date.now() + 500);
    scheduler.scheduleCheck('a', Date.now() + 50);
    expect(scheduler.checkDueAt('a')).toBe(Date.now() + 50);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toEqual(['a']);
    scheduler.stop();
  });

  it('cancel drops pending and queued jobs of a key', async () => {
    const { scheduler, started, timers, release } = setup(1);
    scheduler.start();
    scheduler.scheduleCheck('a', Date.now());
    scheduler.scheduleCheck('b', Date.now());
    scheduler.scheduleTimer('b', Date.now() + 10);
    scheduler.scheduleCheck('c', Date.now() + 20);
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.queued).toBe(1);
    scheduler.cancel('b');
    scheduler.cancel('c');
    await release('a');
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual(['a']);
    expect(timers).toEqual([]);
  });

  it('runs timer jobs when due even while every check slot is busy', async () => {
    const { scheduler, started, timers } = setup(1);
    scheduler.start();
    scheduler.scheduleCheck('a', Date.now());
    scheduler.scheduleTimer('x', Date.now() + 10);
    await vi.advanceTimersByTimeAsync(10);
    expect(started).toEqual(['a']);
    expect(timers).toEqual(['x']);
    scheduler.stop();
  });

  it('holds jobs scheduled before start() until start()', async () => {
    const { scheduler, started } = setup();
    scheduler.scheduleCheck('a', Date.now());
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual([]);
    scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual(['a']);
    scheduler.stop();
  });

  it('keeps going when a check rejects', async () => {
    const errors: unknown[] = [];
    const ran: string[] = [];
    const scheduler = createScheduler<string>({
      concurrency: 1,
      clock,
      runCheck: async (key) => {
        ran.push(key);
        throw new Error(`boom ${key}`);
      },
      runTimer: () => {},
      onError: (err) => errors.push(err),
    });
    scheduler.start();
    scheduler.scheduleCheck('a', Date.now());
    scheduler.scheduleCheck('b', Date.now());
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['a', 'b']);
    expect(errors).toHaveLength(2);
    expect(scheduler.inFlight).toBe(0);
    scheduler.stop();
  });

  it('runs a key rescheduled many times once', async () => {
    const { scheduler, started } = setup(1);
    scheduler.start();
    for (let i = 0; i < 10_000; i++) scheduler.scheduleCheck('a', Date.now() + 1_000 + (i % 7));
    expect(scheduler.pending).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(started).toEqual(['a']);
    scheduler.stop();
  });

  it('spreads checks over their windows evenly, on slot boundaries, one wake-up per slot', async () => {
    const { scheduler, started } = setup(10_000);
    scheduler.start();
    const now = Date.now();
    // 2,000 checks all wanting the same 1 s window: 100 slots of 10 ms, about 20 each.
    for (let i = 0; i < 2_000; i++) {
      const at = scheduler.scheduleCheckWithin(`k${i}`, now + 9_000, now + 10_000);
      expect(at).toBeGreaterThanOrEqual(now + 9_000);
      expect(at).toBeLessThanOrEqual(now + 10_000);
      expect((at - now) % 10).toBe(0);
    }
    const perSlot = new Map<number, number>();
    for (let i = 0; i < 2_000; i++) {
      const at = scheduler.checkDueAt(`k${i}`)!;
      perSlot.set(at, (perSlot.get(at) ?? 0) + 1);
    }
    expect(perSlot.size).toBeGreaterThanOrEqual(95);
    expect(Math.max(...perSlot.values())).toBeLessThanOrEqual(30); // random placement: ~35+
    await vi.advanceTimersByTimeAsync(10_000);
    for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(1); // the last slot's later turns
    expect(started).toHaveLength(2_000);
    scheduler.stop();
  });

  it('starts at most MAX_STARTS_PER_TURN checks per turn of the event loop', async () => {
    const { scheduler, started } = setup(1_000);
    scheduler.start();
    for (let i = 0; i < 40; i++) scheduler.scheduleCheck(`k${i}`, Date.now() + 5);
    await vi.advanceTimersByTimeAsync(5);
    expect(started.length).toBeGreaterThanOrEqual(MAX_STARTS_PER_TURN);
    expect(started.length).toBeLessThan(40);
    for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(1); // the next turns
    expect(started).toHaveLength(40);
    expect(started).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`)); // still in order
    scheduler.stop();
  });

  it('keeps due order through many moves (earlier and later) and cancels', async () => {
    const { scheduler, started } = setup(10_000);
    scheduler.start();
    const now = Date.now();
    let state = 42;
    const rand = (n: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state % n;
    };
    const due = new Map<string, number>();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 300; i++) {
        const key = `k${rand(400)}`;
        const at = now + 1 + rand(5_000);
        scheduler.scheduleCheck(key, at);
        due.set(key, at);
      }
      for (let i = 0; i < 20; i++) {
        const key = `k${rand(400)}`;
        scheduler.cancel(key);
        due.delete(key);
      }
    }
    expect(scheduler.pending).toBe(due.size);
    for (const [key, at] of due) expect(scheduler.checkDueAt(key)).toBe(at);
    await vi.advanceTimersByTimeAsync(6_000);
    for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(1);
    expect(new Set(started)).toEqual(new Set(due.keys()));
    const times = started.map((key) => due.get(key)!);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    scheduler.stop();
  });

  it('remembers when the check that runs was due (the monitor counts the next interval from it)', async () => {
    const { scheduler, started } = setup();
    scheduler.start();
    const due = Date.now() + 50;
    scheduler.scheduleCheck('a', due);
    await vi.advanceTimersByTimeAsync(80);
    expect(started).toEqual(['a']);
    expect(scheduler.checkDueAt('a')).toBeUndefined(); // none pending
    expect(scheduler.lastCheckDueAt('a')).toBe(due);
    scheduler.cancel('a');
    expect(scheduler.lastCheckDueAt('a')).toBeUndefined();
    scheduler.stop();
  });
});
