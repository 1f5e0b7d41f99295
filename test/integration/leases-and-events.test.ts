import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventStreamClient, openEventStream, type SseMessage } from '../helpers/event-stream.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { call } from '../helpers/http.js';
import { waitFor } from '../helpers/wait-for.js';

type Service = { instances: { instance_id: string; lease_expires_at: string | null }[]; instance_id: string };

/**
 * Leases (SPEC section 4) and the event stream: what a watcher of /api/discovery/events sees
 * while instances register, change status, are removed, and let their lease run out.
 * Real time: the shortest lease is 5 s, so this file takes a few seconds.
 */
describe('leases and the event stream', () => {
  let gw: StartedGateway;
  let instance: HealthServer;
  let stream: EventStreamClient;
  const api = (path: string) => `${gw.url}/api/discovery${path}`;
  const of = (event: string, service: string) => (m: SseMessage) =>
    m.event === event && m.data.service_name === service;

  beforeAll(async () => {
    // Generous check timeout: a loaded CI machine must not turn the first check into a failure.
    gw = await startGateway({ healthCheckIntervalMs: 2_000, healthCheckTimeoutMs: 1_000 });
    instance = await startHealthServer();
    stream = await openEventStream(api('/events'));
  });
  afterAll(async () => {
    stream.close();
    await gw.close();
    await instance.close();
  });

  it('streams registered and status_changed for a new instance', async () => {
    const res = await call<Service>('POST', api('/services'), {
      service_name: 'watched',
      base_url: instance.url,
    });
    const registered = await stream.next(of('registered', 'watched'));
    expect(registered.data).toMatchObject({ type: 'registered', instance_id: res.body.instance_id });
    expect(new Date(String(registered.data.timestamp)).toISOString()).toBe(registered.data.timestamp);
    const changed = await stream.next(of('status_changed', 'watched'));
    expect(changed.data).toMatchObject({
      instance_id: res.body.instance_id,
      old_status: 'UNKNOWN',
      new_status: 'HEALTHY',
      reason: 'health check passed',
    });
  });

  it('streams one deregistered per instance when a service is deleted', async () => {
    const second = await startHealthServer();
    try {
      await call('POST', api('/services'), { service_name: 'watched', base_url: second.url });
      const ids = (await call<Service>('GET', api('/services/watched'))).body.instances.map(
        (i) => i.instance_id,
      );
      expect((await call('DELETE', api('/services/watched'))).status).toBe(200);
      const gone = [
        await stream.next(of('deregistered', 'watched')),
        await stream.next(of('deregistered', 'watched')),
      ];
      expect(gone.map((m) => m.data.instance_id).sort()).toEqual([...ids].sort());
    } finally {
      await second.close();
    }
  });

  // Both leases run side by side, so the file waits for one 5 s lease, not two.
  it('an unrenewed lease expires (removed, `expired` streamed); a renewed one lives on', async () => {
    const register = (service_name: string) =>
      call<Service>('POST', api('/services'), { service_name, base_url: instance.url, ttl_seconds: 5 });
    const [leased, kept] = await Promise.all([register('leased'), register('kept')]);
    expect([leased.status, kept.status]).toEqual([201, 201]);
    const keptId = kept.body.instance_id;
    // Beats in flight are awaited before the gateway closes, so none can fail unobserved.
    const beats: Promise<unknown>[] = [];
    const beat = setInterval(() => {
      beats.push(call('PUT', api(`/services/kept/instances/${keptId}/heartbeat`)));
    }, 1_000);
    try {
      const expiresAt = Date.parse(leased.body.instances[0]!.lease_expires_at!);
      expect(expiresAt - Date.now()).toBeGreaterThan(4_000);
      const expired = await stream.next(of('expired', 'leased'), 8_000);
      expect(expired.data.instance_id).toBe(leased.body.instance_id);
      // Removed within 1 s of lease_expires_at, with no grace period.
      const removedAt = Date.parse(String(expired.data.timestamp));
      expect(removedAt).toBeGreaterThanOrEqual(expiresAt);
      expect(removedAt - expiresAt).toBeLessThan(1_000);
      expect((await call('GET', api('/services/leased'))).status).toBe(404);
      const late = await call('PUT', api(`/services/leased/instances/${leased.body.instance_id}/heartbeat`));
      expect(late.status).toBe(404); // it must register again

      const firstExpiry = Date.parse(kept.body.instances[0]!.lease_expires_at!);
      await waitFor(() => Date.now() > firstExpiry + 1_000, 10_000, 'the first expiry of the renewed lease');
      const view = await call<Service>('GET', api('/services/kept'));
      expect(view.status).toBe(200);
      expect(Date.parse(view.body.instances[0]!.lease_expires_at!)).toBeGreaterThan(firstExpiry);
      expect(stream.messages.some(of('expired', 'kept'))).toBe(false);
    } finally {
      clearInterval(beat);
      await Promise.allSettled(beats);
    }
    for (const result of await Promise.allSettled(beats)) expect(result.status).toBe('fulfilled');
  });
});
