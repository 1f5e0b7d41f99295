/**
 * SSRF through the admin API: a registration makes the health checker GET the URL at once, so a
 * test that registers a forbidden address must make sure nothing can connect there even if the
 * check were broken. Two layers: the address check is first called directly for every spelling
 * (a broken check fails here, before any registration); then the API test runs inside a
 * loopback-only network namespace (`ip netns`), where 169.254.169.254 is unreachable. Without
 * `ip netns` (not root), a fallback proves the check is wired with a loopback address first and
 * registers only through a gateway whose allow list refuses the address on a second ground too.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config/index.js';
import { addressPolicyFor } from '../../src/security/index.js';
import { call } from '../helpers/http.js';
import { FORBIDDEN_SPELLINGS } from './fixtures.js';
import { bundleEntry, startFromEnv } from './helpers.js';

/** Spellings a URL can carry (a zone id is not a valid URL host: refused before the check). */
const URL_HOSTS = FORBIDDEN_SPELLINGS.filter((h) => URL.canParse(`http://${h}/`));
const NAMESPACE = `gwtest-${process.pid}`;
let bundle = '';

function netnsWorks(): boolean {
  // SECURITY_TEST_NO_NETNS=1 runs the fallback on a machine that could do the namespace.
  if (process.env.SECURITY_TEST_NO_NETNS === '1') return false;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'add', NAMESPACE], { stdio: 'ignore' });
  } catch {
    return false;
  }
  try {
    execFileSync('ip', ['netns', 'exec', NAMESPACE, 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
    return true;
  } catch {
    execFileSync('ip', ['netns', 'del', NAMESPACE], { stdio: 'ignore' });
    return false;
  }
}

/** Precondition for every API test below: a broken check fails here, before any network attempt. */
function assertCheckRefusesEverySpelling(): void {
  const check = addressPolicyFor(testConfig({ environment: 'production' }));
  if (check === undefined) throw new Error('precondition: production has no address check');
  for (const host of URL_HOSTS) {
    const url = new URL(`http://${host}/`);
    if (check(url, 'base_url') === null) throw new Error(`precondition: ${host} is not refused`);
  }
}

interface DriverResult {
  isolated?: boolean;
  error?: string;
  isolation?: string;
  attempts?: { field: string; url: string; status: number; fields: string[]; messages: string[] }[];
  stored?: string[];
}

function runDriver(env: Record<string, string>): Promise<DriverResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', NAMESPACE, process.execPath, bundle], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('exit', () => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as DriverResult);
      } catch {
        reject(new Error(`driver printed no result: ${out} ${err}`));
      }
    });
  });
}

const hasNetns = netnsWorks();

describe.runIf(hasNetns)('SSRF registrations in production, inside a loopback-only network namespace', () => {
  beforeAll(async () => {
    assertCheckRefusesEverySpelling();
    bundle = await bundleEntry('test/security/fixtures/ssrf-driver.ts', 'ssrf-driver');
  }, 60_000);

  afterAll(() => {
    if (bundle) rmSync(bundle, { force: true });
    execFileSync('ip', ['netns', 'del', NAMESPACE], { stdio: 'ignore' });
  });

  it('refuses every spelling with 400 naming the field, and stores nothing', async () => {
    const result = await runDriver({ SSRF_HOSTS: JSON.stringify(URL_HOSTS) });
    expect(result.error).toBeUndefined();
    expect(result.isolated).toBe(true);
    expect(result.attempts).toHaveLength(URL_HOSTS.length * 2);
    for (const attempt of result.attempts!) {
      expect(attempt, attempt.url).toMatchObject({ status: 400, fields: [attempt.field] });
      expect(attempt.messages[0]).toMatch(/link-local or cloud-metadata/);
    }
    expect(result.stored).toEqual([]);
  }, 60_000);

  it('accepts the address when UPSTREAM_ALLOWED_HOSTS names it', async () => {
    const result = await runDriver({
      SSRF_HOSTS: JSON.stringify(['169.254.169.254', '0xa9fea9fe']),
      SSRF_ALLOWED: '169.254.169.254,127.0.0.1',
    });
    expect(result.isolated).toBe(true);
    // A new instance each for the two base_urls, then the same two again (0xa9fea9fe normalizes).
    expect(result.attempts!.map((a) => a.status)).toEqual([201, 201, 200, 200]);
    expect(result.stored!.sort()).toEqual(['http://127.0.0.1:9', 'http://169.254.169.254']);
  }, 60_000);
});

describe.skipIf(hasNetns)('SSRF registrations in production (fallback without a network namespace)', () => {
  it('refuses every spelling with 400 once the check is proven wired', async () => {
    assertCheckRefusesEverySpelling();
    const token = 'fallback-token-0123456789';
    const gw = await startFromEnv({
      ENVIRONMENT: 'production',
      GATEWAY_ADMIN_TOKEN: token,
      UPSTREAM_ALLOWED_HOSTS: '127.0.0.1',
    });
    try {
      const auth = { authorization: `Bearer ${token}` };
      const url = `${gw.url}/api/discovery/services`;
      // Wired: a loopback address outside the allow list is refused (no packet leaves the host).
      const wired = await call('POST', url, { service_name: 'x', base_url: 'http://127.0.0.2:9' }, auth);
      expect(wired.status).toBe(400);
      for (const host of URL_HOSTS) {
        const res = await call('POST', url, { service_name: 'x', base_url: `http://${host}` }, auth);
        expect(res.status, host).toBe(400);
        expect(JSON.stringify(res.body)).toMatch(/link-local or cloud-metadata/);
      }
      expect(gw.gateway.registry.all()).toEqual([]);
    } finally {
      await gw.close();
    }
  });
});
