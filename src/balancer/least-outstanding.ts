/**
 * Least outstanding requests: the instance with the fewest requests in flight relative to its
 * weight. Ties go to the first candidate in round-robin order from a cursor that moves past each
 * pick, so idle instances share the load evenly instead of the first one taking it all.
 */
import type { Instances } from './types.js';

export interface LeastState {
  cursor: number;
  /** In-flight attempts by instance id; an entry is deleted when it drops to 0. */
  readonly outstanding: Map<string, number>;
}

export function createLeastState(): LeastState {
  return { cursor: 0, outstanding: new Map() };
}

export function pickLeast(
  state: LeastState,
  instances: Instances,
  exclude: ReadonlySet<string> | null,
): Instances[number] | null {
  const n = instances.length;
  let best = -1;
  let bestLoad = 0;
  let bestWeight = 1;
  for (let k = 0; k < n; k++) {
    const i = (state.cursor + k) % n;
    const instance = instances[i]!;
    if (exclude?.has(instance.instance_id)) continue;
    const load = state.outstanding.get(instance.instance_id) ?? 0;
    // load / weight < bestLoad / bestWeight, without division.
    if (best < 0 || load * bestWeight < bestLoad * instance.weight) {
      best = i;
      bestLoad = load;
      bestWeight = instance.weight;
    }
  }
  if (best < 0) return null;
  state.cursor = (best + 1) % n;
  return instances[best]!;
}

export function acquire(state: LeastState, instanceId: string): void {
  state.outstanding.set(instanceId, (state.outstanding.get(instanceId) ?? 0) + 1);
}

export function release(state: LeastState, instanceId: string): void {
  const count = state.outstanding.get(instanceId);
  if (count === undefined) return;
  if (count <= 1) state.outstanding.delete(instanceId);
  else state.outstanding.set(instanceId, count - 1);
}
