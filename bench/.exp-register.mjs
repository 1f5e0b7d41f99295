// temporary experiment (deleted later)
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, report } from './analyze-profile.mjs';
import { gatewayProcess, registerMany, waitUntilUp } from './lib/gateway.mjs';
import { freePort, readyPort, startProcess, stopAll, stopProcess } from './lib/procs.mjs';

const root = process.argv[2];
const count = Number(process.argv[3] ?? 2000);
const prof = process.argv[4] === 'prof';
const tmpDir = mkdtempSync(join(tmpdir(), 'exp-reg-'));
try {
  const hs = startProcess({
    name: 'hs',
    command: process.execPath,
    args: ['bench/servers/health-server.mjs'],
    core: 0,
    logDir: tmpDir,
  });
  const hport = await readyPort(hs);
  const port = await freePort();
  const gw = gatewayProcess({
    root,
    core: 1,
    port,
    tmpDir,
    nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${tmpDir}`] : [],
    env: JSON.parse(process.env.EXP_ENV ?? '{}'),
  });
  await waitUntilUp(gw, port);
  const from = Number(process.hrtime.bigint() / 1000n);
  const ms = await registerMany({
    origin: `http://127.0.0.1:${port}`,
    healthOrigin: `http://127.0.0.1:${hport}`,
    count,
    services: Number(process.env.EXP_SERVICES ?? 100),
    concurrency: 32,
  });
  const to = Number(process.hrtime.bigint() / 1000n);
  console.log(`${count} registrations: ${ms.toFixed(0)} ms (${(ms / count).toFixed(3)} ms each)`);
  await stopProcess(gw, 20000);
  if (prof) {
    const f = readdirSync(tmpDir).find((x) => x.endsWith('.cpuprofile'));
    console.log(report(analyze(JSON.parse(readFileSync(join(tmpDir, f), 'utf8')), { from, to }), 30));
  }
} finally {
  await stopAll();
}
