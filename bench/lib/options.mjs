// Benchmark settings: environment variables, overridden by flags.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAS_WRK } from './load.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const HELP = `npm run bench [-- flags]

  --quick              short runs, 1 round; skips the 1 GiB streams and the 10k instances
  --duration N         seconds per measured run            (BENCH_DURATION, default 10; quick 3)
  --rounds N           interleaved rounds per scenario      (BENCH_ROUNDS, default 3; quick 1)
  --connections N      closed-loop connections               (BENCH_CONNECTIONS, default 50)
  --warmup N           seconds of warm-up per target         (BENCH_WARMUP, default 3; quick 1)
  --rate N             fixed-rate run, requests/s            (BENCH_RATE, default 1000; open loop,
                       at most BENCH_RATE_CONNECTIONS=64 connections)
  --tool wrk|autocannon  closed-loop load generator          (BENCH_TOOL, default wrk if installed)
  --headers browser    send 12 browser-like request headers instead of wrk's bare Host (BENCH_HEADERS)
  --only a,b           scenarios: get,post,big,rate,stream,instances,workers,profile (BENCH_ONLY)
  --workers N          GATEWAY_WORKERS of the workers scenario (BENCH_WORKERS, default 2)
  --profile            also profile the gateway under small GETs (node --cpu-prof)
  --profile-scenario S profile under get, post or big instead (BENCH_PROFILE_SCENARIO)
  --instances N        instances registered for the health-check scenario (BENCH_INSTANCES, 10000)
  --stream-bytes N     bytes each way in the stream scenario (BENCH_STREAM_BYTES, 1 GiB)
  --compare DIR[,DIR]  also measure the gateway built in each DIR/dist (an A/B of a change);
                       DIR::FLAGS starts that one as node FLAGS (e.g. .::--max-semi-space-size=4)
  --node-flags FLAGS   node flags for the gateway, space-separated (BENCH_GATEWAY_NODE_FLAGS)
  --targets a,b        gateway,fastify-http-proxy,fast-gateway,direct (BENCH_TARGETS, default all)
  --gateway-root DIR   measure the build in DIR/dist instead of this checkout's (BENCH_GATEWAY_ROOT)
  --no-build           use dist/ as it is, without rebuilding stale sources (BENCH_NO_BUILD=1)
  --quiet-wait N       wait up to N s before each run for other processes to leave the cores idle
                       (BENCH_QUIET_WAIT, default 30; quick 0)
  --noisy-retries N    measure a run again, up to N times, when other processes took > 10% of the
                       target's core meanwhile; the least disturbed one counts (BENCH_NOISY_RETRIES,
                       default 2; quick 0)
  --out FILE           also write the Markdown report to FILE
  --json FILE          also write every raw measurement as JSON
`;

function flag(argv, name) {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function int(text, name, min, max) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer ${min}-${max}`);
  return n;
}

export function parseOptions(argv = process.argv.slice(2), env = process.env) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  const pick = (name, envName, fallback) => flag(argv, name) ?? env[envName] ?? fallback;
  const tool = pick('tool', 'BENCH_TOOL', HAS_WRK ? 'wrk' : 'autocannon');
  if (tool !== 'wrk' && tool !== 'autocannon') throw new Error('--tool must be wrk or autocannon');
  if (tool === 'wrk' && !HAS_WRK)
    throw new Error('wrk is not installed (apt-get install wrk), use --tool autocannon');
  const all = ['get', 'post', 'big', 'rate', 'stream', 'instances', 'workers'];
  const only = pick('only', 'BENCH_ONLY', undefined);
  let scenarios = only ? only.split(',').map((s) => s.trim()) : quick ? ['get', 'post', 'big', 'rate'] : all;
  if (argv.includes('--profile') && !scenarios.includes('profile')) scenarios = [...scenarios, 'profile'];
  for (const s of scenarios) if (![...all, 'profile'].includes(s)) throw new Error(`unknown scenario ${s}`);
  const profiled = pick('profile-scenario', 'BENCH_PROFILE_SCENARIO', 'get');
  if (!['get', 'post', 'big'].includes(profiled))
    throw new Error('--profile-scenario must be get, post or big');
  return {
    quick,
    tool,
    scenarios,
    duration: int(pick('duration', 'BENCH_DURATION', quick ? '3' : '10'), 'duration', 1, 3600),
    rounds: int(pick('rounds', 'BENCH_ROUNDS', quick ? '1' : '3'), 'rounds', 1, 100),
    connections: int(pick('connections', 'BENCH_CONNECTIONS', '50'), 'connections', 1, 10_000),
    warmup: int(pick('warmup', 'BENCH_WARMUP', quick ? '1' : '3'), 'warmup', 0, 600),
    rate: int(pick('rate', 'BENCH_RATE', '1000'), 'rate', 1, 1_000_000),
    rateConnections: int(env.BENCH_RATE_CONNECTIONS ?? '64', 'BENCH_RATE_CONNECTIONS', 1, 10_000),
    instances: int(pick('instances', 'BENCH_INSTANCES', '10000'), 'instances', 1, 1_000_000),
    instanceServices: int(env.BENCH_INSTANCE_SERVICES ?? '100', 'BENCH_INSTANCE_SERVICES', 1, 1_000_000),
    registerConcurrency: int(env.BENCH_REGISTER_CONCURRENCY ?? '32', 'BENCH_REGISTER_CONCURRENCY', 1, 1024),
    streamBytes: int(
      pick('stream-bytes', 'BENCH_STREAM_BYTES', String(1024 ** 3)),
      'stream-bytes',
      1,
      2 ** 40,
    ),
    loadCore: int(env.BENCH_LOAD_CORE ?? '0', 'BENCH_LOAD_CORE', 0, 4095),
    targetCore: int(env.BENCH_TARGET_CORE ?? '1', 'BENCH_TARGET_CORE', 0, 4095),
    compare: (flag(argv, 'compare') ?? env.BENCH_COMPARE ?? '')
      .split(',')
      .filter(Boolean)
      .map((entry) => {
        const [dir, flags = ''] = entry.split('::');
        return { root: resolve(dir), nodeArgs: flags.split(' ').filter(Boolean) };
      }),
    nodeArgs: (flag(argv, 'node-flags') ?? env.BENCH_GATEWAY_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    targets: pick('targets', 'BENCH_TARGETS', 'gateway,fastify-http-proxy,fast-gateway,direct').split(','),
    gatewayRoot: resolve(flag(argv, 'gateway-root') ?? env.BENCH_GATEWAY_ROOT ?? ROOT),
    build: !argv.includes('--no-build') && env.BENCH_NO_BUILD !== '1',
    quietWait: int(pick('quiet-wait', 'BENCH_QUIET_WAIT', quick ? '0' : '30'), 'quiet-wait', 0, 3600),
    noisyRetries: int(
      pick('noisy-retries', 'BENCH_NOISY_RETRIES', quick ? '0' : '2'),
      'noisy-retries',
      0,
      20,
    ),
    workers: int(pick('workers', 'BENCH_WORKERS', '2'), 'workers', 2, 1024),
    headers: pick('headers', 'BENCH_HEADERS', 'none'),
    profileScenario: pick('profile-scenario', 'BENCH_PROFILE_SCENARIO', 'get'),
    out: flag(argv, 'out') ?? env.BENCH_OUT,
    json: flag(argv, 'json') ?? env.BENCH_JSON,
  };
}
