/**
 * WebSocket (any HTTP/1.1 Upgrade) hand-off: the same route and instance choice as a request,
 * then a dedicated connection to the instance (not from the pool: an upgraded socket never
 * returns to it) carrying the upgrade request with the rewritten path and forwarded headers.
 * On 101 both sockets are piped together until either side closes; any other answer is relayed
 * and the connection closed. Upgrades are rare next to requests, so closures are fine here.
 * Each upgrade is reported once, like a request (access line, span): when the tunnel closes, with
 * status 101 and the bytes that crossed it, or when it is refused, with the refusal's status.
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type HashOn, type PickContext, stickyKey } from '../balancer/index.js';
import { PROBLEMS, type ProblemCode } from '../errors.js';
import { accessPath, roundMs } from '../observability/access-log.js';
import { sentTraceId } from '../observability/tracing.js';
import type { InstanceRegistration } from '../registry/types.js';
import { joinPath } from '../routing/index.js';
import { guardRequest, peerAddress, writeRawProblem, writeRawRefusal } from '../security/index.js';
import type { Refusal } from './answers.js';
import type { ProxyCore, Target } from './core.js';
import { classifyFailure, isTimeout, outcomeOf } from './failures.js';
import { limitsOf } from './guarded.js';
import { appendForwarded, copyRequestHeaders, type RequestFacts } from './headers.js';
import type { PoolEntry } from './pools.js';

/** Status line and headers of an instance's answer, for a raw socket (hop-by-hop fields as noted). */
function headBlock(res: IncomingMessage, requestId: string, upgraded: boolean): string {
  let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}\r\n`;
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (lower === 'x-request-id') continue;
    // A relayed non-101 answer is re-framed: its body is piped as it comes and the socket closed.
    if (!upgraded && (lower === 'connection' || lower === 'transfer-encoding' || lower === 'keep-alive'))
      continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  if (!upgraded) head += 'connection: close\r\n';
  return `${head}x-request-id: ${requestId}\r\n\r\n`;
}

/** One upgrade's access line and span, reported once when it ends. */
class UpgradeReport {
  private readonly startedAt = performance.now();
  private done = false;
  instance: string | null = null;
  /** The traceparent sent to the instance. */
  traceparent: string | undefined = undefined;
  /** Bytes through the tunnel: client to instance, instance to client (a relayed answer's body). */
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    private readonly core: ProxyCore,
    private readonly req: IncomingMessage,
    readonly service: string,
    readonly id: string,
  ) {}

  /** Reports the upgrade as ended with `status`; `label` as for ProxyCore.report (default: the service). */
  end(status: number, label = this.service): void {
    if (this.done) return;
    this.done = true;
    const core = this.core;
    if (!core.reports()) return;
    const traceparent = this.traceparent;
    const line = {
      method: this.req.method ?? 'GET',
      path: accessPath(this.req.url),
      service: this.service,
      instance: this.instance,
      status,
      duration_ms: roundMs(performance.now() - this.startedAt),
      bytes_in: this.bytesIn,
      bytes_out: this.bytesOut,
      request_id: this.id,
      retries: 0,
      trace_id: sentTraceId(traceparent),
    };
    core.report(this.req, line, traceparent, label);
  }
}

/** Writes the gateway's own refusal of an upgrade and reports it. */
function refuse(
  socket: Duplex,
  report: UpgradeReport,
  code: ProblemCode,
  detail: string,
  label?: string,
): void {
  writeRawProblem(socket, code, detail, report.id);
  report.end(PROBLEMS[code].status, label);
}

/** The gateway's own refusal of an upgrade to `target` (admission or availability), reported. */
function refuseTarget(
  core: ProxyCore,
  socket: Duplex,
  report: UpgradeReport,
  refused: Refusal,
  target: Target,
): void {
  refuse(
    socket,
    report,
    refused,
    `upgrade refused: ${PROBLEMS[refused].title}`,
    core.refusalLabel(refused, target),
  );
}

function pickContext(req: IncomingMessage, clientIp: string): PickContext {
  return { exclude: null, hashKey: (on: HashOn) => stickyKey(on, req.headers, clientIp) };
}

/** The upgrade request's headers, or null when its framing is ambiguous (RequestFacts.malformed). */
function upgradeHeaders(
  core: ProxyCore,
  req: IncomingMessage,
  target: Target,
  entry: PoolEntry,
  subject: string | null,
  report: UpgradeReport,
): string[] | null {
  const facts: RequestFacts = {
    host: undefined,
    forwardedFor: undefined,
    contentLength: null,
    chunked: false,
    idempotencyKey: false,
    malformed: false,
    traceSampler: core.traceSampler,
  };
  const rules = target.route?.requestHeaders ?? null;
  const headers = copyRequestHeaders(req.rawHeaders, facts, rules, true);
  if (facts.malformed) return null;
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  appendForwarded(headers, facts, peerAddress(req), proto, target.prefix, report.id, rules);
  report.traceparent = facts.traceparent;
  if (subject !== null) headers.push(target.route!.auth!.subjectHeader, subject);
  headers.push('connection', 'upgrade', 'host', entry.url.host);
  return headers;
}

/** Takes an upgrade on a proxy or static route; false when the path is not the proxy's. */
export function proxyUpgrade(
  core: ProxyCore,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  id: string,
): boolean {
  const target = core.resolve(req.url ?? '/', req.headers.host, req.method ?? 'GET');
  if (target === null) return false;
  const report = new UpgradeReport(core, req, target.service, id);
  const refused = core.admission(target, req.method ?? 'GET');
  if (refused !== null) {
    refuseTarget(core, socket, report, refused, target);
    return true;
  }
  const auth = target.route?.auth ?? null;
  const limits = limitsOf(target, core.serviceLimits);
  if (auth === null && limits === null) {
    startUpgrade(core, req, socket, head, target, null, report);
    return true;
  }
  // The same auth and budgets as a request: an Upgrade header is no way around a route's auth.
  guardRequest(core.guardDeps, req, auth, limits ?? []).then(
    (outcome) => {
      if (socket.destroyed) report.end(499);
      else if (outcome.ok) startUpgrade(core, req, socket, head, target, outcome.subject, report);
      else {
        writeRawRefusal(socket, outcome.refusal, id);
        report.end(PROBLEMS[outcome.refusal.code].status);
      }
    },
    () => refuse(socket, report, 'GW_ERR_INTERNAL', 'The upgrade could not be checked'),
  );
  return true;
}

function startUpgrade(
  core: ProxyCore,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: Target,
  subject: string | null,
  report: UpgradeReport,
): void {
  const refused = core.availability(target);
  if (refused !== null) {
    refuseTarget(core, socket, report, refused, target);
    return;
  }
  const clientIp = core.clientIp(req);
  const instance = core.balancer.pick(
    target.service,
    core.health.routable(target.service),
    pickContext(req, clientIp),
  );
  const entry = instance === null ? null : core.pools.entryFor(instance);
  if (instance === null || entry === null) {
    refuse(socket, report, 'GW_ERR_NO_HEALTHY_INSTANCE', `No healthy instance of ${target.service}`);
    return;
  }
  const headers = upgradeHeaders(core, req, target, entry, subject, report);
  if (headers === null) {
    refuse(socket, report, 'GW_ERR_BAD_REQUEST', 'The upgrade request framing is ambiguous');
    return;
  }
  report.instance = instance.instance_id;
  const { url } = entry;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    method: 'GET',
    path: joinPath(entry.basePath, target.rest),
    headers,
    agent: false,
  });
  bridge(core, upstream, socket, head, instance, report);
}

/**
 * Connects the two sides; see the file header. Longer than 40 lines on purpose: the handshake's
 * timers, answers and piping are closures over one upgrade's state, easier to follow in one place.
 */
function bridge(
  core: ProxyCore,
  upstream: ClientRequest,
  socket: Duplex,
  head: Buffer,
  instance: InstanceRegistration,
  report: UpgradeReport,
): void {
  const { proxyTimeoutMs, proxyConnectTimeoutMs } = core.config;
  const { service, id } = report;
  const started = performance.now();
  let answered = false;
  // What the client got; reported when its socket closes (499: it left before any answer).
  let status = 499;
  socket.once('close', () => report.end(status));
  const record = (kind: 'ok' | 'connect' | 'timeout' | 'reset') =>
    core.health.record(service, instance.instance_id, { kind, ms: performance.now() - started });
  upstream.setTimeout(Math.min(proxyTimeoutMs, proxyConnectTimeoutMs), () => {
    upstream.destroy(Object.assign(new Error('upgrade timed out'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
  });
  upstream.on('socket', (s: Socket) => s.once('connect', () => upstream.setTimeout(proxyTimeoutMs)));
  const onClientGone = () => upstream.destroy();
  socket.on('error', onClientGone).on('close', onClientGone);
  upstream.on('upgrade', (res: IncomingMessage, conn: Socket, upstreamHead: Buffer) => {
    answered = true;
    status = 101;
    record('ok');
    socket.off('error', onClientGone).off('close', onClientGone);
    conn.setTimeout(0);
    conn.setNoDelay(true);
    socket.write(headBlock(res, id, true));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) conn.write(head);
    report.bytesIn = head.length;
    report.bytesOut = upstreamHead.length;
    core.trackUpgrade(socket, conn);
    // pipe() ends each side when the other ends; a side that closes without ending (error,
    // reset) takes the other one down, without cutting writes that an end() is still flushing.
    conn.pipe(socket);
    socket.pipe(conn);
    conn.on('data', (chunk: Buffer) => {
      report.bytesOut += chunk.length;
    });
    socket.on('data', (chunk: Buffer) => {
      report.bytesIn += chunk.length;
    });
    conn.on('error', () => socket.destroy()).on('close', () => socket.writableEnded || socket.destroy());
    socket.on('error', () => conn.destroy()).on('close', () => conn.writableEnded || conn.destroy());
  });
  upstream.on('response', (res: IncomingMessage) => {
    answered = true;
    status = res.statusCode ?? 502;
    record('ok');
    socket.write(headBlock(res, id, false));
    res.on('data', (chunk: Buffer) => {
      report.bytesOut += chunk.length;
    });
    res.pipe(socket);
  });
  upstream.on('error', (err) => {
    if (answered) return void socket.destroy();
    if (socket.destroyed) return; // the client left first: not the instance's failure
    const failure = classifyFailure(err);
    const kind = outcomeOf(failure);
    if (kind !== null) record(kind);
    const timedOut = isTimeout(failure);
    const code = timedOut ? 'GW_ERR_UPSTREAM_TIMEOUT' : 'GW_ERR_UPSTREAM_FAILED';
    status = PROBLEMS[code].status;
    const detail = timedOut ? `${service} did not answer in time` : `${service} could not be reached`;
    writeRawProblem(socket, code, detail, id);
  });
  upstream.end();
}
