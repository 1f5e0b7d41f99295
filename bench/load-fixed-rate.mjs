// An open-loop, fixed-rate load generator, run as its own process (pinned by the orchestrator):
// `node bench/load-fixed-rate.mjs '<json spec>'` prints one JSON result line on stdout.
//
// Requests start on a fixed schedule (rate per second, evenly spaced, whatever the answers do),
// over a keep-alive undici Pool, and each latency runs from the request's start to the end of its
// body. autocannon's `overallRate` is not used for this: it gives each connection a per-second
// quota that it spends back to back, then idles until the next second, which measures bursts
// of `connections` concurrent requests rather than a steady rate.
import { Pool } from 'undici';

const spec = JSON.parse(process.argv[2]);
const url = new URL(spec.url);
const pool = new Pool(url.origin, { connections: spec.connections, pipelining: 1 });
const path = url.pathname + url.search;
const total = Math.round(spec.rate * spec.duration);
const latencies = new Float64Array(Math.max(total, spec.rate));
let sent = 0;
let done = 0;
let ok = 0;
let non2xx = 0;
let errors = 0;
let maxBehind = 0;

function fire() {
  const started = performance.now();
  sent++;
  pool.request({ path, method: 'GET', headers: spec.headers ?? undefined }).then(
    async (res) => {
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) latencies[ok++] = performance.now() - started;
      else non2xx++;
      done++;
    },
    () => {
      errors++;
      done++;
    },
  );
}

/** Runs the schedule for `seconds`; resolves once every answer arrived (bounded by a deadline). */
async function schedule(seconds) {
  const count = Math.round(spec.rate * seconds);
  const first = sent;
  const start = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      const due = first + Math.min(count, Math.floor(((performance.now() - start) / 1000) * spec.rate) + 1);
      maxBehind = Math.max(maxBehind, due - sent);
      // Bounded: at most `count` requests in this schedule.
      while (sent < due) fire();
      if (sent >= first + count) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const deadline = performance.now() + 30_000;
  while (done < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return start;
}

// Warm-up (not counted): the first requests load undici's parser and open connections, which
// stalls this process for tens of milliseconds and would show up as the targets' latency.
await schedule(1);
sent = 0;
done = 0;
ok = 0;
non2xx = 0;
errors = 0;
maxBehind = 0;
const start = await schedule(spec.duration);
const seconds = (performance.now() - start) / 1000;
await pool.destroy();

const sorted = latencies.subarray(0, ok).sort();
const at = (p) => (ok === 0 ? null : sorted[Math.min(ok - 1, Math.floor((p / 100) * ok))]);
process.stdout.write(
  `${JSON.stringify({
    tool: 'fixed-rate',
    requests: sent,
    ok,
    non2xx,
    errors: errors + (sent - done),
    seconds,
    rps: ok / seconds,
    p50: at(50),
    p99: at(99),
    p999: at(99.9),
    max: ok === 0 ? null : sorted[ok - 1],
    maxBehind,
  })}\n`,
);
