// The autocannon load generator, run as its own process (pinned by the orchestrator):
// `node bench/load-autocannon.mjs '<json spec>'` prints one JSON result line on stdout.
// Used for closed-loop runs when wrk is not installed. Latencies are taken from autocannon's
// per-response event (float milliseconds from hrtime): its built-in histogram records whole ms.
import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);
const options = {
  url: spec.url,
  method: spec.method ?? 'GET',
  connections: spec.connections,
  duration: spec.duration,
  pipelining: 1,
  timeout: 10,
};
options.headers = { ...(spec.headers ?? {}) };
if (spec.bodyBytes) {
  options.body = Buffer.alloc(spec.bodyBytes, 'a');
  options.headers['content-type'] = 'application/octet-stream';
}

let latencies = new Float64Array(1 << 16);
let count = 0;
const instance = autocannon(options, (err, result) => {
  if (err) {
    process.stderr.write(`autocannon: ${err.message}\n`);
    process.exit(1);
  }
  const sorted = latencies.subarray(0, count).sort();
  const at = (p) => (count === 0 ? null : sorted[Math.min(count - 1, Math.floor((p / 100) * count))]);
  const out = {
    tool: 'autocannon',
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds: result.duration,
    rps: result['2xx'] / result.duration,
    p50: at(50),
    p99: at(99),
    p999: at(99.9),
    max: count === 0 ? null : sorted[count - 1],
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
});
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode < 200 || statusCode > 299) return;
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[count++] = responseTime;
});
