/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for proxied requests: the gateway is a
 * span of its own, so a valid `traceparent` goes on with the same trace id and flags and a new
 * parent id (the gateway's span); an absent or malformed one (treated as absent, as the
 * specification says) starts a new, unsampled trace, so every proxied request carries one.
 * `tracestate` is not touched here: it passes through with the other headers.
 */
import { randomFillSync } from 'node:crypto';

// version "-" trace-id "-" parent-id "-" flags, lower-case hex only; a later version may append
// fields after a "-" (the specification's forward compatibility), version 00 may not.
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:$|-)/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const VERSION_00_LENGTH = 55;

/** True when `value` is a traceparent this gateway may continue. */
export function isValidTraceparent(value: string): boolean {
  if (!TRACEPARENT.test(value)) return false;
  if (value.startsWith('ff', 0)) return false;
  if (value.startsWith('00', 0) && value.length !== VERSION_00_LENGTH) return false;
  if (value.startsWith(ZERO_TRACE_ID, 3)) return false;
  return !value.startsWith(ZERO_SPAN_ID, 36);
}

/**
 * The sampling decision for the gateway's span when spans are exported (OTel's sampler): `parent`
 * is the valid incoming traceparent the trace continues, or null for a trace the gateway starts.
 */
export type TraceSampler = (traceId: string, parent: string | null) => boolean;

/**
 * The traceparent to send on: the incoming trace continued with a new span id, else a new trace.
 * The result is always version 00 (the only layout this code knows), per the specification's rule
 * for a higher version. `incoming` is undefined when absent; the caller passes '' when the field
 * came more than once (ambiguous, so invalid). Without a `sampler` the flags are the incoming ones
 * and a new trace is unsampled; with one (spans exported), its decision sets the sampled flag.
 */
export function nextTraceparent(incoming: string | undefined, sampler?: TraceSampler | null): string {
  if (incoming !== undefined && isValidTraceparent(incoming)) {
    const flags = incoming.slice(53, 55);
    return (
      '00-' +
      incoming.slice(3, 35) +
      '-' +
      spanId() +
      '-' +
      (sampler == null ? flags : withSampled(flags, sampler(incoming.slice(3, 35), incoming)))
    );
  }
  const trace = traceId();
  return '00-' + trace + '-' + spanId() + (sampler?.(trace, null) ? '-01' : '-00');
}

/** `flags` (2 hex digits) with the sampled bit set or cleared, the other bits kept. */
function withSampled(flags: string, sampled: boolean): string {
  const bits = (Number.parseInt(flags, 16) & 0xfe) | (sampled ? 1 : 0);
  return bits.toString(16).padStart(2, '0');
}

/** The span id (parent id field) of a valid traceparent. */
export function spanIdOf(traceparent: string): string {
  return traceparent.slice(36, 52);
}

/** The trace id of the traceparent sent on, for the access line: null when none was sent. */
export function sentTraceId(sent: string | undefined): string | null {
  return sent === undefined || sent === '' ? null : traceIdOf(sent);
}

/** The trace id of a traceparent that nextTraceparent produced (or any valid one). */
export function traceIdOf(traceparent: string): string {
  return traceparent.slice(3, 35);
}

// Random ids come from a pooled buffer refilled in bulk: one crypto call per 512 span ids.
const POOL = Buffer.allocUnsafe(4096);
let offset = POOL.length;

function randomHex(bytes: number, zero: string): string {
  for (;;) {
    if (offset + bytes > POOL.length) {
      randomFillSync(POOL);
      offset = 0;
    }
    const hex = POOL.toString('hex', offset, offset + bytes);
    offset += bytes;
    if (hex !== zero) return hex; // all zero is invalid (probability 2^-64 or less)
  }
}

/** A new random 8-byte span id (16 lower-case hex digits, never all zero). */
export function spanId(): string {
  return randomHex(8, ZERO_SPAN_ID);
}

/** A new random 16-byte trace id (32 lower-case hex digits, never all zero). */
export function traceId(): string {
  return randomHex(16, ZERO_TRACE_ID);
}
