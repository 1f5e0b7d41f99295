/**
 * What the cluster primary runs for its workers when the store is not shared (sqlite, memory): the
 * one registry (on the primary store, see primary-store.ts) and the one health monitor. Each
 * worker is attached over IPC: its store calls are answered here, and every change and every
 * check result is pushed to all workers.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/index.js';
import { createEventHub, type GatewayEvent } from '../events.js';
import { type CheckTarget, createHealthMonitor, type HealthMonitor } from '../health/index.js';
import {
  createRegistry,
  createStore,
  type InstanceRegistration,
  type Registry,
  type RegistryStore,
} from '../registry/index.js';
import { addressPolicyFor } from '../security/index.js';
import { registerStartupServices } from '../startup-services.js';
import { createPrimaryHealthSharing } from './ipc-health.js';
import { createPrimaryStore } from './primary-store.js';
import type { Channel, IpcMessage } from './protocol.js';
import { serveRpc, trySend } from './rpc.js';

export interface RegistryHost {
  readonly registry: Registry;
  readonly health: HealthMonitor;
  /** Serves one worker; returns the function that detaches it (when it exited). */
  attach(channel: Channel): () => void;
  close(): Promise<void>;
}

export interface RegistryHostDeps {
  readonly logger: Logger;
  /** A store to use instead of the one config names (tests). */
  readonly store?: RegistryStore;
}

export async function startRegistryHost(
  config: GatewayConfig,
  deps: RegistryHostDeps,
): Promise<RegistryHost> {
  const { logger } = deps;
  const store = createPrimaryStore(deps.store ?? createStore(config, logger));
  const events = createEventHub<GatewayEvent>((err) => logger.error({ err }, 'event listener failed'));
  const registry = createRegistry({ store, events, logger, checkAddress: addressPolicyFor(config) });
  const sharing = createPrimaryHealthSharing();
  const health = createHealthMonitor({ config, registry, events, logger, sharing });
  const channels = new Set<Channel>();
  const broadcast = (message: IpcMessage) => {
    for (const channel of channels) trySend(channel, message);
  };
  store.subscribe!((change) => broadcast({ kind: 'msa:change', change }));
  sharing.onPublish((result) => broadcast({ kind: 'msa:health', result }));
  events.subscribe((e) => {
    if (e.type === 'deregistered' || e.type === 'expired') sharing.forget(e.service_name, e.instance_id);
  });

  try {
    await registry.start();
    await registerStartupServices(config, registry, logger);
  } catch (err) {
    await registry.close().catch(() => {});
    throw err;
  }
  health.start();

  return {
    registry,
    health,
    attach(channel) {
      channels.add(channel);
      const stop = serveRpc(channel, {
        load: () => store.load(),
        put: (r: InstanceRegistration) => store.put(r),
        remove: (service: string, id: string) => store.remove(service, id),
        removeService: (service: string) => store.removeService(service),
        renewLease: (service: string, id: string, at: string) => store.renewLease(service, id, at),
        expireLeases: (nowMs: number) => store.expireLeases!(nowMs),
        ping: () => store.ping(),
        healthSnapshot: (targets: CheckTarget[]) => sharing.snapshot(targets),
      });
      return () => {
        channels.delete(channel);
        stop();
      };
    },
    async close() {
      channels.clear();
      await health.close();
      await registry.close();
    },
  };
}
