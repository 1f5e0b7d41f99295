import { describe, expect, it } from 'vitest';
import {
  describeEvent,
  formatMs,
  formatRate,
  leaseText,
  problemLines,
  relativeTime,
} from '../../dashboard/src/format.js';
import { createStore, parseEvent, TIMELINE_CAP } from '../../dashboard/src/store.js';
import type { GatewayEvent } from '../../dashboard/src/types.js';

const NOW = Date.parse('2025-01-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('dashboard text', () => {
  it.each([
    [null, 'never'],
    [ago(300), 'just now'],
    [ago(12_000), '12 s ago'],
    [ago(3 * 60_000 + 5000), '3 min ago'],
    [ago(2 * 3_600_000), '2 h ago'],
    [ago(3 * 86_400_000), '3 d ago'],
  ])('last check %s reads "%s"', (iso, text) => {
    expect(relativeTime(iso, NOW)).toBe(text);
  });

  it.each([
    [null, 'no lease'],
    [ago(-12_000), 'expires in 12 s'],
    [ago(-90_000), 'expires in 1 min'],
    [ago(0), 'expired'],
    [ago(5000), 'expired'],
  ])('lease ending %s reads "%s"', (iso, text) => {
    expect(leaseText(iso, NOW)).toBe(text);
  });

  it.each([
    [0, '0 req/s'],
    [0.25, '0.25 req/s'],
    [12.34, '12.3 req/s'],
    [1234.5, '1235 req/s'],
  ])('rate %d reads "%s"', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });

  it.each([
    [null, 'n/a'],
    [2.345, '2.3 ms'],
    [87.6, '88 ms'],
    [1500, '1.50 s'],
  ])('p95 %s reads "%s"', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });

  it('describes a status change with its reason', () => {
    const event: GatewayEvent = {
      type: 'status_changed',
      service_name: 's',
      instance_id: 'i',
      timestamp: ago(0),
      old_status: 'HEALTHY',
      new_status: 'UNHEALTHY',
      reason: 'health check returned 500',
    };
    expect(describeEvent(event)).toBe('HEALTHY → UNHEALTHY: health check returned 500');
  });

  it.each([
    [
      'ejected',
      'passive: 3 consecutive failures',
      'gateway gw-b ejected it: passive: 3 consecutive failures',
    ],
    ['ejection_ended', 'health check passed', 'gateway gw-b ended its ejection: health check passed'],
  ] as const)('describes a passive change (%s) seen by another gateway', (change, reason, text) => {
    const where = { service_name: 's', instance_id: 'i', timestamp: ago(0) };
    expect(describeEvent({ ...where, type: 'peer_passive', gateway_id: 'gw-b', change, reason })).toBe(text);
  });

  it('turns a problem into a summary and one line per field', () => {
    const problem = {
      title: 'Validation failed',
      detail: 'The request is invalid',
      errors: [{ field: 'base_url', message: 'must be an absolute http or https URL' }],
    };
    expect(problemLines(400, problem)).toEqual({
      summary: 'Validation failed (400): The request is invalid',
      details: ['base_url: must be an absolute http or https URL'],
    });
    expect(problemLines(502, null)).toEqual({ summary: 'HTTP 502 (502)', details: [] });
  });
});

describe('dashboard timeline', () => {
  const event = (i: number): GatewayEvent => ({
    type: 'registered',
    service_name: 's',
    instance_id: `i${i}`,
    timestamp: new Date(NOW + i * 1000).toISOString(),
  });

  it('keeps events newest first, once each, at most TIMELINE_CAP', () => {
    const store = createStore();
    for (let i = 0; i < TIMELINE_CAP + 10; i++) store.addEvent(event(i));
    expect(store.addEvent(event(TIMELINE_CAP + 9))).toBe(false);
    expect(store.timeline).toHaveLength(TIMELINE_CAP);
    expect(store.timeline[0]).toEqual(event(TIMELINE_CAP + 9));
    expect(store.timeline.at(-1)).toEqual(event(10));
  });

  it('places a late-arriving older event by its time', () => {
    const store = createStore();
    store.addEvent(event(3));
    store.addEvent(event(1));
    store.addEvent(event(2));
    expect(store.timeline.map((e) => e.instance_id)).toEqual(['i3', 'i2', 'i1']);
  });

  it.each(['not json', '"text"', 'null', '{"type":"registered"}'])('ignores SSE data %s', (data) => {
    expect(parseEvent(data)).toBeNull();
  });
});
