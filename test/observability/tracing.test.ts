import { describe, expect, it } from 'vitest';
import {
  isValidTraceparent,
  nextTraceparent,
  spanId,
  traceId,
  traceIdOf,
} from '../../src/observability/tracing.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const VALID = `00-${TRACE}-${PARENT}-01`;

describe('isValidTraceparent (W3C Trace Context)', () => {
  it.each([
    ['version 00, sampled', VALID, true],
    ['version 00, not sampled', `00-${TRACE}-${PARENT}-00`, true],
    ['a later version with an extra field', `01-${TRACE}-${PARENT}-01-extra`, true],
    ['a later version, exactly 55 characters', `cc-${TRACE}-${PARENT}-01`, true],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`, false],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`, false],
    ['version ff', `ff-${TRACE}-${PARENT}-01`, false],
    ['upper case trace id', `00-${TRACE.toUpperCase()}-${PARENT}-01`, false],
    ['upper case version', `0A-${TRACE}-${PARENT}-01`, false],
    ['version 00 with trailing data', `${VALID}-extra`, false],
    ['a later version glued to more data', `01-${TRACE}-${PARENT}-01x`, false],
    ['trace id too short', `00-${TRACE.slice(1)}-${PARENT}-01`, false],
    ['trace id too long', `00-${TRACE}0-${PARENT}-01`, false],
    ['parent id too short', `00-${TRACE}-${PARENT.slice(1)}-01`, false],
    ['flags too long', `00-${TRACE}-${PARENT}-011`, false],
    ['one-digit version', `0-${TRACE}-${PARENT}-01`, false],
    ['not hex', `00-${TRACE.replace('a', 'g')}-${PARENT}-01`, false],
    ['wrong separator', `00_${TRACE}-${PARENT}-01`, false],
    ['empty (a repeated field)', '', false],
    ['leading space', ` ${VALID}`, false],
  ])('%s', (_name, value, valid) => {
    expect(isValidTraceparent(value)).toBe(valid);
  });
});

describe('nextTraceparent', () => {
  it('keeps the trace id and flags and puts the gateway span in as the parent', () => {
    const next = nextTraceparent(VALID);
    expect(next).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(next.slice(36, 52)).not.toBe(PARENT);
    expect(isValidTraceparent(next)).toBe(true);
    expect(traceIdOf(next)).toBe(TRACE);
  });

  it('answers version 00 for a later version, flags kept, extra fields dropped', () => {
    expect(nextTraceparent(`01-${TRACE}-${PARENT}-03-extra`)).toMatch(
      new RegExp(`^00-${TRACE}-[0-9a-f]{16}-03$`),
    );
  });

  it.each([
    ['absent', undefined],
    ['invalid', `ff-${TRACE}-${PARENT}-01`],
    ['repeated', ''],
  ])('starts a new unsampled trace when the incoming one is %s', (_name, incoming) => {
    const next = nextTraceparent(incoming);
    expect(next).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(isValidTraceparent(next)).toBe(true);
    expect(traceIdOf(next)).not.toBe(TRACE);
  });

  it('lets a sampler (span export on) set the sampled flag, other flag bits kept', () => {
    const calls: [string, string | null][] = [];
    const no = (trace: string, parent: string | null) => {
      calls.push([trace, parent]);
      return false;
    };
    expect(nextTraceparent(`00-${TRACE}-${PARENT}-03`, no)).toMatch(/-02$/);
    expect(calls).toEqual([[TRACE, `00-${TRACE}-${PARENT}-03`]]);
    expect(nextTraceparent(`00-${TRACE}-${PARENT}-00`, () => true)).toMatch(/-01$/);
    const root = nextTraceparent(undefined, () => true);
    expect(root).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(nextTraceparent(undefined, no)).toMatch(/-00$/);
    expect(calls[1]![1]).toBeNull(); // a new trace has no parent
  });

  it('makes fresh ids every time, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(spanId());
    expect(seen.size).toBe(2000);
    const trace = traceId();
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    expect(trace).not.toBe(traceId());
  });
});
