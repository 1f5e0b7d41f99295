/**
 * One proxied request from instance choice to the end of the response, retries included. The
 * object is its own undici dispatch handler and the balancer's pick context, so a request
 * allocates this object, its header list and the dispatch options, and no closures: response
 * events reach it through module-level listeners that find it on the response (`kExchange`).
 *
 * It uses undici's raw handler callbacks (onConnect/onHeaders/onData/onComplete/onError, marked
 * deprecated in the typings but undici's native format): the newer controller API parses every
 * response's headers into an object first, which the one-pass copy here does not need.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Dispatcher } from 'undici';
import { type HashOn, type Instances, type PickContext, stickyKey } from '../balancer/index.js';
import { type AccessLine, accessPath, roundMs } from '../observability/access-log.js';
import { sentTraceId, type TraceSampler } from '../observability/tracing.js';
import type { InstanceRegistration } from '../registry/types.js';
import { type CompiledRoute, joinPath } from '../routing/index.js';
import { answerFailure, answerNoInstance, answerTooLarge } from './answers.js';
import { BodyTooLargeError } from './body.js';
import type { ProxyCore } from './core.js';
import { classifyFailure, type Failure, mayRetry, outcomeOf } from './failures.js';
import { copyResponseHeaders, type RequestFacts } from './headers.js';
import type { PoolEntry } from './pools.js';

export type ExchangeBody = IncomingMessage | Buffer | AsyncIterable<Buffer> | null;
/** undici sends async iterables too, though its typings list only streams and buffers. */
type UndiciBody = Dispatcher.DispatchOptions['body'];

const kExchange = Symbol('exchange');
type TaggedResponse = ServerResponse & { [kExchange]?: Exchange };

function onResponseClose(this: TaggedResponse): void {
  this[kExchange]?.onClientClose();
}
function onResponseDrain(this: TaggedResponse): void {
  this[kExchange]?.resumeUpstream?.();
}
function retryAttempt(exchange: Exchange): void {
  exchange.attempt();
}

export class Exchange implements PickContext, Dispatcher.DispatchHandler, RequestFacts {
  // RequestFacts, filled by the header pass.
  host: string | undefined = undefined;
  forwardedFor: string | undefined = undefined;
  contentLength: string | null = null;
  chunked = false;
  idempotencyKey = false;
  malformed = false;
  /** The traceparent sent on (after the header pass); its trace id goes to the access log. */
  traceparent: string | undefined = undefined;

  headers: string[] = [];
  body: ExchangeBody = null;
  /** May be sent again after it reached an instance (idempotent without body, or body buffered). */
  replaySafe = false;
  exclude: Set<string> | null = null;
  resumeUpstream: (() => void) | null = null;

  private readonly startedAt = performance.now();
  private attempts = 0;
  private lastFailure: Failure = 'refused';
  private instance: InstanceRegistration | null = null;
  private attemptStart = 0;
  private sent = false;
  private abortAttempt: ((err?: Error) => void) | null = null;
  private responseStarted = false;
  private clientGone = false;
  private broken = false;
  private drainHooked = false;
  /** Request body bytes sent in the current attempt; response body bytes relayed. */
  private bytesIn = 0;
  private bytesOut = 0;

  constructor(
    private readonly core: ProxyCore,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly service: string,
    readonly method: string,
    /** Forwarded after the instance's base path: `''`, `/path…` or `?query`. */
    readonly rest: string,
    readonly route: CompiledRoute | null,
    /** The verified subject of an authenticated route, forwarded in its subject header. */
    readonly subject: string | null,
  ) {
    (res as TaggedResponse)[kExchange] = this;
    res.on('close', onResponseClose);
  }

  /** RequestFacts: the span exporter's sampler, or null (no export). */
  get traceSampler(): TraceSampler | null {
    return this.core.traceSampler;
  }

  get proto(): string {
    return (this.req.socket as TLSSocket).encrypted ? 'https' : 'http';
  }

  hashKey(on: HashOn): string | null {
    // TRUST_PROXY decides the client here, resolved only when a service hashes on it.
    return stickyKey(on, this.req.headers, on.kind === 'ip' ? this.core.clientIp(this.req) : '');
  }

  /** Picks an instance (another one on a retry while one exists) and sends the request to it. */
  attempt(): void {
    if (this.clientGone) return;
    const candidates = this.core.health.routable(this.service);
    // Bounded: each pass excludes one instance whose pool is gone (it left the registry).
    for (let left = candidates.length; left >= 0; left--) {
      const instance = this.pick(candidates);
      if (instance === null) break;
      const entry = this.core.pools.entryFor(instance);
      if (entry !== null) {
        this.dispatch(instance, entry);
        return;
      }
      this.excludeInstance(instance.instance_id);
    }
    // Before any attempt this is the 503 of SPEC section 5; later, instances vanished mid-retry.
    if (this.attempts === 0) answerNoInstance(this.res, this.service, this.requestId, this.core.retryAfter);
    else answerFailure(this.res, this.service, this.lastFailure, this.requestId);
  }

  private pick(candidates: Instances): InstanceRegistration | null {
    const instance = this.core.balancer.pick(this.service, candidates, this);
    if (instance !== null || this.exclude === null || this.exclude.size === 0) return instance;
    // Every routable instance was tried: the same one again is allowed now (SPEC section 5).
    this.exclude.clear();
    return this.core.balancer.pick(this.service, candidates, this);
  }

  private dispatch(instance: InstanceRegistration, entry: PoolEntry): void {
    this.instance = instance;
    this.attempts++;
    this.sent = false;
    this.abortAttempt = null;
    this.attemptStart = performance.now();
    this.bytesIn = 0;
    this.core.balancer.acquire(this.service, instance.instance_id);
    const options: Dispatcher.DispatchOptions = {
      path: joinPath(entry.basePath, this.rest),
      method: this.method,
      headers: this.headers,
      body: this.body as UndiciBody,
    };
    const timeout = this.route?.timeoutMs;
    if (timeout != null) {
      options.headersTimeout = timeout;
      options.bodyTimeout = timeout;
    }
    entry.pool.dispatch(options, this);
  }

  private excludeInstance(instanceId: string): void {
    if (this.exclude === null) this.exclude = new Set();
    this.exclude.add(instanceId);
  }

  /** Ends the attempt's bookkeeping: balancer count, passive health. */
  private endAttempt(failure: Failure | null): void {
    const instance = this.instance!;
    this.core.balancer.release(this.service, instance.instance_id);
    const kind = failure === null ? 'ok' : outcomeOf(failure);
    if (kind !== null) {
      this.core.health.record(this.service, instance.instance_id, {
        kind,
        ms: performance.now() - this.attemptStart,
      });
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    this.sent = true;
    this.abortAttempt = abort;
    if (this.clientGone) abort();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx (103 Early Hints): not relayed
    this.responseStarted = true;
    this.resumeUpstream = resume;
    const headers = copyResponseHeaders(rawHeaders, this.requestId, this.route?.responseHeaders ?? null);
    if (statusText) this.res.writeHead(statusCode, statusText, headers);
    else this.res.writeHead(statusCode, headers);
    return true;
  }

  /** undici passes each body chunk sent (its typings say a size, so both are counted). */
  onBodySent(chunk: Buffer | number): void {
    this.bytesIn += typeof chunk === 'number' ? chunk : chunk.length;
  }

  onData(chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    if (this.res.write(chunk)) return true;
    if (!this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', onResponseDrain);
    }
    return false;
  }

  onComplete(): void {
    this.endAttempt(null);
    this.res.end();
  }

  onError(err: Error): void {
    const tooLarge = err instanceof BodyTooLargeError;
    // Not req.socket: undici destroys a fully read request body, which detaches its socket.
    const clientGone = this.clientGone || this.res.destroyed || this.res.socket?.destroyed === true;
    const failure = tooLarge || clientGone ? 'aborted' : classifyFailure(err);
    // A response that began means the instance answered; what broke later was the client's side.
    this.endAttempt(failure === 'aborted' && this.responseStarted ? null : failure);
    if (clientGone) return;
    if (this.res.headersSent) {
      this.broken = true;
      this.res.destroy();
      return;
    }
    if (tooLarge) {
      answerTooLarge(this.res, this.route, this.requestId);
      return;
    }
    this.lastFailure = failure;
    const retry =
      !this.responseStarted &&
      this.attempts <= this.core.retries &&
      mayRetry(failure, this.sent, this.replaySafe);
    this.core.logAttemptFailure(this.service, this.instance!, failure, err, this.requestId, retry);
    if (!retry) {
      answerFailure(this.res, this.service, failure, this.requestId);
      return;
    }
    this.excludeInstance(this.instance!.instance_id);
    this.core.metrics.retriesTotal.labels(this.service).inc();
    process.nextTick(retryAttempt, this);
  }

  onClientClose(): void {
    const res = this.res;
    (res as TaggedResponse)[kExchange] = undefined;
    let status = res.statusCode;
    if (this.broken) status = 502;
    else if (!res.writableFinished) {
      // Client closed request (nginx's 499): stop the instance's work too.
      status = 499;
      this.clientGone = true;
      this.abortAttempt?.();
    }
    const ms = performance.now() - this.startedAt;
    const core = this.core;
    core.metrics.observeRequest(this.service, this.method, status, ms / 1000);
    if (core.reports()) {
      const traceparent = this.traceparent;
      const line: AccessLine = {
        method: this.method,
        path: accessPath(this.req.url),
        service: this.service,
        instance: this.instance === null ? null : this.instance.instance_id,
        status,
        duration_ms: roundMs(ms),
        bytes_in: this.bytesIn,
        bytes_out: this.bytesOut,
        request_id: this.requestId,
        retries: this.attempts > 0 ? this.attempts - 1 : 0,
        trace_id: sentTraceId(traceparent),
      };
      core.report(this.req, line, traceparent, this.service);
    }
  }
}
