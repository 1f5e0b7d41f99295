/**
 * A small Dockerfile reader: enough of the format for this project's Dockerfiles (stages,
 * ARG/ENV substitution, line continuations, exec and shell forms) so the clean-copy check can
 * run what they say and the tests can assert on it. Not a general BuildKit parser.
 */

export interface Instruction {
  keyword: string;
  /** Raw arguments, continuations joined, variables not yet substituted. */
  text: string;
  /** Flags such as `--from=build` or `--chown=node:node`. */
  flags: Record<string, string>;
  /** True when a `# check: image-only` comment stands right above: the check skips it. */
  imageOnly: boolean;
  line: number;
}

export interface Stage {
  name: string | undefined;
  base: string;
  instructions: Instruction[];
}

const IMAGE_ONLY = /^#\s*check:\s*image-only\s*$/;

function parseInstructions(source: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = source.split(/\r?\n/);
  let imageOnly = false;
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i]!.trim();
    if (text === '') continue;
    if (text.startsWith('#')) {
      imageOnly ||= IMAGE_ONLY.test(text);
      continue;
    }
    while (text.endsWith('\\') && i + 1 < lines.length)
      text = `${text.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
    const [, keyword = '', rest = ''] = text.match(/^(\S+)\s*(.*)$/) ?? [];
    const flags: Record<string, string> = {};
    let args = rest;
    for (let m = args.match(/^--([a-z-]+)=(\S+)\s*/); m; m = args.match(/^--([a-z-]+)=(\S+)\s*/)) {
      flags[m[1]!] = m[2]!;
      args = args.slice(m[0].length);
    }
    out.push({ keyword: keyword.toUpperCase(), text: args, flags, imageOnly, line: start + 1 });
    imageOnly = false;
  }
  return out;
}

/** `${NAME}`, `$NAME` and `${NAME:-default}` from `vars`. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (_, braced, fallback, bare) => {
    const name = braced ?? bare;
    return vars[name] ?? fallback ?? '';
  });
}

/** The stages of a Dockerfile; ARGs before the first FROM are substituted into FROM lines. */
export function parseDockerfile(source: string): Stage[] {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of parseInstructions(source)) {
    if (ins.keyword === 'FROM') {
      const [base = '', , name] = substitute(ins.text, globalArgs).split(/\s+/);
      stages.push({ name, base, instructions: [] });
    } else if (stages.length === 0 && ins.keyword === 'ARG') {
      const [name = '', value = ''] = ins.text.split('=');
      globalArgs[name] = value;
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

/** A command in exec form (`["node", "x.js"]`) as its argv, in shell form as `sh -c`. */
export function commandArgv(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as string[];
  return ['sh', '-c', trimmed];
}

/** `KEY=value KEY2="v 2"` (or the legacy `KEY value`) as pairs. */
export function parseEnv(text: string, vars: Record<string, string>): Record<string, string> {
  if (!/^\S+=/.test(text)) {
    const [key = '', ...value] = text.split(/\s+/);
    return { [key]: substitute(value.join(' '), vars) };
  }
  const pairs: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) pairs[m[1]!] = substitute(m[3] ?? m[2]!, vars);
  return pairs;
}

/** HEALTHCHECK's command (after its options), or null for `HEALTHCHECK NONE`. */
export function healthcheckCommand(ins: Instruction): string[] | null {
  const cmd = ins.text.match(/^(?:--\S+\s+)*CMD\s+(.*)$/);
  return cmd ? commandArgv(cmd[1]!) : null;
}
