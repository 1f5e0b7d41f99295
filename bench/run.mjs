// `npm run bench`: msa-gateway against @fastify/http-proxy, fast-gateway and the instance
// itself, all on 127.0.0.1. The gateway and each peer run pinned to one core, the load
// generator, the instance and this orchestrator to the other. See docs/performance.md.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze, report as profileReport } from './analyze-profile.mjs';
import {
  deregisterServices,
  gatewayProcess,
  getJson,
  register,
  registerMany,
  waitHealthy,
  waitUntilUp,
} from './lib/gateway.mjs';
import { BROWSER_HEADERS, runLoad } from './lib/load.mjs';
import { parseOptions } from './lib/options.mjs';
import {
  coreTimes,
  freePort,
  HAS_TASKSET,
  memoryOf,
  ownCpuSeconds,
  pinSelf,
  readyPort,
  sampleProcess,
  sleep,
  startProcess,
  stopAll,
  stopProcess,
} from './lib/procs.mjs';
import {
  closedLoopTable,
  DIRECT,
  GATEWAY,
  instancesTable,
  machineInfo,
  rateTable,
  streamTable,
  summarize,
  targetsTable,
  workersRatio,
} from './lib/report.mjs';
import { download, upload } from './lib/streams.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVERS = join(ROOT, 'bench', 'servers');
const log = (line) => process.stderr.write(`bench: ${line}\n`);
/** A core this busy with other processes before a run is not quiet. */
const QUIET_BUSY_PERCENT = 10;
/** A run during which other processes took more of the target's core than this is repeated. */
const NOISY_PERCENT = 10;

const CLOSED_LOOP = {
  get: { title: 'Small GET', path: '/small', method: 'GET', what: 'GET of a 50-byte JSON body' },
  post: { title: '16 KiB POST', path: '/post', method: 'POST', bodyBytes: 16 * 1024, what: '16 KiB body' },
  big: { title: '64 KiB response', path: '/big', method: 'GET', what: 'GET of a 64 KiB body' },
};

function loadAverage() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return [0, 0, 0];
  }
}

/** Which gateway was measured: its directory and, in a git checkout, the commit (and if dirty). */
function describeBuild(root) {
  const git = (...args) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0)
    return `dist/ of ${root}${process.env.BENCH_GATEWAY_LABEL ? ` (${process.env.BENCH_GATEWAY_LABEL})` : ''}`;
  const dirty = git('status', '--porcelain', '--', 'src').stdout.trim() !== '';
  return `dist/ of ${root} at ${head.stdout.trim()}${dirty ? ' with uncommitted changes in src/' : ''}`;
}

/** Builds dist/ when it is missing or older than the sources (scripts/ensure-build.mjs when present). */
async function ensureBuild() {
  const helper = join(ROOT, 'scripts', 'ensure-build.mjs');
  if (existsSync(helper)) {
    const { ensureBuilt } = await import(helper);
    await ensureBuilt({ log });
    return;
  }
  if (existsSync(join(ROOT, 'dist', 'src', 'main.js'))) return;
  log('dist/ is missing: npm run build');
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
}

function startServer(name, file, args, core, tmpDir) {
  const child = startProcess({
    name,
    command: process.execPath,
    args: [join(SERVERS, file), ...args],
    core,
    logDir: tmpDir,
  });
  return readyPort(child).then((port) => ({ child, port, origin: `http://127.0.0.1:${port}` }));
}

/**
 * What other processes on the machine use of `cores` over `ms`, in % of one core: the cores' busy
 * time minus what this benchmark's own processes used (a gateway checking 10,000 instances is busy
 * between runs too, and that is part of the measurement, not noise).
 */
async function foreignBusy(cores, ms = 1000) {
  const before = cores.map(coreTimes);
  const ownBefore = ownCpuSeconds();
  const started = performance.now();
  await sleep(ms);
  const wall = (performance.now() - started) / 1000;
  let busy = 0;
  for (const [i, core] of cores.entries()) {
    const after = coreTimes(core);
    const b = before[i];
    if (b && after && after.total > b.total) busy += (100 * (after.busy - b.busy)) / (after.total - b.total);
  }
  return Math.max(0, busy - (100 * (ownCpuSeconds() - ownBefore)) / wall);
}

/** Waits (at most `opts.quietWait` s) until other processes leave the cores nearly idle. */
async function waitQuiet(opts) {
  if (opts.quietWait <= 0) return;
  const deadline = Date.now() + opts.quietWait * 1000;
  let noted = false;
  const cores = [opts.loadCore, opts.targetCore].filter((c) => c !== null);
  // Bounded by the deadline; each pass samples for one second.
  while (Date.now() < deadline) {
    const busy = await foreignBusy(cores);
    if (busy < QUIET_BUSY_PERCENT) return;
    if (!noted)
      log(`  waiting for other processes to leave the cores idle (they use ${busy.toFixed(0)}% now)`);
    noted = true;
  }
}

/** One measured run of one target; repeated (bounded) while other processes disturbed its core. */
async function measureOnce(t, load, opts) {
  let best = null;
  for (let attempt = 0; attempt <= opts.noisyRetries; attempt++) {
    await waitQuiet(opts);
    const sampler = sampleProcess(t.pid, 100, opts.targetCore);
    let result;
    try {
      result = await runLoad({ ...load, url: t.base + load.path, duration: opts.duration });
    } finally {
      result = { ...result, ...sampler.stop(), attempts: attempt + 1 };
    }
    if (best === null || result.foreignPercent < best.foreignPercent) best = result;
    if (result.foreignPercent <= NOISY_PERCENT) break;
    log(
      `  ${t.name}: other processes took ${result.foreignPercent.toFixed(0)}% of its core, measuring again`,
    );
  }
  return best;
}

/** Warm-up once per target, then `rounds` rounds A B C D, each run sampling the target's RSS. */
async function measureRounds(targets, spec, opts, ctx) {
  const load = { ...spec, core: opts.loadCore, tmpDir: ctx.tmpDir };
  if (opts.warmup > 0) {
    for (const t of targets) await runLoad({ ...load, url: t.base + spec.path, duration: opts.warmup });
  }
  const runs = new Map(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= opts.rounds; round++) {
    for (const t of targets) {
      const result = await measureOnce(t, load, opts);
      runs.get(t.name).push(result);
      log(
        `  round ${round} ${t.name}: ${Math.round(result.rps)} req/s, p99 ${result.p99?.toFixed(2)} ms, ` +
          `RSS ${result.rssPeak?.toFixed(0)} MB, CPU ${result.cpuPercent?.toFixed(0)}% ` +
          `(${((result.cpuPercent / 100 / result.rps) * 1e6).toFixed(1)} µs/req), ` +
          `other processes on its core ${result.foreignPercent == null ? 'n/a' : `${result.foreignPercent.toFixed(0)}%`}`,
      );
    }
  }
  return summarize(runs);
}

function closedLoopSpec(key, opts) {
  const s = CLOSED_LOOP[key];
  return {
    path: s.path,
    method: s.method,
    bodyBytes: s.bodyBytes,
    tool: opts.tool,
    connections: opts.connections,
    headers: opts.headers === 'browser' ? BROWSER_HEADERS : undefined,
  };
}

function rateSpec(opts) {
  return {
    ...closedLoopSpec('get', opts),
    tool: 'fixed-rate',
    rate: opts.rate,
    connections: opts.rateConnections,
  };
}

async function streamScenario(targets, opts) {
  const rows = [];
  for (const t of targets) {
    log(`  ${t.name}: ${opts.streamBytes} bytes up, then down`);
    const sampler = sampleProcess(t.pid, 50);
    try {
      const up = await upload(`${t.base}/upload`, opts.streamBytes);
      const down = await download(`${t.base}/download`, opts.streamBytes);
      rows.push({ name: t.name, upload: up, download: down, ...sampler.stop() });
    } catch (err) {
      sampler.stop();
      throw err;
    }
  }
  return rows;
}

async function countRows(dbPath) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) AS n FROM instances').get().n;
  } finally {
    db.close();
  }
}

/**
 * Paired rounds: each round measures small GETs and the fixed rate without the instances, then
 * registers them, waits until every one is HEALTHY, measures again under their checks, and
 * removes them. A round's before and after run a minute apart, so the machine's drift (it has
 * measured 1.5x apart between rounds) moves both, and the per-round changes are what count.
 */
async function instancesScenario(gw, opts, ctx) {
  const health = await startServer('health-server', 'health-server.mjs', [], opts.loadCore, ctx.tmpDir);
  const served = async () => (await getJson(`${health.origin}/__stats`)).body.served;
  const target = [gw];
  const measure = async (round) => {
    // One run per measure; the first round warms up first, as every other scenario does.
    const one = { ...opts, warmup: round === 1 ? opts.warmup : 0, rounds: 1 };
    return {
      get: (await measureRounds(target, closedLoopSpec('get', opts), one, ctx))[GATEWAY],
      rate: (await measureRounds(target, rateSpec(opts), one, ctx))[GATEWAY],
    };
  };
  const rounds = [];
  for (let round = 1; round <= opts.rounds; round++) {
    log(`  round ${round}: small GET and fixed rate without the instances`);
    const before = await measure(round);
    log(`  round ${round}: registering ${opts.instances} instances`);
    const registerMs = await registerMany({
      origin: gw.origin,
      healthOrigin: health.origin,
      count: opts.instances,
      services: opts.instanceServices,
      concurrency: opts.registerConcurrency,
    });
    const rows = await countRows(gw.dbPath);
    log(
      `  registered in ${(registerMs / 1000).toFixed(2)} s; ${rows} rows in sqlite; waiting for every check`,
    );
    const settleStart = performance.now();
    const deadline = Date.now() + 180_000;
    for (;;) {
      const { body } = await getJson(`${gw.origin}/api/discovery/health`);
      if (body.healthy_instances >= opts.instances + 1) break;
      if (Date.now() > deadline)
        throw new Error(`only ${body.healthy_instances} instances HEALTHY after 180 s`);
      await sleep(250);
    }
    const settleMs = performance.now() - settleStart;
    // Let the first-check burst pass: checks then run at the steady interval.
    await sleep(Math.min(5000, ctx.intervalMs / 2));
    const rssAfter = memoryOf(gw.pid)?.rss;
    const served0 = await served();
    const t0 = performance.now();
    log(`  round ${round}: small GET and fixed rate under the checks`);
    const after = await measure(round);
    const checksPerSecond = ((await served()) - served0) / ((performance.now() - t0) / 1000);
    await deregisterServices(gw.origin, opts.instanceServices);
    rounds.push({ before, after, registerMs, rows, settleMs, rssAfter, checksPerSecond });
    log(
      `  round ${round}: p99 ${before.get.p99.toFixed(2)} -> ${after.get.p99.toFixed(2)} ms, ` +
        `fixed rate ${before.rate.p99.toFixed(2)} -> ${after.rate.p99.toFixed(2)} ms`,
    );
  }
  await stopProcess(health.child);
  return {
    count: opts.instances,
    services: opts.instanceServices,
    concurrency: opts.registerConcurrency,
    intervalMs: ctx.intervalMs,
    rounds,
  };
}

/**
 * GATEWAY_WORKERS=1 against GATEWAY_WORKERS=N (node:cluster). With more than N cores the gateways
 * get cores 1..N and the load core 0; with fewer, nothing is pinned (the whole machine is shared
 * by gateway, load generator and instance), which is the only way N workers can use N cores here.
 */
async function workersScenario(upstream, opts, ctx) {
  const n = opts.workers;
  const pinned = cpus().length > n && HAS_TASKSET;
  const core = pinned ? `${opts.targetCore}-${opts.targetCore + n - 1}` : null;
  const targets = [];
  for (const workers of [1, n]) {
    const port = await freePort();
    const name = `gateway-workers-${workers}`;
    const child = gatewayProcess({
      root: opts.gatewayRoot,
      core: workers === 1 && pinned ? opts.targetCore : core,
      port,
      tmpDir: ctx.tmpDir,
      name,
      nodeArgs: opts.nodeArgs,
      env: { GATEWAY_WORKERS: String(workers) },
    });
    await waitUntilUp(child, port);
    const origin = `http://127.0.0.1:${port}`;
    await register(undefined, origin, { service_name: 'bench', base_url: upstream.origin });
    await waitHealthy(origin, 'bench');
    targets.push({
      name: `${GATEWAY}, GATEWAY_WORKERS=${workers}`,
      base: `${origin}/proxy/bench`,
      pid: child.pid,
    });
  }
  const runOpts = { ...opts, targetCore: null, loadCore: pinned ? opts.loadCore : null };
  const summary = await measureRounds(targets, closedLoopSpec('get', opts), runOpts, ctx);
  return { summary, pinned, core, n };
}

async function profileScenario(upstream, opts, ctx) {
  const dir = join(ctx.tmpDir, 'profile');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = gatewayProcess({
    root: opts.gatewayRoot,
    core: opts.targetCore,
    port,
    tmpDir: ctx.tmpDir,
    name: 'gateway-profile',
    nodeArgs: [...opts.nodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  await waitUntilUp(child, port);
  const origin = `http://127.0.0.1:${port}`;
  await register(undefined, origin, { service_name: 'bench', base_url: upstream.origin });
  await waitHealthy(origin, 'bench');
  const target = { name: GATEWAY, base: `${origin}/proxy/bench`, pid: child.pid };
  const spec = closedLoopSpec(opts.profileScenario, opts);
  if (opts.warmup > 0) {
    await runLoad({
      ...spec,
      core: opts.loadCore,
      tmpDir: ctx.tmpDir,
      url: target.base + spec.path,
      duration: opts.warmup,
    });
  }
  await waitQuiet(opts);
  // The window of the measured run only (no waiting in it), on the monotonic clock V8 stamps its
  // samples with.
  const from = Number(process.hrtime.bigint() / 1000n);
  const sampler = sampleProcess(child.pid, 100, opts.targetCore);
  const load = { ...spec, core: opts.loadCore, tmpDir: ctx.tmpDir, url: target.base + spec.path };
  const result = { ...(await runLoad({ ...load, duration: opts.duration })), ...sampler.stop() };
  const to = Number(process.hrtime.bigint() / 1000n);
  await stopProcess(child, 20_000);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const text = profileReport(analyze(JSON.parse(readFileSync(join(dir, file), 'utf8')), { from, to }), 30);
  return {
    file: join(dir, file),
    rps: result.rps,
    foreign: result.foreignPercent,
    window: { from, to },
    text,
  };
}

/** Starts a gateway build (its dist/) as a target, with the instance registered and HEALTHY. */
async function startGatewayTarget(root, name, processName, upstream, opts, tmpDir, nodeArgs = opts.nodeArgs) {
  const port = await freePort();
  const child = gatewayProcess({ root, core: opts.targetCore, port, tmpDir, name: processName, nodeArgs });
  await waitUntilUp(child, port);
  const origin = `http://127.0.0.1:${port}`;
  await register(undefined, origin, { service_name: 'bench', base_url: upstream.origin });
  await waitHealthy(origin, 'bench');
  return {
    name,
    base: `${origin}/proxy/bench`,
    pid: child.pid,
    origin,
    dbPath: join(tmpDir, `${processName}-registry.db`),
  };
}

function settingsLine(opts, spec) {
  const tool = {
    wrk: 'wrk -t1',
    autocannon: 'autocannon',
    'fixed-rate': 'open-loop fixed rate (bench/load-fixed-rate.mjs)',
  }[spec.tool];
  const rate = spec.rate ? `, ${spec.rate} req/s evenly spaced, up to` : '';
  return (
    `${tool}${rate} ${spec.connections} connections, ${opts.rounds} × ${opts.duration} s per target ` +
    `(interleaved, after ${opts.warmup} s warm-up); medians of the rounds, RSS = highest sample` +
    (spec.headers ? `; ${Object.keys(spec.headers).length} browser-like request headers.` : '.')
  );
}

async function main() {
  const opts = parseOptions();
  if (opts.gatewayRoot === ROOT && opts.build) await ensureBuild();
  if (!existsSync(join(opts.gatewayRoot, 'dist', 'src', 'main.js'))) {
    throw new Error(`no build in ${opts.gatewayRoot}/dist (npm run build)`);
  }
  const loadBefore = loadAverage();
  if (loadBefore[0] > 0.5)
    log(`the machine is busy (load average ${loadBefore.join(' ')}): results will be noisy`);
  if (!HAS_TASKSET) log('taskset is not available: processes are NOT pinned to cores');
  pinSelf(opts.loadCore);
  const tmpDir = mkdtempSync(join(tmpdir(), 'msa-bench-'));
  const ctx = { tmpDir, intervalMs: 10_000 };
  const results = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    gateway: describeBuild(opts.gatewayRoot),
    options: opts,
    scenarios: {},
  };
  const sections = [];
  log(`logs and temp files in ${tmpDir}`);
  try {
    const upstream = await startServer('upstream', 'upstream.mjs', [], opts.loadCore, tmpDir);
    const gw = await startGatewayTarget(opts.gatewayRoot, GATEWAY, 'gateway', upstream, opts, tmpDir);
    const targets = [];
    if (opts.targets.includes('gateway')) targets.push(gw);
    for (const [i, { root, nodeArgs }] of opts.compare.entries()) {
      const name = `${GATEWAY} [${[basename(root), ...nodeArgs].join(' ')}]`;
      const processName = `gateway-compare-${i}`;
      targets.push(await startGatewayTarget(root, name, processName, upstream, opts, tmpDir, nodeArgs));
    }
    const args = ['--upstream', upstream.origin];
    if (opts.targets.includes('fastify-http-proxy')) {
      const fhp = await startServer(
        'fastify-http-proxy',
        'fastify-http-proxy.mjs',
        args,
        opts.targetCore,
        tmpDir,
      );
      targets.push({ name: '@fastify/http-proxy', base: `${fhp.origin}/proxy/bench`, pid: fhp.child.pid });
    }
    if (opts.targets.includes('fast-gateway')) {
      const fg = await startServer('fast-gateway', 'fast-gateway.mjs', args, opts.targetCore, tmpDir);
      targets.push({ name: 'fast-gateway', base: `${fg.origin}/proxy/bench`, pid: fg.child.pid });
    }
    if (opts.targets.includes('direct')) {
      targets.push({ name: DIRECT, base: upstream.origin, pid: upstream.child.pid });
    }
    for (const t of targets) {
      const { status, body } = await getJson(`${t.base}/small`);
      if (status !== 200 || body.name !== 'bench')
        throw new Error(`${t.name} does not proxy /small (${status})`);
    }
    for (const key of ['get', 'post', 'big']) {
      if (!opts.scenarios.includes(key)) continue;
      const spec = closedLoopSpec(key, opts);
      log(`${CLOSED_LOOP[key].title}`);
      const summary = await measureRounds(targets, spec, opts, ctx);
      results.scenarios[key] = summary;
      const title = `${CLOSED_LOOP[key].title} (${CLOSED_LOOP[key].what})`;
      sections.push(closedLoopTable(title, summary, settingsLine(opts, spec)));
    }
    if (opts.scenarios.includes('rate')) {
      log(`fixed rate ${opts.rate} req/s`);
      const spec = rateSpec(opts);
      const summary = await measureRounds(targets, spec, opts, ctx);
      results.scenarios.rate = summary;
      sections.push(rateTable(`Fixed rate: ${opts.rate} req/s small GET`, summary, settingsLine(opts, spec)));
    }
    if (opts.scenarios.includes('stream')) {
      log('streams');
      const rows = await streamScenario(targets, opts);
      results.scenarios.stream = rows;
      sections.push(streamTable(opts.streamBytes, rows));
    }
    if (opts.scenarios.includes('workers')) {
      log(`GATEWAY_WORKERS=1 against GATEWAY_WORKERS=${opts.workers}`);
      const w = await workersScenario(upstream, opts, ctx);
      results.scenarios.workers = w;
      const where = w.pinned
        ? `gateways on cores ${w.core}, load generator on core ${opts.loadCore}`
        : `nothing pinned: ${cpus().length} cores shared by the gateway's processes, wrk and the instance`;
      sections.push(
        closedLoopTable(
          `GATEWAY_WORKERS scaling, small GET (${where})`,
          w.summary,
          settingsLine(opts, closedLoopSpec('get', opts)),
          `GATEWAY_WORKERS=${w.n} / GATEWAY_WORKERS=1: **${workersRatio(w)?.toFixed(2)}x** req/s`,
        ),
      );
    }
    if (opts.scenarios.includes('profile')) {
      log('profile (node --cpu-prof, small GET)');
      const profile = await profileScenario(upstream, opts, ctx);
      results.profile = { file: profile.file, rps: profile.rps, window: profile.window };
      const kept = join(tmpDir, `gateway-${opts.profileScenario}.cpuprofile`);
      copyFileSync(profile.file, kept);
      sections.push(
        `### Profile: gateway under ${CLOSED_LOOP[opts.profileScenario].title} (node --cpu-prof)\n\n` +
          `${Math.round(profile.rps)} req/s while profiling (other processes took ` +
          `${profile.foreign?.toFixed(0)}% of its core); profile: ${kept} ` +
          `(samples of the measured run only: --window ${profile.window.from},${profile.window.to})\n\n${profile.text}`,
      );
    }
    // Last: the gateway keeps checking its instances afterwards, which would disturb later runs.
    if (opts.scenarios.includes('instances')) {
      log(`${opts.instances} instances under active health checks`);
      results.scenarios.instances = await instancesScenario(gw, opts, ctx);
      sections.push(instancesTable(results.scenarios.instances));
    }
  } finally {
    await stopAll();
  }
  const m = results.machine;
  const pinning = HAS_TASKSET
    ? `gateway and each peer pinned to core ${opts.targetCore}; load generator, instance and orchestrator to core ${opts.loadCore}`
    : 'no pinning (taskset missing)';
  const header = [
    `## msa-gateway benchmark, ${results.date}`,
    '',
    `${m.model}, ${m.cores} cores, ${m.memory}; Node ${m.node} (${m.platform}); ${pinning}. ` +
      `Mode: ${opts.quick ? 'quick' : 'full'}; load generator for closed-loop runs: ${opts.tool}.`,
    '',
    `Gateway build: ${results.gateway}. Load average before → after: ` +
      `${loadBefore.join(' ')} → ${loadAverage().join(' ')}.`,
  ].join('\n');
  const markdown = [header, ...sections, targetsTable(results)].join('\n\n');
  process.stdout.write(`\n${markdown}\n`);
  if (opts.out) writeFileSync(opts.out, `${markdown}\n`);
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch(async (err) => {
  process.stderr.write(`bench: failed: ${err.stack ?? err}\n`);
  await stopAll();
  process.exit(1);
});
