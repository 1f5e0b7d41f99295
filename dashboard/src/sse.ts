/**
 * A Server-Sent Events parser (the WHATWG "event stream interpretation"), fed text chunks
 * as they arrive. The dashboard reads the stream with fetch() rather than EventSource
 * because EventSource cannot send the Authorization header the admin API needs.
 * Pure: no DOM, no I/O, so it is unit-tested under Node.
 */

export interface SseMessage {
  /** The `event:` field; "message" when the server sent none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` seen, if any. */
  id: string | undefined;
}

export interface SseParser {
  push(chunk: string): void;
}

export function createSseParser(onMessage: (message: SseMessage) => void): SseParser {
  let buffer = '';
  // A chunk may end between the \r and \n of one line break.
  let skipLineFeed = false;
  let event = '';
  let data: string[] = [];
  let lastId: string | undefined;

  function dispatch(): void {
    if (data.length > 0) onMessage({ event: event || 'message', data: data.join('\n'), id: lastId });
    event = '';
    data = [];
  }

  function line(text: string): void {
    if (text === '') {
      dispatch();
      return;
    }
    if (text.startsWith(':')) return; // a comment (keep-alive)
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\u0000')) lastId = value;
    // `retry` and unknown fields are ignored: the dashboard has its own reconnect policy.
  }

  return {
    push(chunk) {
      if (chunk === '') return;
      if (skipLineFeed && chunk.startsWith('\n')) chunk = chunk.slice(1);
      skipLineFeed = false;
      buffer += chunk;
      const breaks = /\r\n|\r|\n/g;
      let start = 0;
      for (let m = breaks.exec(buffer); m !== null; m = breaks.exec(buffer)) {
        if (m[0] === '\r' && m.index === buffer.length - 1) skipLineFeed = true;
        line(buffer.slice(start, m.index));
        start = breaks.lastIndex;
      }
      buffer = buffer.slice(start);
    },
  };
}
