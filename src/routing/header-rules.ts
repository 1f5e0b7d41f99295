import type { HeaderRules } from '../config/index.js';

/** A route's header rules, compiled for the one-pass header copy. */
export interface CompiledHeaderRules {
  /** Lower-case names whose incoming values are dropped (removed, or replaced by `set`). */
  readonly drop: ReadonlySet<string>;
  /** Flat `[name, value, …]` appended after the copy (the `set` rules). */
  readonly append: readonly string[];
}

/** Null when the rules do nothing, so the hot path tests one reference. */
export function compileHeaderRules(rules: HeaderRules | undefined): CompiledHeaderRules | null {
  if (!rules) return null;
  const drop = new Set<string>();
  const append: string[] = [];
  for (const name of rules.remove ?? []) drop.add(name.toLowerCase());
  for (const [name, value] of Object.entries(rules.set ?? {})) {
    drop.add(name.toLowerCase());
    append.push(name, value);
  }
  return drop.size === 0 ? null : { drop, append };
}
