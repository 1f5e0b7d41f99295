import { describe, expect, it } from 'vitest';
import { createSseParser, type SseMessage } from '../../dashboard/src/sse.js';

/** Feeds the chunks in order and returns every message the parser dispatched. */
function parse(...chunks: string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = createSseParser((m) => messages.push(m));
  for (const chunk of chunks) parser.push(chunk);
  return messages;
}

describe('the dashboard reads Server-Sent Events from a fetch() stream', () => {
  it('dispatches an event with its type and JSON data at the blank line', () => {
    expect(parse('event: status_changed\ndata: {"a":1}\n\n')).toEqual([
      { event: 'status_changed', data: '{"a":1}', id: undefined },
    ]);
  });

  it('waits for the blank line before dispatching', () => {
    expect(parse('event: registered\ndata: {}\n')).toEqual([]);
  });

  it('joins several data lines with a newline', () => {
    expect(parse('data: one\ndata: two\n\n')[0]!.data).toBe('one\ntwo');
  });

  it('calls an event without a type "message"', () => {
    expect(parse('data: x\n\n')[0]!.event).toBe('message');
  });

  it('ignores comments (keep-alives) and events without data', () => {
    expect(parse(': ping\n\n', 'event: nothing\n\n', 'retry: 1000\n\n')).toEqual([]);
  });

  it('keeps the last id', () => {
    expect(parse('id: 7\ndata: x\n\ndata: y\n\n').map((m) => m.id)).toEqual(['7', '7']);
  });

  it('takes one space after the colon as a separator, not as data', () => {
    expect(parse('data:x\n\ndata:  y\n\n').map((m) => m.data)).toEqual(['x', ' y']);
  });

  it.each([
    ['\\r\\n', '\r\n'],
    ['\\r', '\r'],
  ])('accepts %s line breaks', (_name, br) => {
    expect(parse(`event: expired${br}data: {}${br}${br}`)).toEqual([
      { event: 'expired', data: '{}', id: undefined },
    ]);
  });

  it('handles events split across chunks anywhere, even inside a \\r\\n', () => {
    const text = 'event: deregistered\r\ndata: {"service_name":"user-service"}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(parse(text.slice(0, cut), text.slice(cut))).toEqual([
        { event: 'deregistered', data: '{"service_name":"user-service"}', id: undefined },
      ]);
    }
  });

  it('reads many events from one chunk', () => {
    expect(parse('data: 1\n\ndata: 2\n\ndata: 3\n\n').map((m) => m.data)).toEqual(['1', '2', '3']);
  });
});
