import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, describeExit, signalChild, spawnChild, stopChildren } from './lib/child.js';
import { createPrefixer, useColor } from './lib/output.js';
import { PlanError, type PlannedProcess, planFromEnv, urlTable } from './lib/start-plan.js';
import { answersOk, waitFor } from './lib/wait.js';

/**
 * `npm start`: the gateway and the three sample services as child processes, each output line
 * prefixed with its name. Waits until all are healthy and reachable through the gateway, prints
 * the URL table, and on Ctrl-C / SIGTERM stops the samples (so they deregister), then the
 * gateway. If any child dies, everything stops and the exit code is 1.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (line: string) => process.stdout.write(`${prefixer.prefix('start')}${line}\n`);

let plan: ReturnType<typeof planFromEnv>;
try {
  plan = planFromEnv(process.env, ROOT);
} catch (err) {
  if (!(err instanceof PlanError)) throw err;
  process.stderr.write(`msa-gateway: configuration error: ${err.message}\n`);
  process.exit(1);
}
const prefixer = createPrefixer(
  ['start', plan.gateway.name, ...plan.samples.map((s) => s.name)],
  useColor(process.stdout),
);
const children: Child[] = [];
let stopping: Promise<never> | undefined;

/** Stops the samples first, so they can deregister while the gateway still runs; then exits. */
function shutdown(reason: string, exitCode: number): Promise<never> {
  stopping ??= (async () => {
    say(reason);
    const [gateway, ...samples] = children;
    await stopChildren(samples, plan.stopTimeoutMs);
    if (gateway) await stopChildren([gateway], plan.stopTimeoutMs);
    say(`stopped ${children.length} process(es)`);
    process.exit(exitCode);
  })();
  return stopping;
}

function start(planned: PlannedProcess): Child {
  const child = spawnChild(planned, prefixer);
  children.push(child);
  say(`${planned.name} started (pid ${child.pid}, port ${planned.port})`);
  child.exited.then((exit) => {
    if (!stopping) void shutdown(`✗ ${planned.name} ${describeExit(exit)}; stopping everything`, 1);
  });
  return child;
}

async function waitUntilReady(): Promise<void> {
  const deadline = Date.now() + plan.startupTimeoutMs;
  const gateway = plan.gateway.probeUrl;
  await waitFor(`gateway ${gateway}/health`, () => answersOk(`${gateway}/health`), deadline);
  for (const sample of plan.samples) start(sample);
  await Promise.all(
    plan.samples.map(async (sample) => {
      await waitFor(
        `${sample.name} ${sample.probeUrl}/health`,
        () => answersOk(`${sample.probeUrl}/health`),
        deadline,
      );
      const viaGateway = `${gateway}/proxy/${sample.name}/health`;
      await waitFor(
        `${sample.name} through the gateway (${viaGateway})`,
        () => answersOk(viaGateway),
        deadline,
      );
    }),
  );
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const why = signal === 'SIGHUP' ? 'the terminal or the parent process went away' : `${signal} received`;
  process.on(signal, () => void shutdown(`${why}: stopping`, 0));
}
// Last resort if this process dies another way: take the children down with it.
process.on('exit', () => {
  for (const child of children) signalChild(child, 'SIGKILL');
});

say(`orchestrator pid ${process.pid}`);
start(plan.gateway);
waitUntilReady().then(
  () => {
    if (stopping) return;
    say('All services are up:');
    for (const line of urlTable(plan).split('\n')) say(line);
    say('Press Ctrl-C to stop.');
  },
  (err: Error) => {
    if (!stopping) void shutdown(`✗ start-up failed: ${err.message}; stopping everything`, 1);
  },
);
