/**
 * The registered services' own OpenAPI documents, for the gateway's Swagger UI (SPEC section 3).
 * Fetched lazily when someone asks (never on the proxy's path), from one routable instance,
 * rewritten to go through `/proxy/{name}`, and kept serialized for a TTL. Membership events of a
 * service drop its entry, so a redeployed service shows its new document on the next request.
 */
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import type { EventHub, GatewayEvent } from '../events.js';
import type { HealthMonitor, InstanceStatus } from '../health/index.js';
import type { AddressCheck, InstanceRegistration, Registry } from '../registry/index.js';
import { createDocAgent, DocFetchError, fetchJsonDocument } from './service-docs-fetch.js';
import { rewriteForGateway } from './service-docs-rewrite.js';

/** Where the docs surface lives (Swagger UI's routePrefix). */
export const DOCS_PREFIX = '/docs';

export interface ServiceDocEntry {
  readonly service_name: string;
  /** The rewritten document, on the gateway. */
  readonly url: string;
  /** The service's health: HEALTHY, UNKNOWN or UNHEALTHY (no instance to fetch from). */
  readonly status: InstanceStatus;
}

export interface ServiceDocsOptions {
  readonly registry: Pick<Registry, 'serviceNames' | 'instancesOf'>;
  readonly health: Pick<HealthMonitor, 'routable' | 'serviceStatus'>;
  readonly events: EventHub<GatewayEvent>;
  readonly logger: Logger;
  /** The registry's SSRF guard, applied to `metadata.openapi_url` as to base_url. */
  readonly checkAddress?: AddressCheck | undefined;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly ttlMs?: number;
  /** How long "no document" is remembered: a client asking again and again costs one fetch. */
  readonly failureTtlMs?: number;
  readonly now?: () => number;
}

export interface ServiceDocs {
  /** Every registered service, by name. */
  list(): ServiceDocEntry[];
  /** The rewritten document as JSON text; rejects with a GatewayError (404, 502, 503). */
  document(serviceName: string): Promise<string>;
  close(): Promise<void>;
}

type Outcome = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly detail: string };

interface Entry {
  readonly outcome: Promise<Outcome>;
  /** Infinity while the fetch runs: every request meanwhile shares it. */
  expiresAt: number;
  failed: boolean;
}

/** Instances tried before giving up: replicas usually serve the same document, or none. */
const MAX_TRIED = 3;

export function docUrlOf(serviceName: string): string {
  return `${DOCS_PREFIX}/services/${encodeURIComponent(serviceName)}/openapi.json`;
}

/**
 * Where an instance's document is: `metadata.openapi_url` when it is an absolute http(s) URL
 * (or a path, taken under base_url), else `{base_url}/openapi.json`.
 */
export function documentUrlOf(instance: InstanceRegistration): URL {
  const declared = instance.metadata.openapi_url;
  if (typeof declared === 'string') {
    try {
      const url =
        declared.startsWith('/') && !declared.startsWith('//')
          ? new URL(instance.base_url + declared)
          : new URL(declared);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url;
    } catch {
      // not a URL: the default location below
    }
  }
  return new URL(`${instance.base_url}/openapi.json`);
}

export function createServiceDocs(options: ServiceDocsOptions): ServiceDocs {
  const { registry, health, logger, checkAddress } = options;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const maxBytes = options.maxBytes ?? 2 * 1024 * 1024;
  const ttlMs = options.ttlMs ?? 60_000;
  const failureTtlMs = options.failureTtlMs ?? 10_000;
  const now = options.now ?? Date.now;
  const agent = createDocAgent(timeoutMs);
  const cache = new Map<string, Entry>();

  const unsubscribe = options.events.subscribe((event) => {
    if (event.type === 'peer_passive') return; // another gateway's view: nothing changed here
    if (event.type !== 'status_changed') {
      cache.delete(event.service_name);
      return;
    }
    // A service that had no document may have one now that an instance came back.
    if (cache.get(event.service_name)?.failed) cache.delete(event.service_name);
  });

  async function fetchFrom(instance: InstanceRegistration, serviceName: string): Promise<string> {
    const url = documentUrlOf(instance);
    const refusal = checkAddress?.(url, 'base_url');
    if (refusal) throw new DocFetchError(`the document URL ${refusal}`);
    const rewritten = rewriteForGateway(
      await fetchJsonDocument(url.href, agent, { timeoutMs, maxBytes }),
      serviceName,
    );
    if (rewritten === null)
      throw new DocFetchError('answered JSON that is not an OpenAPI 3.x or Swagger 2.0 document');
    return JSON.stringify(rewritten);
  }

  async function load(serviceName: string, candidates: readonly InstanceRegistration[]): Promise<Outcome> {
    const reasons: string[] = [];
    for (const instance of candidates.slice(0, MAX_TRIED)) {
      try {
        return { ok: true, json: await fetchFrom(instance, serviceName) };
      } catch (err) {
        const reason = err instanceof DocFetchError ? err.message : 'failed';
        reasons.push(`${instance.instance_id}: ${reason}`);
        // The answer names the instance; its URL is for operators, in the log.
        logger.info(
          {
            service: serviceName,
            instance_id: instance.instance_id,
            url: documentUrlOf(instance).href,
            reason,
          },
          'service OpenAPI document unavailable',
        );
      }
    }
    return {
      ok: false,
      detail: `No instance of "${serviceName}" serves an OpenAPI document (${reasons.join('; ')})`,
    };
  }

  function answer(outcome: Outcome): string {
    if (outcome.ok) return outcome.json;
    throw new GatewayError('GW_ERR_UPSTREAM_FAILED', outcome.detail);
  }

  return {
    list() {
      return [...registry.serviceNames()].sort().map((name) => ({
        service_name: name,
        url: docUrlOf(name),
        status: health.serviceStatus(name),
      }));
    },

    async document(serviceName) {
      if (registry.instancesOf(serviceName).length === 0) {
        throw new GatewayError('GW_ERR_SERVICE_NOT_FOUND', `No service named "${serviceName}" is registered`);
      }
      const cached = cache.get(serviceName);
      if (cached && cached.expiresAt > now()) return answer(await cached.outcome);
      const candidates = health.routable(serviceName);
      if (candidates.length === 0) {
        throw new GatewayError(
          'GW_ERR_NO_HEALTHY_INSTANCE',
          `Service "${serviceName}" has no healthy instance to fetch its document from`,
          { retryAfterSeconds: 5 },
        );
      }
      const entry: Entry = { outcome: load(serviceName, candidates), expiresAt: Infinity, failed: false };
      cache.set(serviceName, entry);
      // An entry dropped by an event meanwhile is no longer in the map: its result is not kept.
      void entry.outcome.then((outcome) => {
        entry.failed = !outcome.ok;
        entry.expiresAt = now() + (outcome.ok ? ttlMs : failureTtlMs);
      });
      return answer(await entry.outcome);
    },

    async close() {
      unsubscribe();
      cache.clear();
      await agent.destroy();
    },
  };
}
