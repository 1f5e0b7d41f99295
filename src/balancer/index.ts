/**
 * The balancer: one small state per service (round-robin current weights, the least-outstanding
 * cursor and in-flight counts) and the policy it runs, resolved again only when the service's
 * membership array or the config changes. The balancer owns only this state; membership comes
 * from the registry and the candidates (routable instances) from health.
 */
import type { BalancingConfig } from '../config/index.js';
import { pickRendezvous } from './hash.js';
import { acquire, createLeastState, type LeastState, pickLeast, release } from './least-outstanding.js';
import { ROUND_ROBIN, resolvePolicy } from './policy.js';
import { createSwrrState, pickSwrr, type SwrrState } from './round-robin.js';
import type { Instances, PickContext, Policy } from './types.js';

export { cookieValue, pickRendezvous, rendezvousScore, stickyKey } from './hash.js';
export { createLeastState, type LeastState, pickLeast } from './least-outstanding.js';
export { newestInstance, parseHashOn, policyOf, ROUND_ROBIN, resolvePolicy } from './policy.js';
export { createSwrrState, pickSwrr, type SwrrState } from './round-robin.js';
export type { HashOn, Instances, LbKind, PickContext, Policy } from './types.js';

interface ServiceState {
  policy: Policy;
  /** The membership array and config generation the policy was resolved from. */
  members: Instances | null;
  generation: number;
  readonly swrr: SwrrState;
  readonly least: LeastState;
}

export interface Balancer {
  /** One instance of `candidates` for a request, or null when all are excluded (or none given). */
  pick(service: string, candidates: Instances, ctx: PickContext): Instances[number] | null;
  /** The policy the service runs now. */
  policyOf(service: string): Policy;
  /** An attempt on an instance started / ended (least-outstanding counts). */
  acquire(service: string, instanceId: string): void;
  release(service: string, instanceId: string): void;
  /** New `balancing` config: every service resolves its policy again. */
  setConfig(balancing: Readonly<Record<string, BalancingConfig>>): void;
  /** Drops a service's state (its last instance left); in-flight counts survive until released. */
  forgetService(service: string): void;
}

export interface BalancerOptions {
  balancing: Readonly<Record<string, BalancingConfig>>;
  /** Every registered instance of a service (a stable array, replaced on change). */
  membersOf(service: string): Instances;
}

/** A factory (longer than 40 lines): its methods share the per-service states through the closure. */
export function createBalancer(options: BalancerOptions): Balancer {
  let balancing = options.balancing;
  let generation = 0;
  const states = new Map<string, ServiceState>();

  function stateOf(service: string): ServiceState {
    let state = states.get(service);
    if (state === undefined) {
      state = {
        policy: ROUND_ROBIN,
        members: null,
        generation: -1,
        swrr: createSwrrState(),
        least: createLeastState(),
      };
      states.set(service, state);
    }
    const members = options.membersOf(service);
    if (state.members !== members || state.generation !== generation) {
      state.policy = resolvePolicy(
        Object.hasOwn(balancing, service) ? balancing[service] : undefined,
        members,
      );
      state.members = members;
      state.generation = generation;
    }
    return state;
  }

  return {
    pick(service, candidates, ctx) {
      const state = stateOf(service);
      const policy = state.policy;
      if (policy.lb === 'least_outstanding') return pickLeast(state.least, candidates, ctx.exclude);
      if (policy.lb === 'hash') {
        const key = ctx.hashKey(policy.hashOn!);
        if (key !== null && key !== '') return pickRendezvous(candidates, key, ctx.exclude);
      }
      return pickSwrr(state.swrr, candidates, ctx.exclude);
    },
    policyOf: (service) => stateOf(service).policy,
    acquire(service, instanceId) {
      acquire((states.get(service) ?? stateOf(service)).least, instanceId);
    },
    release(service, instanceId) {
      const state = states.get(service);
      if (state) release(state.least, instanceId);
    },
    setConfig(next) {
      balancing = next;
      generation++;
    },
    forgetService(service) {
      const state = states.get(service);
      if (state && state.least.outstanding.size === 0) states.delete(service);
    },
  };
}
