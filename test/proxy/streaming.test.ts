import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
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
      const response = new Promise<string>((resolve, reject) => {
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
      });
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
});
