/**
 * The proxy: `/proxy/{service}/…` and static routes, handled in the HTTP server's request handler
 * before Fastify (see core.ts for the request path, exchange.ts for one request's life).
 */
import type { GatewayEvent } from '../events.js';
import { ProxyCore } from './core.js';
import { compileServiceLimits } from './guarded.js';
import type { Proxy as GatewayProxy, ProxyDeps } from './types.js';
import { proxyUpgrade } from './upgrade.js';

export { PROXY_METHODS } from './answers.js';
export { REPLAY_BUFFER_BYTES } from './body.js';
export { classifyFailure, type Failure, mayRetry } from './failures.js';
export { appendForwarded, copyRequestHeaders, copyResponseHeaders } from './headers.js';
export type { Proxy, ProxyDeps } from './types.js';

export function createProxy(deps: ProxyDeps): GatewayProxy {
  const core = new ProxyCore(deps);
  const unsubscribe = deps.events.subscribe((event: GatewayEvent) => {
    if (event.type === 'deregistered' || event.type === 'expired')
      core.onMembershipChange(event.service_name);
  });
  let closing: Promise<void> | null = null;
  return {
    handle: (req, res, requestId) => core.handle(req, res, requestId),
    handleUpgrade: (req, socket, head, requestId) => proxyUpgrade(core, req, socket, head, requestId),
    applyConfig(next) {
      // One reference swap: a request in flight keeps the route it matched.
      core.routes = core.compile(next.routes);
      core.balancer.setConfig(next.balancing);
      if (next.rateLimits !== undefined) core.serviceLimits = compileServiceLimits(next.rateLimits);
    },
    close() {
      unsubscribe();
      closing ??= core.close();
      return closing;
    },
  };
}
