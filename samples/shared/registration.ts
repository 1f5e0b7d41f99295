import { setTimeout as sleep } from 'node:timers/promises';
import { callJson, failureReason, type JsonResponse } from './http-json.js';

export interface RegistrationLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RegistrationOptions {
  gatewayUrl: string;
  serviceName: string;
  /** This instance's own URL, as the gateway should call it. */
  baseUrl: string;
  /** Lease length; heartbeats go out every third of it. */
  ttlSeconds: number;
  metadata: Record<string, unknown>;
  /** Bearer token for the gateway's admin API (GATEWAY_ADMIN_TOKEN). */
  token?: string;
  logger: RegistrationLogger;
  requestTimeoutMs?: number;
  /** First retry delay after a failure; doubles up to a third of the lease. */
  retryMinMs?: number;
}

export interface Registration {
  /** The instance id the gateway answered, once registered. */
  readonly instanceId: string | undefined;
  /** Resolves with the instance id after the first successful registration; rejects if stopped before. */
  registered(): Promise<string>;
  /** Stops heartbeating and deregisters; never rejects. */
  stop(): Promise<void>;
}

interface ServiceRecordBody {
  instances?: { instance_id: string; base_url: string }[];
}

/** The gateway stores base URLs in WHATWG serialization without a trailing slash. */
const normalize = (url: string) => new URL(url).href.replace(/\/+$/, '');

/**
 * Keeps one instance registered with the gateway for as long as the process runs: register
 * (retrying with doubling back-off while the gateway is down), heartbeat every third of the
 * lease, register again when a heartbeat gets 404 (the gateway forgot the instance: restart,
 * expired lease), and deregister on stop.
 */
export function startRegistration(options: RegistrationOptions): Registration {
  return new GatewayRegistration(options);
}

class GatewayRegistration implements Registration {
  #instanceId: string | undefined;
  readonly #options: RegistrationOptions;
  readonly #servicesUrl: string;
  readonly #heartbeatMs: number;
  readonly #wake = new AbortController();
  readonly #first = deferred<string>();
  readonly #loop: Promise<void>;

  constructor(options: RegistrationOptions) {
    this.#options = options;
    this.#servicesUrl = `${options.gatewayUrl.replace(/\/+$/, '')}/api/discovery/services`;
    this.#heartbeatMs = Math.floor((options.ttlSeconds * 1000) / 3);
    // Nobody may be waiting for it; a stop before the first registration is no error then.
    this.#first.promise.catch(() => {});
    this.#loop = this.#run();
  }

  get instanceId(): string | undefined {
    return this.#instanceId;
  }

  registered(): Promise<string> {
    return this.#first.promise;
  }

  async stop(): Promise<void> {
    this.#wake.abort();
    await this.#loop;
    this.#first.reject(new Error('registration stopped before the gateway accepted it'));
    const id = this.#instanceId;
    if (id === undefined) return;
    this.#instanceId = undefined;
    try {
      const res = await this.#call(this.#instanceUrl(id), 'DELETE');
      this.#options.logger.info({ instance_id: id, status: res.status }, 'deregistered from the gateway');
    } catch (err) {
      this.#options.logger.warn({ instance_id: id }, `deregistration failed: ${failureReason(err)}`);
    }
  }

  async #run(): Promise<void> {
    const retryMinMs = Math.min(this.#options.retryMinMs ?? 500, this.#heartbeatMs);
    let failures = 0;
    while (!this.#wake.signal.aborted) {
      let delay: number;
      try {
        delay = await this.#step(failures);
        failures = 0;
      } catch (err) {
        failures++;
        delay = Math.min(retryMinMs * 2 ** (failures - 1), this.#heartbeatMs);
        const context = { gateway: this.#options.gatewayUrl, retry_in_ms: delay };
        this.#options.logger.warn(context, `gateway call failed: ${failureReason(err)}`);
      }
      await sleep(delay, undefined, { signal: this.#wake.signal }).catch(() => {});
    }
  }

  /** One turn of the loop: register, or heartbeat; returns how long to wait before the next. */
  async #step(failures: number): Promise<number> {
    const { logger, gatewayUrl, ttlSeconds } = this.#options;
    if (this.#instanceId === undefined) {
      this.#instanceId = await this.#register();
      logger.info(
        { gateway: gatewayUrl, instance_id: this.#instanceId, ttl_seconds: ttlSeconds },
        'registered with the gateway',
      );
      this.#first.resolve(this.#instanceId);
      return this.#heartbeatMs;
    }
    const res = await this.#call(`${this.#instanceUrl(this.#instanceId)}/heartbeat`, 'PUT');
    if (res.status === 404) {
      logger.warn(
        { instance_id: this.#instanceId },
        'the gateway no longer knows this instance; registering again',
      );
      this.#instanceId = undefined;
      return 0;
    }
    if (res.status !== 200) throw new Error(`heartbeat answered ${res.status}: ${detailOf(res)}`);
    if (failures > 0) logger.info({ instance_id: this.#instanceId }, 'heartbeat accepted again');
    return this.#heartbeatMs;
  }

  /** POST the registration; the instance id is the one the gateway lists for our base_url. */
  async #register(): Promise<string> {
    const { serviceName, baseUrl, ttlSeconds, metadata } = this.#options;
    const body = { service_name: serviceName, base_url: baseUrl, ttl_seconds: ttlSeconds, metadata };
    const res = await this.#call(this.#servicesUrl, 'POST', body);
    if (res.status !== 200 && res.status !== 201) {
      throw new Error(`registration answered ${res.status}: ${detailOf(res)}`);
    }
    const wanted = normalize(baseUrl);
    const mine = (res.body as ServiceRecordBody).instances?.find((i) => normalize(i.base_url) === wanted);
    if (!mine) throw new Error(`registration answer lists no instance with base_url ${wanted}`);
    return mine.instance_id;
  }

  #call(url: string, method: 'POST' | 'PUT' | 'DELETE', body?: unknown): Promise<JsonResponse> {
    const { token, requestTimeoutMs = 5_000 } = this.#options;
    return callJson(url, { method, body, token, timeoutMs: requestTimeoutMs });
  }

  #instanceUrl(id: string): string {
    return `${this.#servicesUrl}/${encodeURIComponent(this.#options.serviceName)}/instances/${encodeURIComponent(id)}`;
  }
}

/** Promise.withResolvers, which Node.js 20 lacks. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function detailOf(res: JsonResponse): string {
  const detail = (res.body as { detail?: unknown } | null)?.detail;
  return typeof detail === 'string' ? detail : String(res.body ?? '').slice(0, 200);
}
