// A cheap health endpoint for the 10,000 registered instances: 200 to any request, and
// GET /__stats answers how many requests (health checks) it has served.
import { createServer } from 'node:http';
import { exitWithParent } from '../lib/child.mjs';

const OK = Buffer.from('{"status":"healthy"}');
let served = 0;
const server = createServer((req, res) => {
  if (req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ served }));
    return;
  }
  served++;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length });
  res.end(OK);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
exitWithParent(() => server.close());
