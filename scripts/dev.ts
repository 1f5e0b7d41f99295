import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, describeExit, spawnChild, stopChildren } from './lib/child.js';
import { createPrefixer, useColor } from './lib/output.js';

/**
 * `npm run dev` and Dockerfile.dev: recompile on change (`tsc --watch`) and restart the
 * gateway when its build output changes (`node --watch`). `node dist/scripts/dev.js ENTRY`
 * runs another entry, e.g. `samples/user-service/main.js`. Stops both on SIGTERM/SIGINT.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = process.argv[2] ?? 'src/main.js';
const tsc = resolve(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const prefixer = createPrefixer(['tsc', 'app'], useColor(process.stdout));

const children: Child[] = [
  spawnChild(
    {
      name: 'tsc',
      command: process.execPath,
      args: [tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'],
      env: process.env,
      cwd: ROOT,
    },
    prefixer,
  ),
  spawnChild(
    {
      name: 'app',
      command: process.execPath,
      args: ['--watch', resolve(ROOT, 'dist', entry)],
      env: process.env,
      cwd: ROOT,
    },
    prefixer,
  ),
];

let stopping = false;
async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stopChildren(children, 10_000);
  process.exit(exitCode);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
for (const child of children) {
  child.exited.then((exit) => {
    if (stopping) return;
    process.stderr.write(`${prefixer.prefix(child.name)}✗ ${describeExit(exit)}; stopping\n`);
    void stop(1);
  });
}
