import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import {
  commandArgv,
  healthcheckCommand,
  type Instruction,
  parseDockerfile,
  parseEnv,
  type Stage,
} from './dockerfile.js';
import { loadDockerignore } from './dockerignore.js';

/**
 * Runs a Dockerfile's instructions on this machine, without Docker: each stage's file system is
 * a directory (`/app` of stage 2 is `<scratch>/stage-2/app`), COPY honours .dockerignore and
 * --from, RUN runs `sh -c` in WORKDIR with the stage's ENV. Instructions marked
 * `# check: image-only` (system packages, file ownership) are skipped: the host provides those.
 * What it proves: the commands the image runs work on a clean copy of the repository.
 */

/** A built stage: its file system root here, and what a container of it would run. */
export interface BuiltImage {
  /** Directory standing for the stage's `/`. */
  root: string;
  /** WORKDIR, inside the container. */
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  healthcheck: string[] | null;
  cmd: string[];
}

/** `npm ci` results by command and package files: the same lock file is installed once. */
export type InstallCache = Map<string, string>;

export function installKey(command: string, dir: string): string {
  const hash = createHash('sha256');
  for (const file of ['package.json', 'package-lock.json']) hash.update(readFileSync(join(dir, file)));
  return `${command}\n${hash.digest('hex')}`;
}

/** A container path (`/app/data`, or relative to WORKDIR) as the path standing for it here. */
export function hostPath(image: BuiltImage, path: string): string {
  return join(image.root, isAbsolute(path) ? path : join(image.workdir, path));
}

/** Absolute paths in ENV values point into the stage, as they would inside the container. */
export function hostEnv(root: string, env: Record<string, string>): Record<string, string> {
  const mapped = Object.entries(env).map(([k, v]) => {
    const top = v.split('/')[1];
    return [k, v.startsWith('/') && top && existsSync(join(root, top)) ? join(root, v) : v];
  });
  return Object.fromEntries(mapped);
}

/** Builds every stage of `dockerfile` in order; returns the last one, ready to run. */
export function buildImage(
  dockerfile: string,
  context: string,
  scratch: string,
  cache: InstallCache,
  log: (line: string) => void,
): BuiltImage {
  const builder = new ImageBuilder(context, cache, log);
  let image: BuiltImage | undefined;
  parseDockerfile(readFileSync(dockerfile, 'utf8')).forEach((stage, index) => {
    image = builder.stage(stage, join(scratch, `stage-${index}`), String(index));
  });
  if (!image) throw new Error(`${dockerfile} has no FROM`);
  return image;
}

class ImageBuilder {
  readonly #built = new Map<string, BuiltImage>();
  readonly #ignoredInContext: (path: string) => boolean;

  constructor(
    private readonly context: string,
    private readonly cache: InstallCache,
    private readonly log: (line: string) => void,
  ) {
    this.#ignoredInContext = loadDockerignore(context);
  }

  stage(stage: Stage, root: string, index: string): BuiltImage {
    const image: BuiltImage = { root, workdir: '/', env: {}, user: undefined, healthcheck: null, cmd: [] };
    mkdirSync(join(root, 'root'), { recursive: true });
    this.log(`FROM ${stage.base}${stage.name ? ` AS ${stage.name}` : ''} (stands for ${root})`);
    for (const ins of stage.instructions) this.#apply(image, ins);
    this.#built.set(stage.name ?? index, image);
    return image;
  }

  #apply(image: BuiltImage, ins: Instruction): void {
    if (ins.imageOnly) {
      this.log(`skip ${ins.keyword} ${ins.text} (image-only)`);
    } else if (ins.keyword === 'WORKDIR') {
      image.workdir = join(image.workdir, ins.text);
      mkdirSync(hostPath(image, '.'), { recursive: true });
    } else if (ins.keyword === 'ENV') {
      Object.assign(image.env, parseEnv(ins.text, image.env));
    } else if (ins.keyword === 'USER') {
      image.user = ins.text;
    } else if (ins.keyword === 'CMD') {
      image.cmd = commandArgv(ins.text);
    } else if (ins.keyword === 'HEALTHCHECK') {
      image.healthcheck = healthcheckCommand(ins);
    } else if (ins.keyword === 'RUN') {
      this.#run(image, ins);
    } else if (ins.keyword === 'COPY') {
      this.#copy(image, ins);
    } else if (!['EXPOSE', 'ARG', 'LABEL'].includes(ins.keyword)) {
      throw new Error(`line ${ins.line}: ${ins.keyword} is not supported by the clean-copy check`);
    }
  }

  #copy(image: BuiltImage, ins: Instruction): void {
    this.log(`COPY ${ins.text}`);
    const sources = ins.text.split(/\s+/);
    const dest = sources.pop()!;
    const from = ins.flags.from === undefined ? undefined : this.#built.get(ins.flags.from);
    if (ins.flags.from !== undefined && !from)
      throw new Error(`line ${ins.line}: no stage ${ins.flags.from}`);
    const target = hostPath(image, dest);
    const intoDir = dest.endsWith('/') || dest === '.' || sources.length > 1;
    // Only the build context has a .dockerignore; its patterns are relative to the context root.
    const keep = (path: string) =>
      from !== undefined || !this.#ignoredInContext(relative(this.context, path) || '.');
    for (const source of sources) {
      const path = from ? hostPath(from, source) : join(this.context, source);
      if (!existsSync(path)) throw new Error(`line ${ins.line}: COPY source ${source} does not exist`);
      // A directory's contents go into the target; a file goes into it when it names a directory.
      const isDir = statSync(path).isDirectory();
      const file = isDir || !intoDir ? target : join(target, basename(source));
      mkdirSync(isDir ? target : dirname(file), { recursive: true });
      cpSync(path, file, { recursive: true, verbatimSymlinks: true, filter: keep });
    }
  }

  #run(image: BuiltImage, ins: Instruction): void {
    const cwd = hostPath(image, '.');
    const key = /^npm ci(\s|$)/.test(ins.text) ? installKey(ins.text, cwd) : undefined;
    const cached = key === undefined ? undefined : this.cache.get(key);
    if (cached) {
      this.log(`RUN ${ins.text}  (same command and lock file as before: copying its node_modules)`);
      execFileSync('cp', ['-a', join(cached, 'node_modules'), join(cwd, 'node_modules')]);
      return;
    }
    this.log(`RUN ${ins.text}`);
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: join(image.root, 'root'),
      ...hostEnv(image.root, image.env),
    };
    const result = spawnSync('sh', ['-c', ins.text], { cwd, env, stdio: 'inherit' });
    if (result.status !== 0)
      throw new Error(`line ${ins.line}: RUN exited with ${result.status ?? result.signal}`);
    if (key) this.cache.set(key, cwd);
  }
}
