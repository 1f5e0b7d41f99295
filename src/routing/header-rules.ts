import type { HeaderRules } from '../config/index.js';

/** A route's header rules, compiled for the one-pass header copy. */
export interface CompiledHeaderRules {
  /** Lower-case names whose incoming values are dropped (removed, or replaced by `set`). */
  readonly drop: ReadonlySet<string>;
  /** Flat `[name, value, …]` appended after the copy (the `set` rules). */
  readonly append: readonly string[];
}

/**
 * Null when the rules do nothing, so the hot path tests one reference. `alsoDrop` adds names the
 * route never forwards from the client (its auth credential and subject header).
 */
export function compileHeaderRules(
  rules: HeaderRules | undefined,
  alsoDrop: readonly string[] = [],
): CompiledHeaderRules | null {
  if (!rules && alsoDrop.length === 0) return null;
  const drop = new Set<string>(alsoDrop);
  const append: string[] = [];
  for (const name of rules?.remove ?? []) drop.add(name.toLowerCase());
  for (const [name, value] of Object.entries(rules?.set ?? {})) {
    drop.add(name.toLowerCase());
    append.push(name, value);
  }
  return drop.size === 0 ? null : { drop, append };
}
