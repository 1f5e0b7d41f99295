/**
 * Messages between the cluster primary and its workers (node:cluster IPC, JSON). The primary owns
 * the registry store and the health checks when the store is not shared (sqlite, memory); workers
 * call it for store operations and receive its changes and health results.
 */
import type { SharedCheckResult } from '../health/index.js';
import type { StoreChange } from '../registry/index.js';

/** Store operations and queries a worker may call on the primary. */
export type RpcMethod =
  | 'load'
  | 'put'
  | 'remove'
  | 'removeService'
  | 'renewLease'
  | 'expireLeases'
  | 'ping'
  | 'healthSnapshot';

export type IpcMessage =
  | { readonly kind: 'msa:rpc'; readonly id: number; readonly method: RpcMethod; readonly args: unknown[] }
  | { readonly kind: 'msa:reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'msa:reply'; readonly id: number; readonly ok: false; readonly error: string }
  | { readonly kind: 'msa:change'; readonly change: StoreChange }
  | { readonly kind: 'msa:health'; readonly result: SharedCheckResult }
  | { readonly kind: 'msa:shutdown' };

/** One end of the IPC pipe: the worker's `process`, or the primary's handle on one worker. */
export interface Channel {
  send(message: IpcMessage): void;
  /** Messages of this protocol only (Node's own cluster messages are not passed on). */
  onMessage(handler: (message: IpcMessage) => void): () => void;
}

export function isIpcMessage(value: unknown): value is IpcMessage {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && kind.startsWith('msa:');
}

/** Anything with Node's IPC shape: `process` in a worker, a `Worker` in the primary. */
interface IpcEndpoint {
  send?(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  readonly connected?: boolean;
}

export function channelOf(endpoint: IpcEndpoint): Channel {
  return {
    send(message) {
      if (!endpoint.send) throw new Error('no IPC channel: not started by a cluster primary');
      if (endpoint.connected === false) throw new Error('the IPC channel is closed');
      endpoint.send(message);
    },
    onMessage(handler) {
      const listener = (message: unknown) => {
        if (isIpcMessage(message)) handler(message);
      };
      endpoint.on('message', listener);
      return () => endpoint.off('message', listener);
    },
  };
}
