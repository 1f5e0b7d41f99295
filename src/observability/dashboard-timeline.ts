import type { EventHub, GatewayEvent } from '../events.js';

/**
 * The last few gateway events, kept so a dashboard opened after an incident still shows
 * what changed (the SSE stream only carries what happens after it connects).
 */

export const TIMELINE_CAPACITY = 200;

export interface EventTimeline {
  /** Newest first. */
  recent(): GatewayEvent[];
  close(): void;
}

export function createEventTimeline(
  events: EventHub<GatewayEvent>,
  capacity = TIMELINE_CAPACITY,
): EventTimeline {
  // A ring: `next` is where the next event goes; once full, it overwrites the oldest.
  const ring: (GatewayEvent | undefined)[] = new Array(capacity);
  let next = 0;
  let size = 0;
  const unsubscribe = events.subscribe((event) => {
    ring[next] = event;
    next = (next + 1) % capacity;
    size = Math.min(size + 1, capacity);
  });
  return {
    recent() {
      const out: GatewayEvent[] = [];
      for (let i = 1; i <= size; i++) out.push(ring[(next - i + capacity) % capacity]!);
      return out;
    },
    close: unsubscribe,
  };
}
