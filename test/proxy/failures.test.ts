import { describe, expect, it } from 'vitest';
import { classifyFailure, type Failure, mayRetry } from '../../src/proxy/index.js';

describe('classifyFailure', () => {
  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ENOTFOUND', 'refused'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect_timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['ECONNRESET', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['UND_ERR_CLOSED', 'closed'],
    ['UND_ERR_ABORTED', 'aborted'],
    ['SOMETHING_ELSE', 'other'],
    ['toString', 'other'],
  ])('%s → %s', (code, failure) => {
    expect(classifyFailure(Object.assign(new Error('x'), { code }))).toBe(failure);
  });
  it('handles errors without a code', () => expect(classifyFailure(new Error('x'))).toBe('other'));
});

describe('mayRetry (SPEC section 5)', () => {
  // [failure, request already sent, safe to send again, retried?]
  const table: [Failure, boolean, boolean, boolean][] = [
    ['refused', false, false, true], // nothing sent: any method
    ['refused', false, true, true],
    ['closed', false, false, true],
    ['closed', true, false, false],
    ['connect_timeout', false, true, true], // idempotent without body, or Idempotency-Key replay
    ['connect_timeout', false, false, false], // e.g. a POST without Idempotency-Key
    ['reset', true, true, true],
    ['reset', true, false, false],
    ['timeout', true, true, false], // the instance may still be working on it
    ['aborted', true, true, false],
    ['other', false, true, false],
  ];
  it.each(table)('%s (sent %s, replay-safe %s) → %s', (failure, sent, safe, expected) => {
    expect(mayRetry(failure, sent, safe)).toBe(expected);
  });
});
