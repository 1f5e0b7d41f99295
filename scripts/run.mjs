// `node scripts/run.mjs NAME [args]`: checks the Node version, builds when the sources are newer
// than dist/, then runs dist/scripts/NAME.js. This is how `npm start` and the other
// script entries start from a fresh build without compiling on every start.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 18)) {
  process.stderr.write(
    `msa-gateway needs Node.js 20.18 or newer; this is ${process.version}. See README, Troubleshooting.\n`,
  );
  process.exit(1);
}

// npm runs scripts through `sh -c`, and a signal npm forwards kills that shell but not us.
// So when the process that started us goes away, act as on a terminal hang-up: the scripts
// handle SIGHUP by stopping what they started (before they load, SIGHUP just ends this one).
if (process.platform !== 'win32') {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGHUP');
  }, 500).unref();
}

const { ensureBuilt, ROOT } = await import('./ensure-build.mjs');
const name = process.argv[2];
const entry = join(ROOT, 'dist', 'scripts', `${name}.js`);
try {
  await ensureBuilt();
} catch (err) {
  process.stderr.write(`msa-gateway: ${err.message}\n`);
  process.exit(1);
}
if (!name || !existsSync(entry)) {
  process.stderr.write(`msa-gateway: no script dist/scripts/${name}.js (usage: node scripts/run.mjs NAME)\n`);
  process.exit(1);
}
process.argv.splice(2, 1);
await import(pathToFileURL(entry).href);
