import { type Api, ApiError } from './api.js';
import { parseEvent } from './store.js';
import type { GatewayEvent } from './types.js';

/** Following the SSE stream for as long as the page lives, through gateway restarts and network blips. */

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

export type ConnectionState = 'connecting' | 'live' | 'retrying' | 'auth';

export interface FollowHandlers {
  /** The stream is open: the caller resyncs its snapshot, since events may have been missed meanwhile. */
  onOpen(): void;
  onEvent(event: GatewayEvent): void;
  onState(state: ConnectionState, text: string): void;
  /** A 401/403: following stops until a new token restarts it (the same token would fail again). */
  onAuthError(err: ApiError): void;
}

/** Reads the event stream until `signal` aborts, reconnecting with a back-off that doubles up to 15 s. */
export async function followEvents(api: Api, signal: AbortSignal, handlers: FollowHandlers): Promise<void> {
  let delay = RETRY_MIN_MS;
  while (!signal.aborted) {
    handlers.onState('connecting', 'Connecting to the event stream…');
    try {
      await api.streamEvents(
        signal,
        () => {
          delay = RETRY_MIN_MS;
          handlers.onState('live', 'Live: following the event stream');
          handlers.onOpen();
        },
        (message) => {
          const event = parseEvent(message.data);
          if (event) handlers.onEvent(event);
        },
      );
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.isAuth) {
        handlers.onAuthError(err);
        return;
      }
    }
    if (signal.aborted) return;
    handlers.onState('retrying', `Event stream lost; reconnecting in ${Math.round(delay / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, RETRY_MAX_MS);
  }
}
