// One load run against one URL: closed loop by wrk (when installed) or autocannon (in its own
// process); fixed rate (open loop) by load-fixed-rate.mjs. All run pinned to the load core and
// answer the same shape: { tool, requests, ok, non2xx, errors, seconds, rps, p50, p99 } (ms).
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAS_TASKSET } from './procs.mjs';

const AUTOCANNON = fileURLToPath(new URL('../load-autocannon.mjs', import.meta.url));
const FIXED_RATE = fileURLToPath(new URL('../load-fixed-rate.mjs', import.meta.url));

export const HAS_WRK = spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error === undefined;

function pinned(core, command, args) {
  const pin = HAS_TASKSET && core !== null && core !== undefined;
  return pin ? ['taskset', ['-c', String(core), command, ...args]] : [command, args];
}

/** Runs a command to its end (bounded by `timeoutMs`, then SIGKILL), resolving with its stdout. */
function run(command, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}): ${err.slice(-2000)}`));
    });
  });
}

/** What a browser's fetch() sends (`--headers browser`): the header work a real client costs. */
export const BROWSER_HEADERS = {
  'User-Agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  Accept: 'application/json, text/plain, */*',
  'Accept-Encoding': 'gzip, deflate, br',
  'Accept-Language': 'en-US,en;q=0.9,de;q=0.8',
  'Cache-Control': 'no-cache',
  Cookie: 'session=8f14e45fceea167a5a36dedd4bea2543; theme=dark; consent=1',
  Referer: 'http://127.0.0.1/app/orders',
  Authorization: `Bearer ${'eyJhbGciOiJIUzI1NiJ9.'.padEnd(180, 'x')}`,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'Sec-Fetch-Dest': 'empty',
  'Sec-Fetch-Mode': 'cors',
  'Sec-Fetch-Site': 'same-origin',
};

const luaString = (text) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function wrkTime(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : null;
}

/** Parses `wrk --latency` output. */
export function parseWrk(out, seconds) {
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? wrkTime(m[1]) : null;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const elapsed = /requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  const secs = elapsed ? (Number(elapsed[1]) * UNIT_MS[elapsed[2]]) / 1000 : seconds;
  const ok = requests - non2xx;
  return {
    tool: 'wrk',
    requests,
    ok,
    non2xx,
    errors,
    seconds: secs,
    rps: ok / secs,
    p50: pct(50),
    p99: pct(99),
  };
}

/**
 * spec: { url, method, bodyBytes, connections, duration (s), rate (req/s: a fixed-rate GET run),
 * tool ('wrk' | 'autocannon', for closed-loop runs), core, tmpDir }
 */
export async function runLoad(spec) {
  const timeoutMs = (spec.duration + 60) * 1000;
  if (spec.rate) {
    const json = JSON.stringify({
      url: spec.url,
      rate: spec.rate,
      duration: spec.duration,
      connections: spec.connections,
    });
    const [cmd, argv] = pinned(spec.core, process.execPath, [FIXED_RATE, json]);
    return JSON.parse((await run(cmd, argv, timeoutMs)).trim().split('\n').pop());
  }
  if (spec.tool === 'wrk') {
    const args = ['-t1', `-c${spec.connections}`, `-d${spec.duration}s`, '--latency', '--timeout', '10s'];
    const post = spec.method && spec.method !== 'GET';
    if (post || spec.headers) {
      let lua = '';
      if (post) {
        lua +=
          `wrk.method = "${spec.method}"\n` +
          `wrk.body = string.rep("a", ${spec.bodyBytes ?? 0})\n` +
          'wrk.headers["Content-Type"] = "application/octet-stream"\n';
      }
      for (const [name, value] of Object.entries(spec.headers ?? {})) {
        lua += `wrk.headers[${luaString(name)}] = ${luaString(value)}\n`;
      }
      const script = join(
        spec.tmpDir,
        `wrk-${spec.method}-${spec.bodyBytes ?? 0}-${spec.headers ? 'h' : ''}.lua`,
      );
      writeFileSync(script, lua);
      args.push('-s', script);
    }
    args.push(spec.url);
    const [cmd, argv] = pinned(spec.core, 'wrk', args);
    return parseWrk(await run(cmd, argv, timeoutMs), spec.duration);
  }
  const json = JSON.stringify({
    url: spec.url,
    method: spec.method,
    bodyBytes: spec.bodyBytes,
    connections: spec.connections,
    duration: spec.duration,
    headers: spec.headers,
  });
  const [cmd, argv] = pinned(spec.core, process.execPath, [AUTOCANNON, json]);
  const out = await run(cmd, argv, timeoutMs);
  return JSON.parse(out.trim().split('\n').pop());
}
