import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const dirs: string[] = [];
function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
  dirs.push(dir);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, text);
  return file;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig defaults', () => {
  it('gives the SPEC section 2 defaults in development', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8000,
      host: '0.0.0.0',
      environment: 'development',
      logLevel: 'info',
      allowedHosts: ['*'],
      allowedOrigins: ['*'],
      adminTokens: [],
      registryStore: 'sqlite',
      registryPath: 'data/registry.db',
      redisUrl: 'redis://127.0.0.1:6379',
      healthCheckIntervalMs: 10_000,
      healthCheckTimeoutMs: 2_000,
      healthCheckUnhealthyIntervalMs: 10_000,
      healthyThreshold: 1,
      unhealthyThreshold: 2,
      passiveFailureThreshold: 3,
      proxyTimeoutMs: 30_000,
      proxyConnectTimeoutMs: 5_000,
      clientHeaderTimeoutMs: 20_000,
      clientRequestTimeoutMs: 60_000,
      maxConnections: 10_000,
      rateLimitMax: null,
      rateLimitWindowMs: 60_000,
      proxyRetries: 2,
      registerSampleServices: true,
      configFile: null,
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.allowedHosts)).toBe(true);
  });

  it('closes CORS and skips samples in production, and requires a token', () => {
    expect(() => loadConfig({ ENVIRONMENT: 'production' })).toThrow(/GATEWAY_ADMIN_TOKEN/);
    const c = loadConfig({
      ENVIRONMENT: 'production',
      GATEWAY_ADMIN_TOKEN: 'secret-token-1',
      REGISTER_SAMPLE_SERVICES: 'true',
    });
    expect(c.allowedOrigins).toEqual([]);
    expect(c.registerSampleServices).toBe(false);
  });

  it('accepts upper-case log levels and a token list for rotation', () => {
    const c = loadConfig({ LOG_LEVEL: 'INFO', GATEWAY_ADMIN_TOKEN: 'old-token-123, new-token-456' });
    expect(c.logLevel).toBe('info');
    expect(c.adminTokens).toEqual(['old-token-123', 'new-token-456']);
  });

  it('accepts REDIS_URL for one server, Sentinel and Cluster', () => {
    for (const url of [
      'rediss://:pw@cache:6380/1',
      'redis+sentinel://s1:26379,s2:26379/mymaster',
      'redis+cluster://10.0.0.1:7000,10.0.0.2:7000',
    ]) {
      expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
    }
  });

  it('lets the timeout equal the interval, and the unhealthy interval default to the interval', () => {
    const c = loadConfig({ HEALTH_CHECK_INTERVAL_MS: '100', HEALTH_CHECK_TIMEOUT_MS: '100' });
    expect(c.healthCheckTimeoutMs).toBe(100);
    expect(c.healthCheckUnhealthyIntervalMs).toBe(100);
  });
});

describe('loadConfig refuses bad values with one line naming the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /^PORT must be an integer/],
    [{ PORT: '70000' }, /^PORT must be between/],
    [{ PORT: '80.5' }, /^PORT must be an integer/],
    [{ REGISTRY_STORE: 'mongo' }, /^REGISTRY_STORE must be one of sqlite, memory, redis/],
    [{ ENVIRONMENT: 'staging' }, /^ENVIRONMENT must be one of/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ HEALTH_CHECK_INTERVAL_MS: '99' }, /^HEALTH_CHECK_INTERVAL_MS must be between 100/],
    [{ HEALTH_CHECK_TIMEOUT_MS: '49' }, /^HEALTH_CHECK_TIMEOUT_MS must be between 50/],
    [
      { HEALTH_CHECK_INTERVAL_MS: '1000', HEALTH_CHECK_TIMEOUT_MS: '2000' },
      /^HEALTH_CHECK_TIMEOUT_MS \(2000\) must not exceed/,
    ],
    [{ PROXY_TIMEOUT_MS: '99' }, /^PROXY_TIMEOUT_MS must be between 100/],
    [{ PROXY_CONNECT_TIMEOUT_MS: 'soon' }, /^PROXY_CONNECT_TIMEOUT_MS must be an integer/],
    [{ REGISTER_SAMPLE_SERVICES: 'maybe' }, /^REGISTER_SAMPLE_SERVICES must be true or false/],
    [{ ALLOWED_ORIGINS: 'not a url' }, /^ALLOWED_ORIGINS has an invalid origin/],
    [{ ALLOWED_ORIGINS: 'https://a.example/path' }, /^ALLOWED_ORIGINS entry/],
    [{ ALLOWED_HOSTS: 'bad host/' }, /^ALLOWED_HOSTS has an invalid host pattern/],
    [{ REDIS_URL: 'http://x' }, /^REDIS_URL must use/],
    [{ REDIS_URL: 'redis+cluster://:pw@h1:7000/2' }, /^REDIS_URL for a cluster takes no database.*:\*\*\*@/],
    [{ REDIS_URL: 'redis+sentinel://s1:26379' }, /^REDIS_URL must look like redis\+sentinel:/],
    [{ GATEWAY_ADMIN_TOKEN: 'short' }, /^GATEWAY_ADMIN_TOKEN must hold tokens of at least 8/],
    [{ RATE_LIMIT_MAX: '0' }, /^RATE_LIMIT_MAX must be between 1/],
    [
      { CLIENT_HEADER_TIMEOUT_MS: '5000', CLIENT_REQUEST_TIMEOUT_MS: '1000' },
      /^CLIENT_HEADER_TIMEOUT_MS must not exceed/,
    ],
  ];
  it.each(cases)('%j', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('config file (GATEWAY_CONFIG)', () => {
  it('reads settings, services, routes and balancing; the environment wins', () => {
    const file = yamlFile(`
settings:
  PORT: 9000
  log_level: debug
  ALLOWED_HOSTS: [api.example.com, "*.example.org"]
services:
  - service_name: billing
    base_url: http://127.0.0.1:9100
routes:
  - prefix: /billing
    service: billing
    strip_prefix: true
balancing:
  billing: { lb: hash, hash_on: "header:x-user" }
`);
    const c = loadConfig({ GATEWAY_CONFIG: file, PORT: '9001' });
    expect(c.port).toBe(9001);
    expect(c.logLevel).toBe('debug');
    expect(c.allowedHosts).toEqual(['api.example.com', '*.example.org']);
    expect(c.services).toEqual([{ service_name: 'billing', base_url: 'http://127.0.0.1:9100' }]);
    expect(c.routes[0]).toMatchObject({ prefix: '/billing', service: 'billing', strip_prefix: true });
    expect(c.balancing.billing).toEqual({ lb: 'hash', hash_on: 'header:x-user' });
    expect(c.configFile).toBe(file);
  });

  const bad: [string, RegExp][] = [
    ['settings: {PORT: abc}', /PORT must be an integer/],
    ['settings: {NOPE: 1}', /unknown setting "NOPE"/],
    ['colors: {}', /unknown section "colors"/],
    ['routes: [{prefix: "no-slash", service: s}]', /GATEWAY_CONFIG .*routes\.0\.prefix/],
    ['balancing: {s: {lb: random}}', /GATEWAY_CONFIG .*balancing/],
    ['routes: [unclosed', /is not valid YAML/],
    ['- just\n- a list', /mapping at the top level/],
  ];
  it.each(bad)('refuses %j with one line', (text, message) => {
    const file = yamlFile(text);
    expect(() => loadConfig({ GATEWAY_CONFIG: file })).toThrow(message);
  });

  it('names a missing file', () => {
    expect(() => loadConfig({ GATEWAY_CONFIG: '/nonexistent/gateway.yaml' })).toThrow(
      /GATEWAY_CONFIG cannot read .*ENOENT/,
    );
  });
});
