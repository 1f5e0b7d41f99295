/**
 * WebSocket (any HTTP/1.1 Upgrade) hand-off: the same route and instance choice as a request,
 * then a dedicated connection to the instance (not from the pool: an upgraded socket never
 * returns to it) carrying the upgrade request with the rewritten path and forwarded headers.
 * On 101 both sockets are piped together until either side closes; any other answer is relayed
 * and the connection closed. Upgrades are rare next to requests, so closures are fine here.
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type HashOn, type PickContext, stickyKey } from '../balancer/index.js';
import { PROBLEMS } from '../errors.js';
import type { InstanceRegistration } from '../registry/types.js';
import { joinPath } from '../routing/index.js';
import { guardRequest, peerAddress, writeRawProblem, writeRawRefusal } from '../security/index.js';
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

function pickContext(req: IncomingMessage, clientIp: string): PickContext {
  return { exclude: null, hashKey: (on: HashOn) => stickyKey(on, req.headers, clientIp) };
}

/** The upgrade request's headers, or null when its framing is ambiguous (RequestFacts.malformed). */
function upgradeHeaders(
  req: IncomingMessage,
  target: Target,
  entry: PoolEntry,
  subject: string | null,
  id: string,
): string[] | null {
  const facts: RequestFacts = {
    host: undefined,
    forwardedFor: undefined,
    contentLength: null,
    chunked: false,
    idempotencyKey: false,
    malformed: false,
  };
  const rules = target.route?.requestHeaders ?? null;
  const headers = copyRequestHeaders(req.rawHeaders, facts, rules, true);
  if (facts.malformed) return null;
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  appendForwarded(headers, facts, peerAddress(req), proto, target.prefix, id, rules);
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
  const refused = core.admission(target, req.method ?? 'GET');
  if (refused !== null) {
    writeRawProblem(socket, refused, `upgrade refused: ${PROBLEMS[refused].title}`, id);
    return true;
  }
  const auth = target.route?.auth ?? null;
  const limits = limitsOf(target, core.serviceLimits);
  if (auth === null && limits === null) {
    startUpgrade(core, req, socket, head, id, target, null);
    return true;
  }
  // The same auth and budgets as a request: an Upgrade header is no way around a route's auth.
  guardRequest(core.guardDeps, req, auth, limits ?? []).then(
    (outcome) => {
      if (socket.destroyed) return;
      if (outcome.ok) startUpgrade(core, req, socket, head, id, target, outcome.subject);
      else writeRawRefusal(socket, outcome.refusal, id);
    },
    () => writeRawProblem(socket, 'GW_ERR_INTERNAL', 'The upgrade could not be checked', id),
  );
  return true;
}

function startUpgrade(
  core: ProxyCore,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  id: string,
  target: Target,
  subject: string | null,
): void {
  const refused = core.availability(target);
  if (refused !== null) {
    writeRawProblem(socket, refused, `upgrade refused: ${PROBLEMS[refused].title}`, id);
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
    writeRawProblem(socket, 'GW_ERR_NO_HEALTHY_INSTANCE', `No healthy instance of ${target.service}`, id);
    return;
  }
  const headers = upgradeHeaders(req, target, entry, subject, id);
  if (headers === null) {
    writeRawProblem(socket, 'GW_ERR_BAD_REQUEST', 'The upgrade request framing is ambiguous', id);
    return;
  }
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
  bridge(core, upstream, socket, head, target.service, instance, id);
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
  service: string,
  instance: InstanceRegistration,
  id: string,
): void {
  const { proxyTimeoutMs, proxyConnectTimeoutMs } = core.config;
  const started = performance.now();
  let answered = false;
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
    record('ok');
    socket.off('error', onClientGone).off('close', onClientGone);
    conn.setTimeout(0);
    conn.setNoDelay(true);
    socket.write(headBlock(res, id, true));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) conn.write(head);
    core.trackUpgrade(socket, conn);
    // pipe() ends each side when the other ends; a side that closes without ending (error,
    // reset) takes the other one down, without cutting writes that an end() is still flushing.
    conn.pipe(socket);
    socket.pipe(conn);
    conn.on('error', () => socket.destroy()).on('close', () => socket.writableEnded || socket.destroy());
    socket.on('error', () => conn.destroy()).on('close', () => conn.writableEnded || conn.destroy());
  });
  upstream.on('response', (res: IncomingMessage) => {
    answered = true;
    record('ok');
    socket.write(headBlock(res, id, false));
    res.pipe(socket);
  });
  upstream.on('error', (err) => {
    if (answered) return void socket.destroy();
    if (socket.destroyed) return; // the client left first: not the instance's failure
    const failure = classifyFailure(err);
    const kind = outcomeOf(failure);
    if (kind !== null) record(kind);
    if (isTimeout(failure))
      writeRawProblem(socket, 'GW_ERR_UPSTREAM_TIMEOUT', `${service} did not answer in time`, id);
    else writeRawProblem(socket, 'GW_ERR_UPSTREAM_FAILED', `${service} could not be reached`, id);
  });
  upstream.end();
}
