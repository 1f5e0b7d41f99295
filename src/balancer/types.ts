import type { InstanceRegistration } from '../registry/types.js';

export type LbKind = 'round_robin' | 'least_outstanding' | 'hash';

/** Where a sticky key comes from (`hash_on`); header and cookie names are kept as written. */
export type HashOn =
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string }
  | { readonly kind: 'ip' };

/** The balancing policy of one service. `hashOn` is set exactly when `lb` is `hash`. */
export interface Policy {
  readonly lb: LbKind;
  readonly hashOn: HashOn | null;
}

/**
 * What a pick may know about the request. The proxy's per-request object implements it, so a
 * pick allocates nothing; the sticky key is read only when the policy hashes.
 */
export interface PickContext {
  /** Instance ids this request already tried (retries), or null. */
  readonly exclude: ReadonlySet<string> | null;
  /** The request's sticky key for `on`, or null when it carries none. */
  hashKey(on: HashOn): string | null;
}

export type Instances = readonly InstanceRegistration[];
