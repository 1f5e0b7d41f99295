/**
 * Request bodies as undici sends them. Normally the client's request stream itself (streamed, never
 * held). Two cases need more: a body kept for replay (SPEC section 5: an Idempotency-Key body up
 * to 64 KiB is buffered so a retry can send it again) and a route's body limit on a body without
 * Content-Length (bytes are counted as they stream).
 */
import type { IncomingMessage } from 'node:http';

/** Bodies up to this size are kept for replay under an Idempotency-Key. */
export const REPLAY_BUFFER_BYTES = 64 * 1024;

/**
 * Bodies up to this declared size are read before the first attempt and sent as one buffer (held
 * for at most the time the client takes to send them: one socket read, usually).
 */
export const SMALL_BODY_BYTES = 32 * 1024;

/** Thrown into undici's body iteration when a streamed body passes a route's limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly code = 'GW_BODY_TOO_LARGE';
}

export interface BodyHead {
  readonly chunks: Buffer[];
  readonly size: number;
  /** The whole body was read (else the stream is paused with the rest unread). */
  readonly complete: boolean;
}

/** Reads a body until it ends or passes `max` bytes; rejects when the client goes away first. */
export function readUpTo(req: IncomingMessage, max: number): Promise<BodyHead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (complete: boolean) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (!complete) req.pause();
      resolve({ chunks, size, complete });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > max) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = (err: Error) => {
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      reject(err);
    };
    const onClose = () => onError(new Error('client closed the request before its body ended'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/**
 * The body as an async iterable: `head` chunks already read, then the rest of `rest` (if any),
 * failing with BodyTooLargeError once more than `limit` bytes passed. The client stream is not
 * destroyed when iteration stops early, so the gateway can still answer 413 on it.
 */
export async function* streamBody(
  head: readonly Buffer[],
  rest: IncomingMessage | null,
  limit: number,
): AsyncGenerator<Buffer> {
  let size = 0;
  for (const chunk of head) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError();
    yield chunk;
  }
  if (rest === null) return;
  for await (const chunk of rest.iterator({ destroyOnReturn: false })) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError();
    yield chunk as Buffer;
  }
}
