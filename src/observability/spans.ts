/**
 * Span export as the proxy sees it: one SERVER span per proxied request or WebSocket upgrade,
 * handed over when it ends. The OpenTelemetry side (otel.ts) is imported only when an OTLP
 * endpoint is configured, so a gateway without one loads none of the SDK and its hot path pays a
 * null check.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { OtelConfig } from '../config/index.js';
import type { AccessLine } from './access-log.js';
import type { TraceSampler } from './tracing.js';

export interface RequestSpans {
  /** Decides the sampled flag of the traceparent sent on (and so of the span exported later). */
  readonly sample: TraceSampler;
  /**
   * Exports the span of a request that ended just now: `line` is its access line, `sent` the
   * traceparent sent to the instance (its span id becomes the span's), `label` the service name
   * for the span name, or '' when the service is not a registered one (a client's made-up name).
   */
  end(req: IncomingMessage, line: AccessLine, sent: string | undefined, label: string): void;
  /** Exports what is still queued (bounded in time), then stops the exporter. */
  close(): Promise<void>;
}

/** The span exporter for `config`, or null (nothing of OpenTelemetry loaded) when export is off. */
export async function loadRequestSpans(
  config: OtelConfig | null,
  logger: Logger,
): Promise<RequestSpans | null> {
  if (config === null) return null;
  const { createRequestSpans } = await import('./otel.js');
  return createRequestSpans(config, logger);
}
