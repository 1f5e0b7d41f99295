// temporary experiment (deleted later)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayProcess, register, waitHealthy, waitUntilUp } from './lib/gateway.mjs';
import { runLoad } from './lib/load.mjs';
import { freePort, readyPort, sampleProcess, startProcess, stopAll } from './lib/procs.mjs';
import { download, upload } from './lib/streams.mjs';

const root = process.argv[2];
const steps = process.argv.slice(3);
const tmpDir = mkdtempSync(join(tmpdir(), 'exp-deg-'));
try {
  const up = startProcess({
    name: 'up',
    command: process.execPath,
    args: ['bench/servers/upstream.mjs'],
    core: 0,
    logDir: tmpDir,
  });
  const upPort = await readyPort(up);
  const port = await freePort();
  const gw = gatewayProcess({
    root,
    core: 1,
    port,
    tmpDir,
    nodeArgs: (process.env.EXP_FLAGS ?? '').split(' ').filter(Boolean),
  });
  await waitUntilUp(gw, port);
  const origin = `http://127.0.0.1:${port}`;
  await register(undefined, origin, { service_name: 'bench', base_url: `http://127.0.0.1:${upPort}` });
  await waitHealthy(origin, 'bench');
  for (const step of steps) {
    const s = sampleProcess(gw.pid, 100, 1);
    let r = {};
    if (step === 'get' || step === 'big' || step === 'post') {
      const path = { get: '/small', big: '/big', post: '/post' }[step];
      r = await runLoad({
        tool: 'wrk',
        url: `${origin}/proxy/bench${path}`,
        method: step === 'post' ? 'POST' : 'GET',
        bodyBytes: step === 'post' ? 16384 : 0,
        connections: 50,
        duration: 8,
        core: 0,
        tmpDir,
      });
    } else if (step === 'stream') {
      const u = await upload(`${origin}/proxy/bench/upload`, 1024 ** 3);
      const d = await download(`${origin}/proxy/bench/download`, 1024 ** 3);
      r = { up: u.ms, down: d.ms };
    } else if (step === 'rate') {
      r = await runLoad({
        url: `${origin}/proxy/bench/small`,
        rate: 1000,
        duration: 8,
        connections: 64,
        core: 0,
        tmpDir,
      });
    }
    const m = s.stop();
    console.log(
      step,
      JSON.stringify({
        rps: r.rps && Math.round(r.rps),
        p99: r.p99,
        up: r.up,
        down: r.down,
        rss: Math.round(m.rssPeak),
        cpu: Math.round(m.cpuPercent),
        usPerReq: r.rps ? +((m.cpuPercent / 100 / r.rps) * 1e6).toFixed(1) : undefined,
        foreign: Math.round(m.foreignPercent),
      }),
    );
  }
} finally {
  await stopAll();
}
