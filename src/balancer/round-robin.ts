/**
 * Smooth weighted round robin (nginx's algorithm): each pick adds every candidate's weight to its
 * current value, takes the largest, and subtracts the total from it. Deterministic, and spreads a
 * heavy instance's turns out (weights 3 and 1 give a a b a, exactly 3 and 1 of every 4).
 */
import type { Instances } from './types.js';

export interface SwrrState {
  /** The instances `current` is aligned with. */
  members: Instances;
  current: number[];
}

export function createSwrrState(): SwrrState {
  return { members: [], current: [] };
}

function sameMembers(a: Instances, b: Instances): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.instance_id !== b[i]!.instance_id) return false;
  return true;
}

/**
 * Aligns the state with a new instances array. The same ids in the same order keep their
 * current values (a status flip elsewhere or a rebuilt array must not restart the cycle);
 * anything else starts a fresh cycle.
 */
export function syncSwrr(state: SwrrState, instances: Instances): void {
  if (state.members === instances) return;
  if (!sameMembers(state.members, instances)) state.current = new Array<number>(instances.length).fill(0);
  state.members = instances;
}

/** One pick among the instances not in `exclude`; null when every instance is excluded. */
export function pickSwrr(
  state: SwrrState,
  instances: Instances,
  exclude: ReadonlySet<string> | null,
): Instances[number] | null {
  syncSwrr(state, instances);
  const current = state.current;
  let total = 0;
  let best = -1;
  let bestValue = 0;
  for (let i = 0; i < instances.length; i++) {
    const instance = instances[i]!;
    if (exclude?.has(instance.instance_id)) continue;
    const value = current[i]! + instance.weight;
    current[i] = value;
    total += instance.weight;
    if (best < 0 || value > bestValue) {
      best = i;
      bestValue = value;
    }
  }
  if (best < 0) return null;
  current[best] = bestValue - total;
  return instances[best]!;
}
