import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../lib/wait.js';
import { type BuiltImage, hostEnv, hostPath } from './docker-build.js';

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process group; a clean exit (code 0) within 15 s, then nothing of the group left. */
async function stopCleanly(proc: ChildProcess, exited: Promise<number | null>, what: string): Promise<void> {
  process.kill(-proc.pid!, 'SIGTERM');
  const late = new Promise<string>((resolve) =>
    setTimeout(() => resolve('no exit within 15 s'), 15_000).unref(),
  );
  const code = await Promise.race([exited, late]);
  if (code !== 0) throw new Error(`${what} did not stop cleanly on SIGTERM: ${code}`);
  await waitFor(
    `the process group of ${what} to end`,
    async () => !groupAlive(proc.pid!),
    Date.now() + 5_000,
  );
}

/**
 * Runs `argv` as a container of `image` would (its WORKDIR and ENV, but loopback instead of
 * every address and a free port instead of 8000), waits until the image's HEALTHCHECK command
 * passes, then requires a clean stop on SIGTERM.
 */
export async function runContainer(image: BuiltImage, argv: string[]): Promise<string> {
  const health = image.healthcheck;
  if (!health) throw new Error('the image has no HEALTHCHECK');
  const port = String(await freePort());
  const cwd = hostPath(image, '.');
  const base = { PATH: process.env.PATH ?? '', HOME: join(image.root, 'root') };
  const env = { ...base, ...hostEnv(image.root, image.env), PORT: port, HOST: '127.0.0.1' };
  const what = argv.join(' ');
  const proc = spawn(argv[0]!, argv.slice(1), {
    cwd,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  try {
    const healthy = async () => spawnSync(health[0]!, health.slice(1), { cwd, env }).status === 0;
    const died = exited.then((code) => Promise.reject(new Error(`${what} exited with ${code}`)));
    await Promise.race([
      waitFor(`${what} to pass ${health.join(' ')}`, healthy, Date.now() + 60_000, 500),
      died,
    ]);
    await stopCleanly(proc, exited, what);
    return `port ${port}: healthy, stopped on SIGTERM`;
  } finally {
    if (groupAlive(proc.pid!)) process.kill(-proc.pid!, 'SIGKILL');
  }
}
