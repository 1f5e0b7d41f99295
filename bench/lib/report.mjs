// Markdown for the benchmark's results: one table per scenario and the targets summary.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export const GATEWAY = 'msa-gateway';
export const DIRECT = 'direct (no proxy)';
export const PEERS = ['@fastify/http-proxy', 'fast-gateway'];

export function median(values) {
  const v = values.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Per target: the median of the rounds' rps/p50/p99, the highest RSS peak, summed errors. */
export function summarize(runs) {
  const out = {};
  for (const [name, list] of runs) {
    out[name] = {
      rps: median(list.map((r) => r.rps)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      p999: median(list.map((r) => r.p999)),
      rssPeak: Math.max(...list.map((r) => r.rssPeak ?? 0)) || null,
      cpuPercent: median(list.map((r) => r.cpuPercent)),
      // CPU time per request: the efficiency measure that other load on the machine disturbs least.
      cpuUsPerRequest: median(list.map((r) => (r.rps > 0 ? (r.cpuPercent / 100 / r.rps) * 1e6 : null))),
      errors: list.reduce((a, r) => a + r.errors, 0),
      non2xx: list.reduce((a, r) => a + r.non2xx, 0),
      foreignPercent: Math.max(...list.map((r) => r.foreignPercent ?? 0)),
      rounds: list,
    };
  }
  return out;
}

export function machineInfo() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux
  }
  let memory = '';
  try {
    const kb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
    memory = `${(kb / 1024 / 1024).toFixed(0)} GiB`;
  } catch {
    // not Linux
  }
  return {
    model,
    cores: cpus().length,
    memory,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

const f0 = (n) => (n == null ? '–' : Math.round(n).toLocaleString('en-US'));
const f2 = (n) => (n == null ? '–' : n.toFixed(2));
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
const fx = (r) => (r == null ? '–' : `${r.toFixed(2)}x`);

/**
 * The median over rounds of the gateway's req/s against the best peer's in the same round. The
 * rounds are interleaved seconds apart, so a machine that speeds up or slows down between rounds
 * (a shared host does: the same target has measured 1.5x apart from one round to the next) moves
 * both sides of each round's ratio alike, where it would skew a ratio of separate medians.
 */
function pairedVsBestPeer(summary) {
  const gwRounds = summary[GATEWAY]?.rounds ?? [];
  const peers = PEERS.filter((p) => summary[p]);
  const perRound = gwRounds.map((g, i) => {
    const best = Math.max(...peers.map((p) => summary[p].rounds[i]?.rps ?? 0));
    return best > 0 && g.rps > 0 ? g.rps / best : null;
  });
  return median(perRound);
}

/** The best peer by req/s and the gateway's ratios against it and against direct. */
export function ratios(summary) {
  const gw = summary[GATEWAY];
  const best = PEERS.filter((p) => summary[p]).sort((a, b) => summary[b].rps - summary[a].rps)[0];
  return {
    bestPeer: best ?? null,
    vsDirect: ratio(gw?.rps, summary[DIRECT]?.rps),
    vsBestPeer: best ? ratio(gw?.rps, summary[best].rps) : null,
    vsBestPeerPaired: best ? pairedVsBestPeer(summary) : null,
  };
}

export function closedLoopTable(title, summary, settings, footer = null) {
  const lines = [
    `### ${title}`,
    '',
    settings,
    '',
    '| target | req/s | p50 ms | p99 ms | peak RSS MB | CPU % | CPU µs/req | errors / non-2xx |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, s] of Object.entries(summary)) {
    const bad = `${s.errors} / ${s.non2xx}`;
    const cells = [
      f0(s.rps),
      f2(s.p50),
      f2(s.p99),
      f0(s.rssPeak),
      f0(s.cpuPercent),
      f0(s.cpuUsPerRequest),
      bad,
    ];
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  const noisy = Object.entries(summary).filter(([, s]) => s.foreignPercent > 5);
  if (noisy.length > 0) {
    const worst = Math.max(...noisy.map(([, s]) => s.foreignPercent));
    lines.push(
      '',
      `Noise: other processes used up to ${worst.toFixed(0)}% of the targets' core during some runs.`,
    );
  }
  if (footer !== null) {
    lines.push('', footer);
    return lines.join('\n');
  }
  const r = ratios(summary);
  const parts = [];
  if (r.vsDirect !== null) parts.push(`gateway / direct: **${fx(r.vsDirect)}**`);
  if (r.bestPeer !== null) {
    parts.push(
      `gateway / best peer (${r.bestPeer}): **${fx(r.vsBestPeer)}** (ratio of medians) · ` +
        `**${fx(r.vsBestPeerPaired)}** (median of each round's gateway / best peer that round)`,
    );
  }
  if (parts.length > 0) lines.push('', parts.join(' · '));
  return lines.join('\n');
}

export function rateTable(title, summary, settings) {
  const lines = [
    `### ${title}`,
    '',
    settings,
    '',
    '| target | req/s | p50 ms | p99 ms | p99.9 ms | peak RSS MB | CPU % | errors / non-2xx |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, s] of Object.entries(summary)) {
    const cells = [f0(s.rps), f2(s.p50), f2(s.p99), f2(s.p999), f0(s.rssPeak), f0(s.cpuPercent)];
    lines.push(`| ${name} | ${cells.join(' | ')} | ${s.errors} / ${s.non2xx} |`);
  }
  const gw = summary[GATEWAY]?.p99;
  const direct = summary[DIRECT]?.p99;
  if (gw != null && direct != null)
    lines.push('', `p99 gateway − direct: **${(gw - direct).toFixed(2)} ms**`);
  return lines.join('\n');
}

export function streamTable(bytes, rows) {
  const mib = bytes / 1024 / 1024;
  const lines = [
    `### Streamed bodies: ${f0(mib)} MiB up, ${f0(mib)} MiB down (one request each)`,
    '',
    '| target | upload s | upload MiB/s | download s | download MiB/s | peak RSS MB | CPU % |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const up = row.upload.ms / 1000;
    const down = row.download.ms / 1000;
    lines.push(
      `| ${row.name} | ${f2(up)} | ${f0(mib / up)} | ${f2(down)} | ${f0(mib / down)} | ${f0(row.rssPeak)} | ${f0(row.cpuPercent)} |`,
    );
  }
  return lines.join('\n');
}

const pct = (x) => (x == null ? '–' : `${(x * 100).toFixed(1)}%`);
const moved = (before, after) => (before ? (after - before) / before : null);

/**
 * The instances scenario in numbers: per round, the change of each measure between that
 * round's run without and with the checks; across rounds, the median of those changes.
 */
export function instancesSummary(r) {
  const changes = r.rounds.map((x) => ({
    rps: moved(x.before.get.rps, x.after.get.rps),
    p99: moved(x.before.get.p99, x.after.get.p99),
    rateP99: moved(x.before.rate.p99, x.after.rate.p99),
  }));
  return {
    changes,
    rps: median(changes.map((c) => c.rps)),
    p99: median(changes.map((c) => c.p99)),
    rateP99: median(changes.map((c) => c.rateP99)),
    registerMs: median(r.rounds.map((x) => x.registerMs)),
    registerMsMax: Math.max(...r.rounds.map((x) => x.registerMs)),
  };
}

export function instancesTable(r) {
  const m = instancesSummary(r);
  const secs = (ms) => f2(ms / 1000);
  const lines = [
    `### ${f0(r.count)} registered instances under active health checks`,
    '',
    `${f0(r.count)} instances in ${f0(r.services)} services (not the proxied one), each checked at ` +
      `GET ${'{base_url}'}/health on one local health server; HEALTH_CHECK_INTERVAL_MS=${r.intervalMs}. ` +
      `${r.rounds.length} paired rounds: small GETs (closed loop) and the fixed rate without the ` +
      `instances; ${f0(r.count)} registrations through the admin API into sqlite ` +
      `(${r.concurrency} at a time); every instance HEALTHY, then 5 s more; the same runs under the ` +
      'checks; the instances deregistered. Changes are per round; the last row is their median.',
    '',
    '| round | registration s | rows in sqlite | until all HEALTHY s | checks/s while loaded | RSS after registration MB | small GET req/s before → with | small GET p99 ms before → with | fixed-rate p99 ms before → with | peak RSS with checks MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  r.rounds.forEach((x, i) => {
    const c = m.changes[i];
    const { before: b, after: a } = x;
    lines.push(
      `| ${i + 1} | ${secs(x.registerMs)} | ${f0(x.rows)} | ${secs(x.settleMs)} | ${f0(x.checksPerSecond)} | ` +
        `${f0(x.rssAfter)} | ${f0(b.get.rps)} → ${f0(a.get.rps)} (${pct(c.rps)}) | ` +
        `${f2(b.get.p99)} → ${f2(a.get.p99)} (${pct(c.p99)}) | ` +
        `${f2(b.rate.p99)} → ${f2(a.rate.p99)} (${pct(c.rateP99)}) | ${f0(a.get.rssPeak)} |`,
    );
  });
  lines.push(
    `| median | ${secs(m.registerMs)} | | | | | ${pct(m.rps)} | ${pct(m.p99)} | ${pct(m.rateP99)} | |`,
  );
  return lines.join('\n');
}

/** req/s of GATEWAY_WORKERS=N over GATEWAY_WORKERS=1. */
export function workersRatio(w) {
  const [one, many] = Object.values(w.summary);
  return one?.rps ? many.rps / one.rps : null;
}

/** [target, measured, goal, met] rows from whatever scenarios ran. */
export function targetRows(results) {
  const rows = [];
  const s = results.scenarios;
  for (const [key, label] of [
    ['get', 'small GET'],
    ['big', '64 KiB response'],
    ['post', '16 KiB POST'],
  ]) {
    if (!s[key]?.[GATEWAY]) continue;
    const r = ratios(s[key]);
    if (r.vsBestPeerPaired === null) continue;
    rows.push([
      `req/s vs best Node peer, ${label} (median of per-round ratios; ratio of medians)`,
      `${fx(r.vsBestPeerPaired)}; ${fx(r.vsBestPeer)}`,
      '≥ 1.30x',
      r.vsBestPeerPaired >= 1.3,
    ]);
  }
  if (s.rate?.[GATEWAY] && s.rate[DIRECT]) {
    const d = s.rate[GATEWAY].p99 - s.rate[DIRECT].p99;
    rows.push([`p99 over direct at ${results.options.rate} req/s`, `+${d.toFixed(2)} ms`, '≤ +1 ms', d <= 1]);
  }
  const loaded = ['get', 'post', 'big'].filter((k) => s[k]?.[GATEWAY]).map((k) => s[k][GATEWAY].rssPeak);
  if (loaded.length) {
    const peak = Math.max(...loaded);
    rows.push(['gateway peak RSS under load', `${f0(peak)} MB`, '< 100 MB', peak < 100]);
  }
  const streamed = s.stream?.find((row) => row.name === GATEWAY);
  if (streamed) {
    const peak = streamed.rssPeak;
    rows.push(['gateway peak RSS, 1 GiB each way', `${f0(peak)} MB`, '< 200 MB', peak < 200]);
  }
  if (s.instances) {
    const i = s.instances;
    const m = instancesSummary(i);
    rows.push([
      `small-GET p99 moved with ${f0(i.count)} instances checked (median of ${i.rounds.length} paired rounds)`,
      `${pct(m.p99)} (fixed rate: ${pct(m.rateP99)})`,
      '< 10%',
      m.p99 < 0.1 && m.rateP99 < 0.1,
    ]);
    rows.push([
      `${f0(i.count)} registrations into sqlite (median; slowest)`,
      `${f2(m.registerMs / 1000)} s; ${f2(m.registerMsMax / 1000)} s`,
      '< 5 s',
      m.registerMsMax < 5000,
    ]);
  }
  if (s.workers) {
    const r = workersRatio(s.workers);
    const where = s.workers.pinned
      ? `cores ${s.workers.core}`
      : 'unpinned, 2 cores shared with load and instance';
    rows.push([`GATEWAY_WORKERS=${s.workers.n} over 1 (${where})`, fx(r), 'scales', r !== null && r > 1.1]);
  }
  return rows;
}

export function targetsTable(results) {
  const lines = ['### Targets', '', '| target | measured | goal | met |', '|---|---:|---:|:---:|'];
  for (const [name, measured, goal, met] of targetRows(results)) {
    lines.push(`| ${name} | ${measured} | ${goal} | ${met ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}
