// The benchmark's instance: a plain node:http server on 127.0.0.1 that every target proxies to.
// Routes: GET /small (small JSON), POST /post (body read and dropped, small JSON back),
// GET /big (64 KiB), GET /download?bytes=N (generated, with back-pressure), POST /upload (counts
// the bytes), GET /health. Prints {"port":N} on stdout once listening.
import { createServer } from 'node:http';
import { exitWithParent } from '../lib/child.mjs';

const SMALL = Buffer.from(JSON.stringify({ id: 1, name: 'bench', tags: ['a', 'b'], ok: true }));
const ACCEPTED = Buffer.from('{"ok":true}');
const BIG = Buffer.alloc(64 * 1024, 'x');
const CHUNK = Buffer.alloc(64 * 1024, 'y');
const JSON_TYPE = 'application/json';

function sendBuffer(res, status, body, type = JSON_TYPE) {
  res.writeHead(status, { 'content-type': type, 'content-length': body.length });
  res.end(body);
}

function download(req, res) {
  const q = req.url.indexOf('bytes=');
  let left = q < 0 ? 0 : Number(req.url.slice(q + 6));
  if (!Number.isSafeInteger(left) || left < 0) return sendBuffer(res, 400, Buffer.from('{"error":"bytes"}'));
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => {
    left = 0;
  });
  pump();
}

function upload(req, res) {
  let bytes = 0;
  req.on('data', (chunk) => {
    bytes += chunk.length;
  });
  req.on('end', () => sendBuffer(res, 200, Buffer.from(JSON.stringify({ bytes }))));
}

const server = createServer((req, res) => {
  const q = req.url.indexOf('?');
  const url = q < 0 ? req.url : req.url.slice(0, q);
  if (url === '/small') return sendBuffer(res, 200, SMALL);
  if (url === '/big') return sendBuffer(res, 200, BIG, 'application/octet-stream');
  if (url === '/post') {
    req.on('end', () => sendBuffer(res, 200, ACCEPTED));
    req.resume();
    return;
  }
  if (url === '/health') return sendBuffer(res, 200, ACCEPTED);
  if (url === '/download') return download(req, res);
  if (url === '/upload') return upload(req, res);
  sendBuffer(res, 404, Buffer.from('{"error":"not found"}'));
});
// Longer than any client's idle time, so pools are never cut under them.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
exitWithParent(() => server.close());
