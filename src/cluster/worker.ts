/**
 * A node:cluster worker's gateway parts. With the Redis store a worker is a complete gateway of
 * its own; with sqlite or memory its store and health come from the primary over IPC, and the
 * primary registers the start-up services once for everyone.
 */
import type { GatewayDeps } from '../app.js';
import type { GatewayConfig } from '../config/index.js';
import { createWorkerHealthSharing } from './ipc-health.js';
import { createIpcStore } from './ipc-store.js';
import { channelOf } from './protocol.js';
import { createRpcClient } from './rpc.js';

/** This worker's number among its siblings (0 … N-1), as the primary passed it. */
function workerIndex(): number {
  return Number(process.env.GATEWAY_WORKER_INDEX ?? 0);
}

export function workerDeps(config: GatewayConfig): GatewayDeps {
  // The worker's pid on every response, for telling workers apart while debugging only.
  const debug = config.logLevel === 'debug' || config.logLevel === 'trace';
  const tag = debug ? { workerTag: String(process.pid) } : {};
  if (config.registryStore === 'redis') {
    // Registrations persist in Redis: one worker registering the start-up services is enough.
    return { ...tag, registerStartupServices: workerIndex() === 0 };
  }
  const channel = channelOf(process);
  const rpc = createRpcClient(channel);
  return {
    ...tag,
    store: createIpcStore(channel, rpc, config.registryStore),
    healthSharing: createWorkerHealthSharing(channel, rpc),
    registerStartupServices: false,
  };
}

/** Calls `stop` when the primary asks this worker to stop, or went away. */
export function onPrimaryShutdown(stop: () => void): void {
  channelOf(process).onMessage((message) => {
    if (message.kind === 'msa:shutdown') stop();
  });
  process.once('disconnect', stop);
}
