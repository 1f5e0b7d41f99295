// Sums a V8 .cpuprofile (from `node --cpu-prof`) into self time per function, per source file
// and per package, plus inclusive time of the functions that matter on the hot path. Frames in
// dist/ are mapped back to src/*.ts lines through the build's source maps.
// Usage: node bench/analyze-profile.mjs file.cpuprofile [--top 40] [--window FROM_US,TO_US]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const maps = new Map();

function sourceMapFor(path) {
  if (!maps.has(path)) {
    const file = `${path}.map`;
    maps.set(path, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : null);
  }
  return maps.get(path);
}

/**
 * `where` of a frame: src/x.ts:LINE for the gateway's code (through the source map of the build
 * it came from, wherever that checkout is), node_modules/… for dependencies, node:… for Node.
 */
function locate(frame) {
  const { url, lineNumber, columnNumber } = frame;
  if (!url) return { file: '(native)', where: '(native)' };
  if (url.startsWith('node:') || url.startsWith('wasm:'))
    return { file: url, where: `${url}:${lineNumber + 1}` };
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  const dist = path.lastIndexOf('/dist/');
  let rel = nm >= 0 ? path.slice(nm + 1) : relative(ROOT, path);
  if (nm < 0 && dist >= 0) {
    const checkout = path.slice(0, dist);
    rel = relative(checkout, path);
    const entry = sourceMapFor(path)?.findEntry(lineNumber, columnNumber);
    if (entry?.originalSource) {
      const source = entry.originalSource.replace(/^file:\/\//, '');
      const original = relative(checkout, resolve(path, '..', source));
      return { file: original, where: `${original}:${entry.originalLine + 1}` };
    }
  }
  return { file: rel, where: `${rel}:${lineNumber + 1}` };
}

/** Which bucket a file belongs to: our code, a dependency (by package), Node itself, or V8. */
export function packageOf(file) {
  if (file.startsWith('src/')) return 'msa-gateway (src/)';
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 13).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (file.startsWith('node:')) return 'node (core JS)';
  return file === '(native)' ? 'V8/native (syscalls, GC, program)' : file;
}

/**
 * Self and inclusive times. `window` ({ from, to } in µs of CLOCK_MONOTONIC, the clock V8's
 * sample timestamps use; `process.hrtime` in any process on the machine) keeps only the samples
 * taken under load, leaving out start-up, warm-up and shutdown.
 */
export function analyze(profile, window = null) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.from || at > window.to)) continue;
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + delta);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map();
  const files = new Map();
  const packages = new Map();
  const keyOf = new Map();
  for (const node of profile.nodes) {
    const { file, where } = locate(node.callFrame);
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name}  ${where}`;
    keyOf.set(node.id, key);
    const t = self.get(node.id) ?? 0;
    if (t === 0) continue;
    fns.set(key, (fns.get(key) ?? 0) + t);
    if (name === '(idle)') continue; // waiting, not work: left out of files and packages
    files.set(file, (files.get(file) ?? 0) + t);
    const pkg = packageOf(file);
    packages.set(pkg, (packages.get(pkg) ?? 0) + t);
  }
  // Inclusive time: a function counts once per stack (recursion is not double counted).
  const inclusive = new Map();
  const subtree = new Map();
  const totalOf = (id) => {
    if (subtree.has(id)) return subtree.get(id);
    const node = byId.get(id);
    let t = self.get(id) ?? 0;
    for (const c of node.children ?? []) t += totalOf(c);
    subtree.set(id, t);
    return t;
  };
  const root = profile.nodes[0].id;
  const stack = [[root, new Set()]];
  // Bounded by the node count: each node is visited once.
  while (stack.length > 0) {
    const [id, active] = stack.pop();
    const key = keyOf.get(id);
    if (!active.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + totalOf(id));
    const next = new Set(active).add(key);
    for (const c of byId.get(id).children ?? []) stack.push([c, next]);
  }
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    total,
    fns: sorted(fns),
    files: sorted(files),
    packages: sorted(packages),
    inclusive: sorted(inclusive),
  };
}

const pct = (t, total) => `${((100 * t) / total).toFixed(1)}%`;

export function report(result, top = 40) {
  const { fns, files, packages, inclusive } = result;
  const idle = fns.find(([k]) => k.startsWith('(idle)'))?.[1] ?? 0;
  // Percentages are of the busy time: what the gateway spent its CPU on.
  const total = result.total - idle;
  const busy = `${((total / result.total) * 100).toFixed(0)}% busy`;
  const lines = [
    `Sampled ${(result.total / 1e6).toFixed(2)} s (${busy}); % are of the busy (non-idle) time.`,
    '',
    '| package | self | % |',
    '|---|---:|---:|',
  ];
  for (const [k, t] of packages.slice(0, 20))
    lines.push(`| ${k} | ${(t / 1000).toFixed(0)} ms | ${pct(t, total)} |`);
  lines.push(
    '',
    `Top ${top} functions by self time:`,
    '',
    '| function  location | self | % |',
    '|---|---:|---:|',
  );
  for (const [k, t] of fns.slice(0, top))
    lines.push(`| ${k} | ${(t / 1000).toFixed(0)} ms | ${pct(t, total)} |`);
  lines.push('', 'Our code (src/) by self time:', '', '| function  location | self | % |', '|---|---:|---:|');
  for (const [k, t] of fns.filter(([k]) => k.includes(' src/')).slice(0, 25)) {
    lines.push(`| ${k} | ${(t / 1000).toFixed(0)} ms | ${pct(t, total)} |`);
  }
  lines.push('', 'Files by self time:', '', '| file | self | % |', '|---|---:|---:|');
  for (const [k, t] of files.slice(0, 25))
    lines.push(`| ${k} | ${(t / 1000).toFixed(0)} ms | ${pct(t, total)} |`);
  lines.push(
    '',
    'Our code (src/) by inclusive time:',
    '',
    '| function  location | incl. | % |',
    '|---|---:|---:|',
  );
  for (const [k, t] of inclusive.filter(([k]) => k.includes(' src/')).slice(0, 25)) {
    lines.push(`| ${k} | ${(t / 1000).toFixed(0)} ms | ${pct(t, total)} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/analyze-profile.mjs file.cpuprofile [--top N]\n');
    process.exit(1);
  }
  const i = process.argv.indexOf('--top');
  const top = i > 0 ? Number(process.argv[i + 1]) : 40;
  const w = process.argv.indexOf('--window');
  const [from, to] = w > 0 ? process.argv[w + 1].split(',').map(Number) : [];
  const window = from !== undefined ? { from, to } : null;
  process.stdout.write(`${report(analyze(JSON.parse(readFileSync(file, 'utf8')), window), top)}\n`);
}
