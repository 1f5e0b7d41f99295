/** Request/response over a Channel: workers call the primary, the primary answers. */
import type { Channel, IpcMessage, RpcMethod } from './protocol.js';

export interface RpcClient {
  /** Rejects when the primary answers an error, is gone, or does not answer within the timeout. */
  call<T>(method: RpcMethod, ...args: unknown[]): Promise<T>;
  close(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export function createRpcClient(channel: Channel, timeoutMs = 5_000): RpcClient {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  const off = channel.onMessage((message) => {
    if (message.kind !== 'msa:reply') return;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.ok) waiting.resolve(message.value);
    else waiting.reject(new Error(message.error));
  });
  return {
    call<T>(method: RpcMethod, ...args: unknown[]) {
      return new Promise<T>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`the cluster primary did not answer ${method} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
        try {
          channel.send({ kind: 'msa:rpc', id, method, args });
        } catch (err) {
          pending.delete(id);
          clearTimeout(timer);
          reject(new Error(`the cluster primary is unreachable: ${(err as Error).message}`));
        }
      });
    },
    close() {
      off();
      for (const [id, waiting] of pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error('the IPC client is closed'));
        pending.delete(id);
      }
    },
  };
}

export type RpcHandlers = Record<RpcMethod, (...args: never[]) => Promise<unknown>>;

/** Answers the calls arriving on `channel`; returns the function that stops answering. */
export function serveRpc(channel: Channel, handlers: RpcHandlers): () => void {
  return channel.onMessage((message: IpcMessage) => {
    if (message.kind !== 'msa:rpc') return;
    const { id, method, args } = message;
    const handler = handlers[method] as ((...a: unknown[]) => Promise<unknown>) | undefined;
    const run = handler ? handler(...args) : Promise.reject(new Error(`unknown method ${method}`));
    run.then(
      (value) => trySend(channel, { kind: 'msa:reply', id, ok: true, value: value ?? null }),
      (err: unknown) =>
        trySend(channel, { kind: 'msa:reply', id, ok: false, error: String((err as Error)?.message ?? err) }),
    );
  });
}

/** A worker that went away cannot be answered; that is not the primary's failure. */
export function trySend(channel: Channel, message: IpcMessage): void {
  try {
    channel.send(message);
  } catch {
    // the worker exited; its pending calls died with it
  }
}
