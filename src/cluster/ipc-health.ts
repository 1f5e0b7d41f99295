/**
 * Health sharing inside one host (GATEWAY_WORKERS > 1 with sqlite or memory): the primary runs
 * every check and pushes each result to the workers, which never check themselves. The workers'
 * monitors adopt the results through the same hook as results from other gateways over Redis.
 */
import type { CheckTarget, HealthSharing, SharedCheckResult } from '../health/index.js';
import type { Channel } from './protocol.js';
import type { RpcClient } from './rpc.js';

const keyOf = (t: Pick<CheckTarget, 'service_name' | 'instance_id'>) =>
  `${t.service_name}\u0000${t.instance_id}`;

const sameIncarnation = (a: CheckTarget, b: CheckTarget) =>
  a.health_check_url === b.health_check_url && a.registered_at === b.registered_at;

/** The primary's side: checks everything, remembers the latest result of each instance, fans out. */
export interface PrimaryHealthSharing extends HealthSharing {
  /** `listener` gets every result the primary published. */
  onPublish(listener: (result: SharedCheckResult) => void): () => void;
  /** Drops the remembered result of a removed instance. */
  forget(serviceName: string, instanceId: string): void;
}

export function createPrimaryHealthSharing(): PrimaryHealthSharing {
  const latest = new Map<string, SharedCheckResult>();
  const listeners = new Set<(result: SharedCheckResult) => void>();
  return {
    claim: () => true,
    publish(result) {
      latest.set(keyOf(result), result);
      for (const listener of listeners) listener(result);
    },
    subscribe: () => () => {}, // nobody else checks
    async snapshot(targets) {
      const found: SharedCheckResult[] = [];
      for (const target of targets) {
        const result = latest.get(keyOf(target));
        if (result && sameIncarnation(result, target)) found.push(result);
      }
      return found;
    },
    onPublish(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    forget(serviceName, instanceId) {
      latest.delete(keyOf({ service_name: serviceName, instance_id: instanceId }));
    },
  };
}

/** A worker's side: never claims a check; adopts what the primary pushes, and asks it at start. */
export function createWorkerHealthSharing(channel: Channel, rpc: RpcClient): HealthSharing {
  return {
    claim: () => false,
    publish: () => {},
    subscribe(onResult) {
      return channel.onMessage((message) => {
        if (message.kind === 'msa:health') onResult(message.result);
      });
    },
    snapshot: (targets) => rpc.call<SharedCheckResult[]>('healthSnapshot', targets),
  };
}
