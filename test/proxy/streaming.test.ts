import { createHash, randomBytes } from 'node:crypto';
import { type ClientRequest, request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SMALL_BODY_BYTES } from '../../src/proxy/body.js';
import { waitFor } from '../helpers/wait-for.js';
import { closeAll, startGateway, startInstance } from './harness.js';

afterEach(closeAll);

const MIB = 1024 * 1024;
const TOTAL_MIB = 100;

/** 100 MiB generated chunk by chunk (never held whole), hashing what it yields. */
function generated(hash: ReturnType<typeof createHash>): Readable {
  const base = randomBytes(MIB);
  let i = 0;
  return new Readable({
    read() {
      if (i === TOTAL_MIB) return void this.push(null);
      const chunk = Buffer.from(base);
      chunk.writeUInt32BE(i++, 0);
      hash.update(chunk);
      this.push(chunk);
    },
  });
}

/** The response body of `req` as text, once it ends. */
function answerText(req: ClientRequest): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
  });
}

/** Samples RSS while `work` runs; returns the peak growth over the starting RSS in MiB. */
async function peakRssGrowth(work: () => Promise<void>): Promise<number> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return (peak - start) / MIB;
}

describe('streaming with back-pressure', () => {
  it('passes a 100 MiB upload intact without buffering it', async () => {
    let seen = '';
    const instance = await startInstance((req, res) => {
      const hash = createHash('sha256');
      req.on('data', (c: Buffer) => hash.update(c));
      req.on('end', () => {
        seen = hash.digest('hex');
        res.end(seen);
      });
    });
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const sent = createHash('sha256');
    let answer = '';
    const growth = await peakRssGrowth(async () => {
      const req = request(`${gw.url}/proxy/svc/upload`, {
        method: 'POST',
        headers: { 'content-length': String(TOTAL_MIB * MIB) },
      });
      const response = answerText(req);
      await pipeline(generated(sent), req);
      answer = await response;
    });
    const expected = sent.digest('hex');
    expect(seen).toBe(expected);
    expect(answer).toBe(expected);
    expect(growth).toBeLessThan(150);
  });

  it('passes a 100 MiB download intact without buffering it', async () => {
    let served = '';
    const instance = await startInstance((_req, res) => {
      const hash = createHash('sha256');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const source = generated(hash);
      source.on('end', () => {
        served = hash.digest('hex');
      });
      source.pipe(res);
    });
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const received = createHash('sha256');
    let bytes = 0;
    const growth = await peakRssGrowth(async () => {
      const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        request(`${gw.url}/proxy/svc/download`, resolve).on('error', reject).end();
      });
      for await (const chunk of res) {
        received.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
    });
    expect(bytes).toBe(TOTAL_MIB * MIB);
    expect(received.digest('hex')).toBe(served);
    expect(growth).toBeLessThan(150);
  });

  it('cancels the instance request when the client goes away mid-download', async () => {
    let upstreamClosed = false;
    const instance = await startInstance((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024)), 5);
      res.on('close', () => {
        clearInterval(timer);
        upstreamClosed = true;
      });
    });
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    await new Promise<void>((resolve, reject) => {
      const req = request(`${gw.url}/proxy/svc/endless`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.on('close', resolve);
      req.end();
      setTimeout(() => reject(new Error('no data')), 5_000).unref();
    });
    const deadline = Date.now() + 5_000;
    while (!upstreamClosed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(upstreamClosed).toBe(true);
  });

  it('sends a small body whole, with its Content-Length, even when the client sends it in pieces', async () => {
    const seen: { length?: string; encoding?: string; body: Buffer }[] = [];
    const instance = await startInstance((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          length: req.headers['content-length'],
          encoding: req.headers['transfer-encoding'],
          body: Buffer.concat(chunks),
        });
        res.end('ok');
      });
    });
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const body = randomBytes(SMALL_BODY_BYTES);
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request(`${gw.url}/proxy/svc/small`, {
        method: 'POST',
        headers: { 'content-length': String(body.length) },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      // Three writes, each on its own turn of the loop, so the gateway reads the body in pieces.
      req.write(body.subarray(0, 1000));
      setImmediate(() => {
        req.write(body.subarray(1000, 20_000));
        setImmediate(() => req.end(body.subarray(20_000)));
      });
    });
    expect(answer).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.length).toBe(String(body.length));
    expect(seen[0]!.encoding).toBeUndefined();
    expect(seen[0]!.body.equals(body)).toBe(true);
  });

  it('streams a body over the small-body size to the instance before the client has sent it all', async () => {
    let received = 0;
    const instance = await startInstance((req, res) => {
      req.on('data', (c: Buffer) => {
        received += c.length;
      });
      req.on('end', () => res.end(String(received)));
    });
    const gw = await startGateway();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const half = Buffer.alloc(SMALL_BODY_BYTES, 1);
    const req = request(`${gw.url}/proxy/svc/large`, {
      method: 'POST',
      headers: { 'content-length': String(2 * half.length) },
    });
    const answer = answerText(req);
    req.write(half);
    // The first half reaches the instance while the second one is not even written.
    await waitFor(() => received === half.length, 5_000, 'the first half at the instance');
    req.end(half);
    expect(await answer).toBe(String(2 * half.length));
  });
});
