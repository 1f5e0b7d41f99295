import { eventKey } from './format.js';
import type { GatewayEvent, ServiceRecord, ServiceStats } from './types.js';

/** What the page knows, apart from the DOM: services, their stats, and the event timeline. */

export const TIMELINE_CAP = 200;

export interface Store {
  readonly services: Map<string, ServiceRecord>;
  readonly stats: Map<string, ServiceStats>;
  /** Newest first, at most TIMELINE_CAP. */
  readonly timeline: GatewayEvent[];
  /** Adds an event unless already seen; returns false for a duplicate. */
  addEvent(event: GatewayEvent): boolean;
}

export function createStore(): Store {
  const seen = new Set<string>();
  const timeline: GatewayEvent[] = [];
  return {
    services: new Map(),
    stats: new Map(),
    timeline,
    addEvent(event) {
      const key = eventKey(event);
      if (seen.has(key)) return false;
      seen.add(key);
      // Events may arrive slightly out of order (the history fetch racing the stream): keep newest first.
      let at = 0;
      while (at < timeline.length && timeline[at]!.timestamp > event.timestamp) at++;
      timeline.splice(at, 0, event);
      while (timeline.length > TIMELINE_CAP) seen.delete(eventKey(timeline.pop()!));
      return true;
    },
  };
}

/** Parses one SSE data payload; null when it is not a gateway event (a ping, a malformed line). */
export function parseEvent(data: string): GatewayEvent | null {
  try {
    const value = JSON.parse(data) as Partial<GatewayEvent> | null;
    if (value === null || typeof value !== 'object') return null;
    if (typeof value.type !== 'string' || typeof value.service_name !== 'string') return null;
    if (typeof value.instance_id !== 'string' || typeof value.timestamp !== 'string') return null;
    return value as GatewayEvent;
  } catch {
    return null;
  }
}
