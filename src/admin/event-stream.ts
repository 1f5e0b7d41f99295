import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { EventHub, GatewayEvent } from '../events.js';

/**
 * Server-Sent Events for GET /api/discovery/events, written straight to the socket (a small
 * writer instead of a plugin: the SSE plugins lag behind Fastify 5, and the format is three
 * lines). A client that does not keep up is disconnected rather than buffered for without
 * bound: it can reconnect and re-read the registry, while a growing buffer would take the
 * gateway's memory down with it.
 */

export interface EventStreamOptions {
  readonly events: EventHub<GatewayEvent>;
  readonly logger: Logger;
  /** Comment lines that keep idle proxies from closing the stream (default 15 s). */
  readonly heartbeatMs?: number;
  /** Bytes queued for one client before it counts as too slow and is cut (default 256 KiB). */
  readonly maxBufferedBytes?: number;
  /** Client reconnection delay announced by the `retry:` field (default 2 s). */
  readonly retryMs?: number;
}

export interface EventStreams {
  /** Takes over the reply and streams events until the client leaves or closeAll(). */
  open(reply: FastifyReply, filter: { service_name?: string }): void;
  /** Ends every stream (graceful shutdown must not wait for clients that never leave). */
  closeAll(): void;
  readonly size: number;
}

/** One SSE message: the type as `event:`, the whole event as one `data:` line of JSON. */
export function formatEvent(event: GatewayEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function createEventStreams(options: EventStreamOptions): EventStreams {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
  const retryMs = options.retryMs ?? 2_000;
  const open = new Map<ServerResponse, () => void>();

  function start(reply: FastifyReply, filter: { service_name?: string }): void {
    const res = reply.raw;
    reply.hijack();
    // Headers set by hooks so far (X-Request-ID, CORS) live on the reply; a hijacked reply
    // does not send them, so they are copied over.
    const inherited = Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined);
    res.writeHead(200, {
      ...(Object.fromEntries(inherited) as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);

    let ended = false;
    const write = (chunk: string): void => {
      if (ended) return;
      if (res.writableLength > maxBuffered) {
        options.logger.warn({ request_id: reply.request.id }, 'event stream client too slow: disconnected');
        res.destroy();
        return;
      }
      res.write(chunk);
    };
    const unsubscribe = options.events.subscribe((event) => {
      if (filter.service_name === undefined || event.service_name === filter.service_name)
        write(formatEvent(event));
    });
    const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
    heartbeat.unref();
    const cleanup = (): void => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    };
    res.once('close', cleanup);
    open.set(res, () => {
      cleanup();
      // The socket goes too: a kept-alive connection would otherwise hold server.close() open.
      res.end(': gateway shutting down\n\n', () => res.socket?.destroy());
      setTimeout(() => res.destroy(), 1_000).unref();
    });
    // The first bytes flush the headers, so a client knows at once that it is subscribed.
    res.write(`retry: ${retryMs}\n: connected\n\n`);
  }

  return {
    open: start,
    closeAll() {
      for (const end of [...open.values()]) end();
    },
    get size() {
      return open.size;
    },
  };
}
