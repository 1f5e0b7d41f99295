import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEvent } from '../../src/admin/event-stream.js';
import type { GatewayEvent } from '../../src/events.js';
import { type AdminHarness, startAdminApp } from '../helpers/admin-app.js';
import { openEventStream } from '../helpers/event-stream.js';
import { waitFor } from '../helpers/wait-for.js';

const event = (service_name: string, instance_id = 'i-1'): GatewayEvent => ({
  type: 'deregistered',
  service_name,
  instance_id,
  timestamp: new Date().toISOString(),
});

describe('SSE format', () => {
  it('writes the type as `event:` and the whole event as one `data:` line of JSON', () => {
    const e: GatewayEvent = {
      type: 'status_changed',
      service_name: 's',
      instance_id: 'i',
      timestamp: '2024-01-01T00:00:00.000Z',
      old_status: 'UNKNOWN',
      new_status: 'HEALTHY',
      reason: 'health check\npassed',
    };
    const text = formatEvent(e);
    expect(text).toBe(`event: status_changed\ndata: ${JSON.stringify(e)}\n\n`);
    expect(text.split('\n').filter((l) => l.startsWith('data:'))).toHaveLength(1);
  });
});

describe('GET /api/discovery/events', () => {
  let h: AdminHarness;
  afterEach(() => h?.close());

  it('answers with SSE headers and streams events as they happen', async () => {
    h = await startAdminApp({}, { listen: true });
    const stream = await openEventStream(`${h.url}/api/discovery/events`, { 'x-request-id': 'sse-1' });
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.response.headers.get('cache-control')).toMatch(/no-cache/);
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.response.headers.get('x-request-id')).toBe('sse-1');
    await h.registry.register({ service_name: 'svc', base_url: 'http://127.0.0.1:9' });
    const registered = await stream.next((m) => m.event === 'registered');
    expect(registered.data).toMatchObject({
      type: 'registered',
      service_name: 'svc',
      instance_id: expect.any(String),
    });
    expect(Date.parse(String(registered.data.timestamp))).not.toBeNaN();
    stream.close();
  });

  it('sends heartbeat comments while idle', async () => {
    h = await startAdminApp({}, { listen: true, sseHeartbeatMs: 50 });
    const stream = await openEventStream(`${h.url}/api/discovery/events`);
    await waitFor(() => stream.comments.includes('ping'), 2_000, 'a heartbeat comment');
    stream.close();
  });

  it('filters by ?service_name=', async () => {
    h = await startAdminApp({}, { listen: true });
    const stream = await openEventStream(`${h.url}/api/discovery/events?service_name=b`);
    h.events.emit(event('a'));
    h.events.emit(event('b'));
    expect((await stream.next()).data.service_name).toBe('b');
    expect(stream.messages.every((m) => m.data.service_name === 'b')).toBe(true);
    stream.close();
  });

  it('unsubscribes when the client leaves', async () => {
    h = await startAdminApp({}, { listen: true });
    const before = h.events.listenerCount;
    const stream = await openEventStream(`${h.url}/api/discovery/events`);
    await waitFor(() => h.events.listenerCount === before + 1, 2_000, 'the subscription');
    stream.close();
    await waitFor(() => h.events.listenerCount === before, 2_000, 'the unsubscription');
  });

  it('disconnects a client that does not read instead of buffering without bound', async () => {
    h = await startAdminApp({}, { listen: true });
    const before = h.events.listenerCount;
    const closed = new Promise<void>((resolve) => {
      const req = request(`${h.url}/api/discovery/events`, (res) => {
        res.pause(); // never reads: the server's buffer for it fills up
        res.socket.once('close', () => resolve());
      });
      req.end();
    });
    await waitFor(() => h.events.listenerCount === before + 1, 2_000, 'the subscription');
    for (let i = 0; i < 100_000 && h.events.listenerCount > before; i++) h.events.emit(event('s', `i-${i}`));
    await waitFor(() => h.events.listenerCount === before, 5_000, 'the slow client to be cut');
    await closed;
  });

  it('ends open streams when the app closes, so shutdown does not wait for them', async () => {
    h = await startAdminApp({}, { listen: true });
    const stream = await openEventStream(`${h.url}/api/discovery/events`);
    const started = Date.now();
    await h.app.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
