import { describe, expect, it } from 'vitest';
import { createFailureLimiter } from '../../src/admin/failure-limiter.js';

describe('failed admin-token attempts limiter', () => {
  it('answers the first 20 failures within a minute normally and refuses the 21st', () => {
    const limiter = createFailureLimiter();
    for (let i = 0; i < 20; i++) expect(limiter.fail('10.0.0.1', 1_000 + i)).toBe(0);
    expect(limiter.fail('10.0.0.1', 2_000)).toBe(60);
  });

  it('counts each client separately', () => {
    const limiter = createFailureLimiter({ max: 2 });
    limiter.fail('a', 0);
    limiter.fail('a', 0);
    expect(limiter.fail('a', 0)).toBeGreaterThan(0);
    expect(limiter.fail('b', 0)).toBe(0);
  });

  it('says how long to wait, and lets the client try again after that', () => {
    const limiter = createFailureLimiter({ max: 3, windowMs: 60_000 });
    for (const t of [0, 10_000, 20_000]) expect(limiter.fail('a', t)).toBe(0);
    const retryAfter = limiter.fail('a', 30_000);
    // The oldest kept failure (10 s) leaves the window at 70 s: 40 s from now.
    expect(retryAfter).toBe(40);
    expect(limiter.fail('a', 30_000 + retryAfter * 1000)).toBe(0);
  });

  it('keeps refusing a client that keeps failing (refused attempts count too)', () => {
    const limiter = createFailureLimiter({ max: 2, windowMs: 1_000 });
    limiter.fail('a', 0);
    limiter.fail('a', 0);
    for (let t = 100; t < 3_000; t += 100) expect(limiter.fail('a', t)).toBeGreaterThan(0);
  });

  it('forgets failures older than the window', () => {
    const limiter = createFailureLimiter({ max: 2, windowMs: 1_000 });
    limiter.fail('a', 0);
    limiter.fail('a', 0);
    expect(limiter.fail('a', 1_000)).toBe(0);
  });

  it('stays bounded: expired clients go first, then the least recently failed', () => {
    const limiter = createFailureLimiter({ max: 2, windowMs: 1_000, maxClients: 3 });
    limiter.fail('old', 0);
    limiter.fail('b', 1_500);
    limiter.fail('c', 1_600);
    limiter.fail('d', 1_700); // 'old' expired: it makes room
    expect(limiter.size).toBe(3);
    limiter.fail('e', 1_800); // none expired: 'b', the least recent, goes
    expect(limiter.size).toBe(3);
    limiter.fail('c', 1_900);
    expect(limiter.fail('c', 1_900)).toBeGreaterThan(0); // 'c' was kept with its count
  });
});
