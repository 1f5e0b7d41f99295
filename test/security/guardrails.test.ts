/**
 * Production guardrails and the admin surface (SPEC section 8): start-up refuses production
 * without a token, no samples, CORS closed, docs hideable, every admin endpoint behind the token,
 * token guessing rate limited, and no credential ever in a log line.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { call, isProblem } from '../helpers/http.js';
import { bundleEntry, captureLogger, type EnvGateway, startFromEnv } from './helpers.js';

const TOKEN = 'guardrail-token-0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };
const bundles: string[] = [];
afterAll(() => {
  for (const file of bundles) rmSync(file, { force: true });
});

async function withGateway(env: Record<string, string>, test: (gw: EnvGateway) => Promise<void>) {
  const gw = await startFromEnv(env);
  try {
    await test(gw);
  } finally {
    await gw.close();
  }
}

describe('ENVIRONMENT=production', () => {
  it('refuses to load without GATEWAY_ADMIN_TOKEN', () => {
    expect(() => loadConfig({ ENVIRONMENT: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ ENVIRONMENT: 'production' })).toThrow(/GATEWAY_ADMIN_TOKEN/);
  });

  it('the process exits non-zero with one line naming GATEWAY_ADMIN_TOKEN', async () => {
    const main = await bundleEntry('src/main.ts', 'main');
    bundles.push(main);
    const child = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', ENVIRONMENT: 'production', PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).not.toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/GATEWAY_ADMIN_TOKEN/);
    expect(stderr).not.toMatch(/\bat .*\(/); // no stack trace
  }, 60_000);

  it('registers no sample service even when REGISTER_SAMPLE_SERVICES=true, and has no development routes', async () => {
    const env = { ENVIRONMENT: 'production', GATEWAY_ADMIN_TOKEN: TOKEN, REGISTER_SAMPLE_SERVICES: 'true' };
    await withGateway(env, async (gw) => {
      expect(gw.gateway.registry.all()).toEqual([]);
      expect((await call('GET', `${gw.url}/api/users`)).status).toBe(404);
    });
  });

  it('allows no CORS origin unless ALLOWED_ORIGINS names it', async () => {
    const origin = { origin: 'https://app.example.com' };
    await withGateway({ ENVIRONMENT: 'production', GATEWAY_ADMIN_TOKEN: TOKEN }, async (gw) => {
      const res = await call('GET', `${gw.url}/health`, undefined, origin);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await call('OPTIONS', `${gw.url}/api/discovery/services`, undefined, {
        ...origin,
        'access-control-request-method': 'POST',
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    });
    const named = {
      ENVIRONMENT: 'production',
      GATEWAY_ADMIN_TOKEN: TOKEN,
      ALLOWED_ORIGINS: 'https://app.example.com',
    };
    await withGateway(named, async (gw) => {
      const ok = await call('GET', `${gw.url}/health`, undefined, origin);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const other = await call('GET', `${gw.url}/health`, undefined, { origin: 'https://evil.example.com' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('DOCS_ENABLED=false hides /docs and /openapi.json', async () => {
    await withGateway(
      { ENVIRONMENT: 'production', GATEWAY_ADMIN_TOKEN: TOKEN, DOCS_ENABLED: 'false' },
      async (gw) => {
        expect((await call('GET', `${gw.url}/docs`)).status).toBe(404);
        expect((await call('GET', `${gw.url}/openapi.json`)).status).toBe(404);
      },
    );
  });
});

describe('the admin token', () => {
  it('guards /metrics and every documented /api/discovery/* endpoint but /api/discovery/health', async () => {
    await withGateway({ GATEWAY_ADMIN_TOKEN: TOKEN }, async (gw) => {
      const doc = (await call('GET', `${gw.url}/openapi.json`)).body as { paths: Record<string, object> };
      const endpoints: [string, string][] = [['GET', '/metrics']];
      for (const [path, methods] of Object.entries(doc.paths)) {
        if (!path.startsWith('/api/discovery/') || path === '/api/discovery/health') continue;
        for (const method of Object.keys(methods)) endpoints.push([method.toUpperCase(), path]);
      }
      // The dashboard's endpoints are among them.
      expect(endpoints.map(([, p]) => p)).toEqual(
        expect.arrayContaining(['/api/discovery/stats', '/api/discovery/timeline', '/api/discovery/events']),
      );
      for (const [method, path] of endpoints) {
        const url = `${gw.url}${path.replace(/\{[^}]+\}/g, 'x')}`;
        const missing = await call(method, url);
        expect(missing.status, `${method} ${path}`).toBe(401);
        expect(isProblem(missing)).toBe(true);
        const wrong = await call(method, url, undefined, { authorization: 'Bearer not-the-token-at-all' });
        expect(wrong.status, `${method} ${path}`).toBe(403);
      }
      expect((await call('GET', `${gw.url}/api/discovery/health`)).status).toBe(200);
      expect((await call('GET', `${gw.url}/api/discovery/stats`, undefined, bearer)).status).toBe(200);
    });
  });

  it('guessing is rate limited from the 21st failure (X-Forwarded-For does not reset it), a valid token still passes', async () => {
    await withGateway({ GATEWAY_ADMIN_TOKEN: TOKEN }, async (gw) => {
      const url = `${gw.url}/api/discovery/services`;
      for (let i = 0; i < 20; i++) {
        const res = await call('GET', url, undefined, {
          authorization: `Bearer guess-${i}`,
          'x-forwarded-for': `10.0.0.${i}`,
        });
        expect(res.status).toBe(403);
      }
      const limited = await call('GET', url, undefined, {
        authorization: 'Bearer guess-21',
        'x-forwarded-for': '10.9.9.9',
      });
      expect(limited.status).toBe(429);
      expect(isProblem(limited)).toBe(true);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await call('GET', url, undefined, bearer)).status).toBe(200);
    });
  });

  it('with TRUST_PROXY, the failure budget is per forwarded client', async () => {
    await withGateway({ GATEWAY_ADMIN_TOKEN: TOKEN, TRUST_PROXY: '127.0.0.1' }, async (gw) => {
      const url = `${gw.url}/api/discovery/services`;
      const attempt = (client: string) =>
        call('GET', url, undefined, { authorization: 'Bearer wrong-token-x', 'x-forwarded-for': client });
      for (let i = 0; i < 20; i++) expect((await attempt('203.0.113.5')).status).toBe(403);
      expect((await attempt('203.0.113.5')).status).toBe(429);
      expect((await attempt('203.0.113.6')).status).toBe(403);
    });
  });
});

describe('credentials never reach a log line', () => {
  it('admin tokens, bearer tokens and API keys are absent from the logs at trace level', async () => {
    const logs = captureLogger();
    const apiKey = 'sk_secret_api_key_value_1234';
    const guess = 'wrong-guess-token-98765';
    const gw = await startFromEnv(
      { GATEWAY_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'trace' },
      { logger: logs.logger },
    );
    try {
      await call('GET', `${gw.url}/api/discovery/services`, undefined, bearer);
      await call('GET', `${gw.url}/api/discovery/services`, undefined, { authorization: `Bearer ${guess}` });
      await call('GET', `${gw.url}/metrics`, undefined, { authorization: `Bearer ${guess}` });
      await call('GET', `${gw.url}/proxy/nothing/x`, undefined, {
        authorization: `Bearer ${guess}`,
        'x-api-key': apiKey,
      });
      await call('POST', `${gw.url}/api/discovery/services`, '{bad json', bearer);
    } finally {
      await gw.close();
    }
    logs.logger.info(
      { req: { headers: { authorization: `Bearer ${TOKEN}`, 'x-api-key': apiKey } } },
      'probe',
    );
    logs.logger.info({ secret: TOKEN, auth: { secret: TOKEN }, headers: { authorization: TOKEN } }, 'probe');
    const text = logs.text();
    expect(text).toMatch(/admin token refused/);
    expect(text).toMatch(/\[redacted\]/);
    for (const secret of [TOKEN, guess, apiKey]) expect(text).not.toContain(secret);
  });
});
