/**
 * Which balancing policy a service uses: `config.balancing[service]` wins, else the `lb` /
 * `hash_on` metadata of the service's most recently registered instance, else round robin.
 * Metadata is free-form JSON from registrations, so anything unrecognised falls back quietly.
 */
import type { BalancingConfig } from '../config/index.js';
import type { HashOn, Instances, LbKind, Policy } from './types.js';

export const ROUND_ROBIN: Policy = Object.freeze({ lb: 'round_robin', hashOn: null });

const IP: HashOn = Object.freeze({ kind: 'ip' });

/** `header:NAME` | `cookie:NAME` | `ip` → HashOn; null when malformed. */
export function parseHashOn(value: unknown): HashOn | null {
  if (value === 'ip') return IP;
  if (typeof value !== 'string') return null;
  const colon = value.indexOf(':');
  const name = value.slice(colon + 1).trim();
  if (colon < 0 || name === '') return null;
  const kind = value.slice(0, colon);
  // Node lower-cases incoming header names, so a header key is looked up in lower case.
  if (kind === 'header') return { kind: 'header', name: name.toLowerCase() };
  if (kind === 'cookie') return { kind: 'cookie', name };
  return null;
}

function isLb(value: unknown): value is LbKind {
  return value === 'round_robin' || value === 'least_outstanding' || value === 'hash';
}

/** A policy from an `lb` and `hash_on` pair; `hash` without a usable `hash_on` hashes the client IP. */
export function policyOf(lb: unknown, hashOn: unknown): Policy {
  if (!isLb(lb) || lb === 'round_robin') return ROUND_ROBIN;
  if (lb === 'least_outstanding') return { lb, hashOn: null };
  return { lb, hashOn: parseHashOn(hashOn) ?? IP };
}

/** The most recently registered instance (ISO timestamps compare as strings); ties → the later one listed. */
export function newestInstance(instances: Instances): Instances[number] | null {
  let newest: Instances[number] | null = null;
  for (const instance of instances) {
    if (newest === null || instance.registered_at >= newest.registered_at) newest = instance;
  }
  return newest;
}

export function resolvePolicy(config: BalancingConfig | undefined, members: Instances): Policy {
  if (config) return policyOf(config.lb, config.hash_on);
  const newest = newestInstance(members);
  if (newest === null) return ROUND_ROBIN;
  return policyOf(newest.metadata.lb, newest.metadata.hash_on);
}
