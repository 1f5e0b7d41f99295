import type { InstanceStatus } from './health/types.js';

interface EventBase {
  readonly service_name: string;
  readonly instance_id: string;
  /** ISO 8601 UTC. */
  readonly timestamp: string;
}

/** Every change the gateway announces: the SSE stream, the dashboard, pools and balancers listen. */
export type GatewayEvent =
  | (EventBase & { readonly type: 'registered'; readonly created: boolean })
  | (EventBase & { readonly type: 'deregistered' })
  | (EventBase & { readonly type: 'expired' })
  | (EventBase & {
      readonly type: 'status_changed';
      readonly old_status: InstanceStatus;
      readonly new_status: InstanceStatus;
      readonly reason: string;
    })
  /**
   * Informational: another gateway's passive health (its proxied requests failing) ejected this
   * instance, or that ejection ended. This gateway's own status is unchanged: passive health is
   * per gateway, and the gateways agree through the shared active checks.
   */
  | (EventBase & {
      readonly type: 'peer_passive';
      /** The gateway that saw it. */
      readonly gateway_id: string;
      readonly change: PassiveChange;
      /** "passive: 3 consecutive failures", "passive ejection ended", "health check passed". */
      readonly reason: string;
    });

/** A passive ejection began, or ended (by its timer or a passing active check). */
export type PassiveChange = 'ejected' | 'ejection_ended';

export type GatewayEventType = GatewayEvent['type'];
export type Listener<E> = (event: E) => void;

/** A typed, synchronous fan-out. A throwing listener never stops the others. */
export interface EventHub<E> {
  emit(event: E): void;
  subscribe(listener: Listener<E>): () => void;
  readonly listenerCount: number;
}

export function createEventHub<E>(onListenerError?: (err: unknown) => void): EventHub<E> {
  const listeners = new Set<Listener<E>>();
  return {
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (err) {
          onListenerError?.(err);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    get listenerCount() {
      return listeners.size;
    },
  };
}
