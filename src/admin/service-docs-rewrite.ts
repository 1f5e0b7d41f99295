/**
 * Rewrites a service's own OpenAPI document so that Swagger UI's "Try it out" goes through the
 * gateway. `/proxy/{name}/{path}` forwards to `{base_url}/{path}`, so the document's paths stay
 * as they are and only where requests are sent changes: to `/proxy/{name}` on the gateway's own
 * origin. A path prefix in the original server (`http://x/api`) is not carried over: base_url is
 * the root the paths are relative to, so a service under `/api` registers `http://x/api`.
 */

export type OpenApiDocument = Record<string, unknown>;

/** The gateway path every request of a service's document goes to. */
export function proxyPrefix(serviceName: string): string {
  return `/proxy/${encodeURIComponent(serviceName)}`;
}

const OPERATIONS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Which OpenAPI generation a parsed document is, or null when it is not one. */
export function openApiVersion(doc: unknown): 'openapi3' | 'swagger2' | null {
  if (!isObject(doc)) return null;
  if (doc.paths !== undefined && !isObject(doc.paths)) return null;
  if (typeof doc.openapi === 'string' && /^3\.\d+/.test(doc.openapi)) return 'openapi3';
  if (doc.swagger === '2.0') return 'swagger2';
  return null;
}

/**
 * Points the document at the gateway, in place (the caller hands over a freshly parsed object,
 * and copying a document of up to 2 MiB would only cost memory). Returns null, changing nothing,
 * when the value is not an OpenAPI 3.x or Swagger 2.0 document.
 */
export function rewriteForGateway(doc: unknown, serviceName: string): OpenApiDocument | null {
  const version = openApiVersion(doc);
  if (version === null) return null;
  const document = doc as OpenApiDocument;
  const prefix = proxyPrefix(serviceName);
  if (version === 'openapi3') {
    // Relative to the origin Swagger UI was loaded from: the gateway, whatever its public name.
    document.servers = [{ url: prefix, description: `${serviceName} through msa-gateway` }];
  } else {
    document.basePath = prefix;
    // Without host and schemes, Swagger 2.0 clients use the origin the document came from.
    delete document.host;
    delete document.schemes;
  }
  // Path- and operation-level overrides would send "Try it out" straight to the service.
  for (const item of Object.values(isObject(document.paths) ? document.paths : {})) {
    if (!isObject(item)) continue;
    delete item.servers;
    for (const method of OPERATIONS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      delete operation.servers;
      delete operation.schemes;
    }
  }
  const info = isObject(document.info) ? document.info : { title: serviceName, version: '' };
  info['x-gateway-service'] = serviceName;
  document.info = info;
  return document;
}
