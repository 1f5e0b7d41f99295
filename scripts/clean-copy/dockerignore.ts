import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A `.dockerignore` as a predicate over context-relative paths (`src/app.ts`). Follows Docker's
 * rules for the patterns this project uses: Go-style globs anchored at the context root, `**`
 * for any depth, `!` to re-include, the last matching pattern wins, and a matched directory
 * excludes everything under it.
 */
export function loadDockerignore(context: string): (path: string) => boolean {
  const file = join(context, '.dockerignore');
  const rules = (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      return { negate, regex: globToRegex(pattern) };
    });
  return (path) => {
    const parts = path.split('/');
    let ignored = false;
    // A path is excluded when it or any directory above it matches.
    for (let depth = 1; depth <= parts.length; depth++) {
      const prefix = parts.slice(0, depth).join('/');
      for (const rule of rules) if (rule.regex.test(prefix)) ignored = !rule.negate;
      if (ignored && depth < parts.length) return true;
    }
    return ignored;
  };
}

function globToRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      out += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
