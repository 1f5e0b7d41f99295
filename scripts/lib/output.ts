import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

const COLORS = [36, 32, 33, 35, 34, 31]; // cyan, green, yellow, magenta, blue, red

/** Colors only on a terminal, unless NO_COLOR or FORCE_COLOR say otherwise (no-color.org). */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export interface Prefixer {
  /** `name | ` padded to the longest name, colored per name on a terminal. */
  prefix(name: string): string;
  /** Copies each line of `source` to `target` with the name's prefix. */
  pipe(name: string, source: Readable, target: Writable): void;
}

export function createPrefixer(names: readonly string[], color: boolean): Prefixer {
  const width = Math.max(...names.map((n) => n.length));
  const prefix = (name: string) => {
    const label = `${name.padEnd(width)} |`;
    const code = COLORS[Math.max(0, names.indexOf(name)) % COLORS.length];
    return color ? `\x1b[${code}m${label}\x1b[0m ` : `${label} `;
  };
  return {
    prefix,
    pipe(name, source, target) {
      const head = prefix(name);
      createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        target.write(`${head}${line}\n`);
      });
    },
  };
}
