import { describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config/index.js';
import { validateRegistration } from '../../src/registry/index.js';
import {
  addressPolicyFor,
  checkUpstreamHost,
  compileAllowList,
  isForbiddenHost,
  parseHost,
} from '../../src/security/index.js';
import { FORBIDDEN_SPELLINGS } from './fixtures.js';

const ALLOWED_SPELLINGS = [
  '127.0.0.1',
  'localhost',
  '10.0.0.5',
  '[::1]',
  '[fec0::1]',
  '169.253.255.255',
  '169.255.0.1',
  'api.example.com',
  '169.254.169.254.nip.io',
  '[::ffff:10.0.0.1]',
];

const production = compileAllowList([]);

describe('the address check, called directly, for every spelling', () => {
  it.each(FORBIDDEN_SPELLINGS)('refuses %s in production', (host) => {
    expect(isForbiddenHost(host)).toBe(true);
    expect(checkUpstreamHost(host, true, production)).toMatch(/link-local or cloud-metadata/);
  });

  it.each(ALLOWED_SPELLINGS)('lets %s through in production', (host) => {
    expect(isForbiddenHost(host)).toBe(false);
    expect(checkUpstreamHost(host, true, production)).toBeNull();
  });

  it('refuses nothing in development without UPSTREAM_ALLOWED_HOSTS (and costs nothing)', () => {
    expect(addressPolicyFor(testConfig())).toBeUndefined();
    for (const host of FORBIDDEN_SPELLINGS) expect(checkUpstreamHost(host, false, production)).toBeNull();
  });

  it('reads IPv4 the way inet_aton does', () => {
    expect(parseHost('2852039166')).toEqual({ v: 4, value: 0xa9fea9fe });
    expect(parseHost('0251.0376.0251.0376')).toEqual({ v: 4, value: 0xa9fea9fe });
    expect(parseHost('169.254.43518')).toEqual({ v: 4, value: 0xa9fea9fe });
    expect(parseHost('1.2.3.4.5')).toBeNull();
    expect(parseHost('256.1.1.1')).toBeNull();
    expect(parseHost('08.1.1.1')).toBeNull();
    expect(parseHost('example.com')).toBeNull();
  });
});

describe('WHATWG URL parsing already normalizes IPv4 spellings (the check does not rely on it)', () => {
  it.each([
    ['http://2852039166/', '169.254.169.254'],
    ['http://0xa9fea9fe/', '169.254.169.254'],
    ['http://0251.0376.0251.0376/', '169.254.169.254'],
    ['http://169.254.43518/', '169.254.169.254'],
    ['http://169.254.169.254./', '169.254.169.254'],
    ['http://[::ffff:169.254.169.254]/', '[::ffff:a9fe:a9fe]'],
    ['http://[FE80::1]/', '[fe80::1]'],
  ])('%s → %s', (url, hostname) => {
    expect(new URL(url).hostname).toBe(hostname);
    expect(isForbiddenHost(new URL(url).hostname)).toBe(true);
  });

  it('refuses a zone id as a URL at all', () => {
    expect(() => new URL('http://[fe80::1%25eth0]/')).toThrow();
  });
});

describe('UPSTREAM_ALLOWED_HOSTS', () => {
  it('exempts a forbidden address only when an entry names it (not *, not a suffix)', () => {
    const named = compileAllowList(['169.254.169.254']);
    expect(checkUpstreamHost('0xa9fea9fe', true, named)).toBeNull();
    expect(checkUpstreamHost('[::ffff:a9fe:a9fe]', true, named)).toBeNull();
    expect(checkUpstreamHost('169.254.0.1', true, named)).toMatch(/link-local/);
    expect(checkUpstreamHost('169.254.169.254', true, compileAllowList(['*']))).toMatch(/link-local/);
    expect(checkUpstreamHost('169.254.169.254', true, compileAllowList(['*.254']))).toMatch(/link-local/);
    expect(checkUpstreamHost('metadata.google.internal', true, compileAllowList(['*.internal']))).toBeNull();
  });

  it('restricts every registration to the listed hosts, in any environment', () => {
    const list = compileAllowList(['*.svc.cluster.local', '10.0.0.5', 'localhost']);
    for (const prod of [false, true]) {
      expect(checkUpstreamHost('users.svc.cluster.local', prod, list)).toBeNull();
      expect(checkUpstreamHost('svc.cluster.local', prod, list)).toMatch(/UPSTREAM_ALLOWED_HOSTS allows/);
      expect(checkUpstreamHost('svc.cluster.local.evil.test', prod, list)).toMatch(/allows/);
      expect(checkUpstreamHost('10.0.0.5', prod, list)).toBeNull();
      expect(checkUpstreamHost('012.0.0.5', prod, list)).toBeNull(); // octal 012 = 10
      expect(checkUpstreamHost('10.0.0.6', prod, list)).toMatch(/allows/);
      expect(checkUpstreamHost('localhost.', prod, list)).toBeNull();
    }
  });

  it('the registry names the refused field and keeps the other one valid', () => {
    const checkAddress = addressPolicyFor(testConfig({ environment: 'production' }))!;
    const result = validateRegistration(
      {
        service_name: 'svc',
        base_url: 'http://127.0.0.1:9',
        health_check_url: 'http://0xa9fea9fe/latest/meta-data',
      },
      { checkAddress },
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.map((e) => e.field)).toEqual(['health_check_url']);
      expect(result.errors[0]!.message).toMatch(/169\.254\.169\.254/);
    }
  });
});
