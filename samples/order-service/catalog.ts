import { callJson, failureReason, ProblemError } from '../shared/index.js';

/** What the order service needs to know about a product. */
export interface CatalogProduct {
  id: number;
  name: string;
  price: number;
}

export interface Catalog {
  userExists(id: number, requestId?: string): Promise<boolean>;
  /** The product, or null when product-service says it does not exist. */
  product(id: number, requestId?: string): Promise<CatalogProduct | null>;
}

export interface CatalogOptions {
  /** Where the gateway listens, e.g. http://localhost:8000. */
  gatewayUrl: string;
  timeoutMs?: number;
}

const RETRY_AFTER_SECONDS = 5;

/** The gateway's own problems carry a `GW_ERR_` code; a service's 404 does not. */
function isGatewayProblem(body: unknown): boolean {
  const code = (body as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('GW_ERR_');
}

/**
 * Looks users and products up THROUGH THE GATEWAY (`/proxy/{service}/...`), as a real
 * service behind it would: the gateway picks a healthy instance. A 404 from the service means
 * the id does not exist; the gateway not knowing the service, or having no healthy instance,
 * is 503; any other failure is 502, so an order is never accepted unchecked.
 */
export function createCatalog({ gatewayUrl, timeoutMs = 5_000 }: CatalogOptions): Catalog {
  const base = gatewayUrl.replace(/\/+$/, '');
  async function lookup(service: string, resource: string, id: number, requestId?: string) {
    const what = `${resource.slice(0, -1)} ${id}`;
    const headers: Record<string, string> = requestId ? { 'x-request-id': requestId } : {};
    let res: Awaited<ReturnType<typeof callJson>>;
    try {
      res = await callJson(`${base}/proxy/${service}/api/${resource}/${id}`, { headers, timeoutMs });
    } catch (err) {
      throw new ProblemError(
        503,
        `cannot reach the gateway at ${base} to check ${what}: ${failureReason(err)}`,
        {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        },
      );
    }
    if (res.status === 200) return res.body;
    if (res.status === 404 && !isGatewayProblem(res.body)) return null;
    if (res.status === 503 || res.status === 404) {
      throw new ProblemError(
        503,
        `${service} is not available through the gateway (${res.status}) to check ${what}`,
        {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        },
      );
    }
    throw new ProblemError(
      502,
      `${service} answered ${res.status} through the gateway when checking ${what}`,
    );
  }
  return {
    userExists: async (id, requestId) => (await lookup('user-service', 'users', id, requestId)) !== null,
    product: async (id, requestId) =>
      (await lookup('product-service', 'products', id, requestId)) as CatalogProduct | null,
  };
}
