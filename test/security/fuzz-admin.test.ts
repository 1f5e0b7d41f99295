/**
 * Property-based fuzzing of the registration endpoint on a real gateway: random JSON bodies and
 * hostile field values must never produce a 5xx or take the gateway down, and whatever was stored
 * must pass validation again. UPSTREAM_ALLOWED_HOSTS limits accepted registrations to loopback,
 * so the health checks that accepted ones trigger never leave the machine (checked first).
 * The seed is fixed for a reproducible CI run; FC_SEED=<n> explores another part of the space.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config/index.js';
import { validateRegistration } from '../../src/registry/index.js';
import { addressPolicyFor } from '../../src/security/index.js';
import { call } from '../helpers/http.js';
import { type EnvGateway, startFromEnv } from './helpers.js';

const SEED = Number(process.env.FC_SEED ?? 8_675_309);
const ALLOWED = '127.0.0.1,localhost';
let gw: EnvGateway;

beforeAll(async () => {
  // Precondition: the allow list refuses every non-loopback host before any registration is sent.
  const check = addressPolicyFor(testConfig({ upstreamAllowedHosts: ALLOWED.split(',') }))!;
  for (const url of [
    'http://example.com',
    'http://10.0.0.1',
    'http://[::ffff:8.8.8.8]',
    'http://2852039166',
  ]) {
    expect(check(new URL(url), 'base_url'), url).not.toBeNull();
  }
  gw = await startFromEnv({ UPSTREAM_ALLOWED_HOSTS: ALLOWED, HEALTH_CHECK_INTERVAL_MS: '60000' });
});
afterAll(async () => {
  await gw?.close();
});

const hostile = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\r\nX-Injected: 1',
  '../../etc/passwd',
  '%2e%2e/%2f',
  '__proto__',
  'constructor',
  '😀'.repeat(40),
  'a'.repeat(5_000),
  'http://127.0.0.1:1/\u0000',
  'http://user:pass@127.0.0.1:1',
  'http://127.0.0.1:1/#frag',
  'http://127.0.0.1:1/?q=1',
  'javascript:alert(1)',
  'http://[::1',
  'http://127.0.0.1:99999',
);

const loopbackUrl = fc
  .tuple(
    fc.constantFrom('127.0.0.1', 'localhost', '0x7f000001', '[::1]', 'example.com', '169.254.169.254'),
    fc.integer({ min: 1, max: 65_535 }),
    fc.webPath(),
  )
  .map(([host, port, path]) => `http://${host}:${port}${path}`);

const text = fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,70}$/), hostile);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, 1000, 1001, 5, 86_400, 2 ** 53));
const anyValue = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.jsonValue());

const registration = fc.record(
  {
    service_name: fc.oneof(text, anyValue),
    base_url: fc.oneof(loopbackUrl, hostile, anyValue),
    health_check_url: fc.oneof(loopbackUrl, hostile, anyValue),
    metadata: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), anyValue),
    instance_id: fc.oneof(text, anyValue),
    weight: fc.oneof(number, anyValue),
    ttl_seconds: fc.oneof(number, anyValue),
    extra_field: anyValue,
  },
  { requiredKeys: [] },
);

/** Mostly valid registrations with one field possibly hostile: they reach the deeper rules and the store. */
const plausible = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
    fc.constantFrom('127.0.0.1', 'localhost', '0x7f000001', '[::ffff:127.0.0.1]'),
    fc.integer({ min: 1, max: 65_535 }),
    fc.webPath(),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
    fc.option(
      fc.constantFrom<[string, unknown]>(
        ['weight', 0],
        ['ttl_seconds', 4],
        ['instance_id', '../x'],
        ['metadata', []],
      ),
    ),
  )
  .map(([service_name, host, port, path, metadata, weight, spoiler]) => ({
    service_name,
    base_url: `http://${host}:${port}${path}`.replace(/[?#].*$/, ''),
    metadata,
    ...(weight === undefined ? {} : { weight }),
    ...(spoiler ? { [spoiler[0]]: spoiler[1] } : {}),
  }));

const rawBody = fc.oneof(
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '{"__proto__":{"polluted":true},"service_name":"p","base_url":"http://127.0.0.1:1"}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"service_name":"a","service_name":"b","base_url":"http://127.0.0.1:1"}',
    '[',
    '{"a":'.repeat(5_000),
    'null',
  ),
);

async function post(body: string): Promise<number> {
  const res = await call('POST', `${gw.url}/api/discovery/services`, body, {
    'content-type': 'application/json',
  });
  // Every refusal is problem JSON; nothing is a 5xx.
  if (res.status >= 400) expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return res.status;
}

describe('fuzzing POST /api/discovery/services', () => {
  it('never answers 5xx to structured registrations with hostile field values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(registration, plausible), async (body) => {
        const status = await post(JSON.stringify(body));
        expect([200, 201, 400]).toContain(status);
      }),
      { numRuns: 200, seed: SEED },
    );
  });

  it('never answers 5xx to arbitrary bodies, malformed JSON and prototype poisoning included', async () => {
    await fc.assert(
      fc.asyncProperty(rawBody, async (body) => {
        const status = await post(body);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 150, seed: SEED },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('is still up, and every stored record passes validation again unchanged', async () => {
    expect((await call('GET', `${gw.url}/health`)).status).toBe(200);
    const checkAddress = addressPolicyFor(gw.gateway.config);
    const records = gw.gateway.registry.all();
    expect(records.length).toBeGreaterThan(10); // the fuzzing did reach the store
    for (const r of records) {
      const again = validateRegistration(
        {
          service_name: r.service_name,
          base_url: r.base_url,
          health_check_url: r.health_check_url,
          metadata: { ...r.metadata },
          instance_id: r.instance_id,
          weight: r.weight,
        },
        checkAddress ? { checkAddress } : {},
      );
      expect(again.ok, JSON.stringify(r)).toBe(true);
      if (again.ok) {
        expect(again.value.base_url).toBe(r.base_url);
        expect(again.value.health_check_url).toBe(r.health_check_url);
      }
      expect(['127.0.0.1', 'localhost', '[::ffff:7f00:1]']).toContain(new URL(r.base_url).hostname);
    }
  });
});
