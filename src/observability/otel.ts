/**
 * OpenTelemetry trace export with the official SDK, loaded by spans.ts only when an OTLP endpoint
 * is configured. No auto-instrumentation and no context manager: the proxy keeps its own W3C
 * traceparent handling (tracing.ts) and hands each finished request over here, where it becomes
 * one SERVER span, created and ended at once with the request's real start time:
 *
 * - its trace id and span id are those of the traceparent the gateway sent to the instance, so
 *   the instance's spans hang under it; its parent is the client's traceparent, when valid;
 * - attributes follow the HTTP semantic conventions, plus `gateway.*` (service, instance,
 *   retries, request id); status ERROR on a 5xx;
 * - spans go out in batches (BatchSpanProcessor) over OTLP/HTTP, protobuf or JSON.
 *
 * The SDK makes its own ids; a preset IdGenerator hands it the gateway's instead, set right before
 * each (synchronous) startSpan. The same sampler decides the flag sent on (`sample`, called while
 * the headers are prepared) and, with the same inputs, the span's fate at the end.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  type Attributes,
  type Context,
  DiagLogLevel,
  diag,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type IdGenerator,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { packageVersion } from '../admin/gateway-routes.js';
import type { OtelConfig } from '../config/index.js';
import type { AccessLine } from './access-log.js';
import type { RequestSpans } from './spans.js';
import { isValidTraceparent, spanId, spanIdOf, traceId, traceIdOf } from './tracing.js';

/** How long close() waits for the last export: a collector that does not answer must not hold shutdown. */
export const FLUSH_TIMEOUT_MS = 3_000;

/** Methods the HTTP conventions name; others are reported as `_OTHER` with the original kept. */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
]);

/** Hands the SDK the gateway's own ids for the next span, random ones otherwise. */
class PresetIds implements IdGenerator {
  traceId: string | null = null;
  spanId: string | null = null;

  generateTraceId(): string {
    const id = this.traceId ?? traceId();
    this.traceId = null;
    return id;
  }

  generateSpanId(): string {
    const id = this.spanId ?? spanId();
    this.spanId = null;
    return id;
  }
}

function samplerOf(config: OtelConfig): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** The context of a remote parent (a valid traceparent), or the root context. */
function parentContext(parent: string | null): Context {
  if (parent === null) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceIdOf(parent),
    spanId: spanIdOf(parent),
    traceFlags: Number.parseInt(parent.slice(53, 55), 16),
    isRemote: true,
  });
}

/** The client's traceparent when the gateway continued it (valid and not repeated), else null. */
function incomingParent(req: IncomingMessage): string | null {
  const value = req.headers.traceparent;
  return typeof value === 'string' && isValidTraceparent(value) ? value : null;
}

/** Host and port of a Host header (`name`, `name:port`, `[v6]:port`). */
function hostParts(host: string | undefined): { name: string; port: number | null } | null {
  if (host === undefined || host === '') return null;
  const close = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = host.indexOf(':', close + 1);
  if (colon === -1) return { name: host, port: null };
  const port = Number(host.slice(colon + 1));
  return { name: host.slice(0, colon), port: Number.isInteger(port) && port > 0 ? port : null };
}

function attributesOf(req: IncomingMessage, line: AccessLine): Attributes {
  const query = line.path.indexOf('?');
  const attributes: Attributes = {
    [ATTR_URL_PATH]: query === -1 ? line.path : line.path.slice(0, query),
    [ATTR_URL_SCHEME]: (req.socket as TLSSocket).encrypted ? 'https' : 'http',
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: line.status,
    [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
    'http.request.body.size': line.bytes_in,
    'http.response.body.size': line.bytes_out,
    'gateway.service': line.service,
    'gateway.retries': line.retries,
    'gateway.request_id': line.request_id,
  };
  if (KNOWN_METHODS.has(line.method)) attributes[ATTR_HTTP_REQUEST_METHOD] = line.method;
  else {
    attributes[ATTR_HTTP_REQUEST_METHOD] = '_OTHER';
    attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = line.method;
  }
  if (line.instance !== null) attributes['gateway.instance'] = line.instance;
  const host = hostParts(req.headers.host);
  if (host !== null) {
    attributes[ATTR_SERVER_ADDRESS] = host.name;
    if (host.port !== null) attributes[ATTR_SERVER_PORT] = host.port;
  }
  const peer = req.socket.remoteAddress;
  if (peer !== undefined) attributes[ATTR_NETWORK_PEER_ADDRESS] = peer;
  const agent = req.headers['user-agent'];
  if (agent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = agent;
  if (line.status >= 500) attributes[ATTR_ERROR_TYPE] = String(line.status);
  return attributes;
}

// The API's diagnostics channel is process-wide: the first gateway's logger gets the SDK's
// warnings and errors (a failed export among them), once.
let diagnosticsSet = false;

function logDiagnostics(logger: Logger): void {
  if (diagnosticsSet) return;
  diagnosticsSet = true;
  const log = (message: string, ...args: unknown[]) =>
    logger.warn(
      { component: 'opentelemetry', detail: args.length > 0 ? args.map(String) : undefined },
      message,
    );
  const quiet = () => {};
  diag.setLogger(
    { error: log, warn: log, info: quiet, debug: quiet, verbose: quiet },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

async function exporterOf(config: OtelConfig): Promise<SpanExporter> {
  // Other OTEL_EXPORTER_OTLP_* settings (headers, timeout, compression, certificates) are read by
  // the exporter from the environment; the URL given here wins over its own reading.
  const { OTLPTraceExporter } =
    config.protocol === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url: config.tracesUrl });
}

export async function createRequestSpans(config: OtelConfig, logger: Logger): Promise<RequestSpans> {
  logDiagnostics(logger);
  const ids = new PresetIds();
  const sampler = samplerOf(config);
  // Precedence: the SDK's defaults, our version, OTEL_RESOURCE_ATTRIBUTES, then the service name.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_VERSION]: packageVersion() }))
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }));
  const provider = new BasicTracerProvider({
    resource,
    sampler,
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor(await exporterOf(config))],
  });
  const tracer = provider.getTracer('msa-gateway', packageVersion());

  return {
    sample: (id: string, parent: string | null) =>
      sampler.shouldSample(parentContext(parent), id, '', SpanKind.SERVER, {}, []).decision ===
      SamplingDecision.RECORD_AND_SAMPLED,

    end(req, line, sent, label) {
      const parent = incomingParent(req);
      if (sent !== undefined && sent !== '') {
        ids.spanId = spanIdOf(sent);
        if (parent === null) ids.traceId = traceIdOf(sent);
      }
      const method = KNOWN_METHODS.has(line.method) ? line.method : 'HTTP';
      const name = label === '' ? method : `${method} ${label}`;
      const startTime = performance.now() - line.duration_ms;
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, startTime }, parentContext(parent));
      ids.spanId = null;
      ids.traceId = null;
      if (!span.isRecording()) return;
      span.setAttributes(attributesOf(req, line));
      if (line.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },

    async close() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
        timer.unref();
      });
      const flushed = provider.shutdown().catch((err: unknown) => {
        logger.warn({ err }, 'opentelemetry: the last spans could not be exported');
      });
      await Promise.race([flushed, timeout]);
      clearTimeout(timer);
    },
  };
}
