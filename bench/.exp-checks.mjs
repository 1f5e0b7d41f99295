// temporary experiment (deleted later)
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, report } from './analyze-profile.mjs';
import { gatewayProcess, getJson, registerMany, waitUntilUp } from './lib/gateway.mjs';
import {
  freePort,
  readyPort,
  sampleProcess,
  sleep,
  startProcess,
  stopAll,
  stopProcess,
} from './lib/procs.mjs';

const root = process.argv[2];
const count = Number(process.argv[3] ?? 10000);
const flags = (process.env.EXP_FLAGS ?? '').split(' ').filter(Boolean);
const tmpDir = mkdtempSync(join(tmpdir(), 'exp-chk-'));
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
  const prof = process.env.EXP_PROF === '1';
  const gw = gatewayProcess({
    root,
    core: 1,
    port,
    tmpDir,
    nodeArgs: [...flags, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${tmpDir}`] : [])],
  });
  await waitUntilUp(gw, port);
  const origin = `http://127.0.0.1:${port}`;
  const ms = await registerMany({
    origin,
    healthOrigin: `http://127.0.0.1:${hport}`,
    count,
    services: 100,
    concurrency: 32,
  });
  console.log(`registered ${count} in ${ms.toFixed(0)} ms`);
  await sleep(12000);
  const served = async () => (await getJson(`http://127.0.0.1:${hport}/__stats`)).body.served;
  const s0 = await served();
  const t0 = performance.now();
  const from = Number(process.hrtime.bigint() / 1000n);
  const s = sampleProcess(gw.pid, 100, 1);
  const threads = () => {
    const o = {};
    for (const t of readdirSync(`/proc/${gw.pid}/task`)) {
      const st = readFileSync(`/proc/${gw.pid}/task/${t}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      o[t + ' ' + comm + ' user'] = Number(f[11]) / 100;
      o[t + ' ' + comm + ' sys'] = Number(f[12]) / 100;
    }
    return o;
  };
  const th0 = threads();
  await sleep(15000);
  const th1 = threads();
  if (process.env.EXP_PERF === '1') {
    const { spawnSync } = await import('node:child_process');
    spawnSync(
      'perf',
      [
        'record',
        '-F',
        '999',
        '-g',
        '-o',
        join(tmpDir, 'perf.data'),
        '-p',
        String(gw.pid),
        '--',
        'sleep',
        '5',
      ],
      { encoding: 'utf8' },
    );
    const r = spawnSync(
      'perf',
      [
        'report',
        '-i',
        join(tmpDir, 'perf.data'),
        '--stdio',
        '--no-children',
        '--sort',
        'dso,sym',
        '--percent-limit',
        '0.7',
        '-g',
        'none',
      ],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    console.log(
      r.stdout
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .slice(0, 45)
        .join('\n'),
    );
  }
  if (process.env.EXP_STRACE === '1') {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('timeout', ['-s', 'INT', '5', 'strace', '-c', '-f', '-p', String(gw.pid)], {
      encoding: 'utf8',
    });
    console.log(r.stderr.split('\n').slice(0, 25).join('\n'));
  }
  for (const k of Object.keys(th1)) {
    const d = th1[k] - (th0[k] ?? 0);
    if (d > 0.05) console.log('thread', k, ((d / 15) * 100).toFixed(1) + '%');
  }
  console.log(
    readFileSync(`/proc/${gw.pid}/smaps_rollup`, 'utf8')
      .split('\n')
      .filter((l) => /^(Rss|Anonymous|Pss_File|Pss_Anon):/.test(l))
      .join(' | '),
  );
  const m = s.stop();
  const to = Number(process.hrtime.bigint() / 1000n);
  const rate = ((await served()) - s0) / ((performance.now() - t0) / 1000);
  console.log(
    JSON.stringify({
      checksPerSec: Math.round(rate),
      cpu: Math.round(m.cpuPercent),
      usPerCheck: +((m.cpuPercent / 100 / rate) * 1e6).toFixed(1),
      rss: Math.round(m.rssPeak),
    }),
  );
  await stopProcess(gw, 20000);
  if (prof) {
    const f = readdirSync(tmpDir).find((x) => x.endsWith('.cpuprofile'));
    console.log(report(analyze(JSON.parse(readFileSync(join(tmpDir, f), 'utf8')), { from, to }), 40));
  }
  if (flags.includes('--trace-gc'))
    console.log(
      readFileSync(join(tmpDir, 'gateway.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('Mark-Compact'))
        .slice(-4)
        .join('\n'),
    );
} finally {
  await stopAll();
}
