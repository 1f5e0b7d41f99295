/**
 * Header copying for both directions, each in one pass over the raw `[name, value, …]` list: it
 * drops hop-by-hop fields (RFC 9110 7.6.1 plus the older RFC 2616 list), notes the few facts the
 * proxy needs (Host, X-Forwarded-For, the body framing, Idempotency-Key) and keeps everything else
 * in order and case. Names listed in `Connection` are only known once that field was seen, so
 * they are filtered afterwards, which costs a second pass only when a peer actually lists some.
 */
import { nextTraceparent, type TraceSampler } from '../observability/tracing.js';
import type { CompiledHeaderRules } from '../routing/index.js';

const DROP = 1;
const CONNECTION = 2;
const TRANSFER_ENCODING = 3;
const HOST = 4;
const FORWARDED_FOR = 5;
const CONTENT_LENGTH = 6;
const IDEMPOTENCY_KEY = 7;
const UPGRADE = 8;
const TRACEPARENT = 9;

const HOP_BY_HOP = [
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
];

const REQUEST_CODES = new Map<string, number>([
  ...HOP_BY_HOP.map((name): [string, number] => [name, DROP]),
  // The gateway states these itself; a client must not be able to pose as another hop.
  ['x-forwarded-proto', DROP],
  ['x-forwarded-host', DROP],
  ['x-forwarded-prefix', DROP],
  ['x-request-id', DROP],
  // Set only by a route's auth from a verified credential; a client's own is a spoofing attempt.
  ['x-consumer-subject', DROP],
  // undici refuses `expect`; Node's server already answered any `100-continue`.
  ['expect', DROP],
  ['connection', CONNECTION],
  ['transfer-encoding', TRANSFER_ENCODING],
  ['host', HOST],
  ['x-forwarded-for', FORWARDED_FOR],
  ['content-length', CONTENT_LENGTH],
  ['idempotency-key', IDEMPOTENCY_KEY],
  ['upgrade', UPGRADE],
  // Continued with the gateway's own span id by `appendForwarded` (src/observability/tracing.ts).
  ['traceparent', TRACEPARENT],
]);

const RESPONSE_CODES = new Map<string, number>([
  ...HOP_BY_HOP.map((name): [string, number] => [name, DROP]),
  ['transfer-encoding', DROP],
  // The gateway's request id replaces an instance's own.
  ['x-request-id', DROP],
  ['connection', CONNECTION],
]);

/** What the request-header pass learns; the proxy's per-request object holds these fields. */
export interface RequestFacts {
  host: string | undefined;
  forwardedFor: string | undefined;
  /** The raw Content-Length value, or null. */
  contentLength: string | null;
  chunked: boolean;
  idempotencyKey: boolean;
  /**
   * Framing an instance could read differently from Node (a smuggling vector): a Transfer-Encoding
   * other than exactly `chunked` (Node still dispatches the request before its parser fails on the
   * body) or a second Host field (RFC 9112 section 3.2: 400). The proxy refuses such a request.
   */
  malformed?: boolean;
  /**
   * The client's traceparent ('' when it came more than once: invalid), until `appendForwarded`
   * replaces it with the one sent on, whose trace id the access log shows.
   */
  traceparent?: string | undefined;
  /** The span exporter's sampler (src/observability/otel.ts), which sets the sampled flag sent; none when off. */
  readonly traceSampler?: TraceSampler | null;
}

/** The names a `Connection` field lists (lower case), minus the ones that are not field names. */
function connectionTokens(value: string): Set<string> | null {
  // Nearly every peer sends just one of these: skip the split.
  const lower = value.toLowerCase();
  if (lower === 'keep-alive' || lower === 'close' || lower === 'upgrade') return null;
  let tokens: Set<string> | null = null;
  for (const part of lower.split(',')) {
    const token = part.trim();
    if (token === '' || token === 'close' || token === 'keep-alive' || token === 'upgrade') continue;
    tokens ??= new Set();
    tokens.add(token);
  }
  return tokens;
}

function withoutNames(headers: string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!names.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}

/**
 * Copies a client's headers for the instance: hop-by-hop and gateway-owned fields dropped, route
 * rules applied, facts recorded. Host is not copied (undici sends the instance's own); an
 * Upgrade field is kept only for a WebSocket hand-off (`upgrade`), where the caller adds
 * `connection: upgrade`. The forwarded fields are added by `appendForwarded`.
 */
export function copyRequestHeaders(
  raw: readonly string[],
  facts: RequestFacts,
  rules: CompiledHeaderRules | null,
  upgrade = false,
): string[] {
  let out: string[] = [];
  let connection: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    const code = REQUEST_CODES.get(lower);
    if (code === undefined || code === IDEMPOTENCY_KEY || (code === UPGRADE && upgrade)) {
      if (code === IDEMPOTENCY_KEY) facts.idempotencyKey = true;
      if (rules === null || !rules.drop.has(lower)) out.push(name, value);
      continue;
    }
    if (code === HOST) {
      if (facts.host !== undefined) facts.malformed = true;
      facts.host = value;
    } else if (code === CONTENT_LENGTH) facts.contentLength = value;
    else if (code === TRANSFER_ENCODING) {
      if (facts.chunked || value.toLowerCase() !== 'chunked') facts.malformed = true;
      facts.chunked = true;
    } else if (code === FORWARDED_FOR) {
      facts.forwardedFor = facts.forwardedFor === undefined ? value : facts.forwardedFor + ', ' + value;
    } else if (code === CONNECTION) connection = connection === null ? value : connection + ',' + value;
    else if (code === TRACEPARENT) facts.traceparent = facts.traceparent === undefined ? value : '';
  }
  const listed = connection === null ? null : connectionTokens(connection);
  if (listed !== null) out = withoutNames(out, listed);
  if (rules !== null) for (const item of rules.append) out.push(item);
  return out;
}

/**
 * Adds X-Forwarded-For (the client appended), -Proto, -Host, -Prefix, X-Request-ID and traceparent
 * (the client's trace continued with the gateway's span, or a new trace), unless a route rule
 * removes or sets that name itself. `facts.traceparent` becomes the traceparent sent.
 */
export function appendForwarded(
  out: string[],
  facts: RequestFacts,
  clientIp: string,
  proto: string,
  prefix: string | null,
  requestId: string,
  rules: CompiledHeaderRules | null,
): void {
  const drop = rules?.drop;
  if (!drop?.has('x-forwarded-for')) {
    out.push(
      'x-forwarded-for',
      facts.forwardedFor === undefined ? clientIp : facts.forwardedFor + ', ' + clientIp,
    );
  }
  if (!drop?.has('x-forwarded-proto')) out.push('x-forwarded-proto', proto);
  if (facts.host !== undefined && !drop?.has('x-forwarded-host')) out.push('x-forwarded-host', facts.host);
  if (prefix !== null && !drop?.has('x-forwarded-prefix')) out.push('x-forwarded-prefix', prefix);
  if (!drop?.has('x-request-id')) out.push('x-request-id', requestId);
  if (drop?.has('traceparent'))
    facts.traceparent = undefined; // none sent (or the route's own)
  else {
    facts.traceparent = nextTraceparent(facts.traceparent, facts.traceSampler);
    out.push('traceparent', facts.traceparent);
  }
}

function text(value: Buffer | string): string {
  // latin1 keeps every byte as one char, so values pass through unchanged.
  return typeof value === 'string' ? value : value.toString('latin1');
}

/**
 * Copies an instance's response headers for the client (undici's raw Buffer list): hop-by-hop
 * dropped, route rules applied, the gateway's X-Request-ID added.
 */
export function copyResponseHeaders(
  raw: readonly (Buffer | string)[],
  requestId: string,
  rules: CompiledHeaderRules | null,
): string[] {
  let out: string[] = [];
  let connection: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i]!);
    const lower = name.toLowerCase();
    const code = RESPONSE_CODES.get(lower);
    if (code === undefined) {
      if (rules === null || !rules.drop.has(lower)) out.push(name, text(raw[i + 1]!));
    } else if (code === CONNECTION) {
      const value = text(raw[i + 1]!);
      connection = connection === null ? value : connection + ',' + value;
    }
  }
  const listed = connection === null ? null : connectionTokens(connection);
  if (listed !== null) out = withoutNames(out, listed);
  if (rules !== null) for (const item of rules.append) out.push(item);
  out.push('x-request-id', requestId);
  return out;
}
