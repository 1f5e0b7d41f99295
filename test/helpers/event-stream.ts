import { waitFor } from './wait-for.js';

export interface SseMessage {
  readonly event: string;
  /** The `data:` payload parsed as JSON (the gateway always sends JSON). */
  readonly data: Record<string, unknown>;
}

export interface EventStreamClient {
  readonly response: Response;
  /** Every message received so far, in order. */
  readonly messages: SseMessage[];
  /** Comment lines received so far (heartbeats), without the leading colon. */
  readonly comments: string[];
  /** The next message not yet returned by next() that matches, waiting up to timeoutMs. */
  next(match?: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Parses one SSE block (lines up to a blank line) into the message and comments it holds. */
function parseBlock(block: string, comments: string[]): SseMessage | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length > 0 ? { event, data: JSON.parse(data.join('\n')) } : null;
}

/**
 * A real Server-Sent Events client over fetch: opens the stream, parses messages as they
 * arrive, and lets a test wait for the one it expects.
 */
export async function openEventStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventStreamClient> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const returned = new Set<SseMessage>();
  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.search(/\r?\n\r?\n/);
        while (end !== -1) {
          const message = parseBlock(buffer.slice(0, end), comments);
          if (message) messages.push(message);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          end = buffer.search(/\r?\n\r?\n/);
        }
      }
    } catch {
      // aborted by close(), or the connection was cut: either way the stream is over
    }
  })();
  return {
    response,
    messages,
    comments,
    ended,
    async next(match = () => true, timeoutMs = 5_000) {
      const found = await waitFor(
        () => messages.find((m) => !returned.has(m) && match(m)),
        timeoutMs,
        () => `an event stream message (received: ${messages.map((m) => m.event).join(', ') || 'none'})`,
      );
      returned.add(found);
      return found;
    },
    close: () => abort.abort(),
  };
}
