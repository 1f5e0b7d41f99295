import { describe, expect, it } from 'vitest';
import { documentUrlOf } from '../../src/admin/service-docs.js';
import { rewriteForGateway } from '../../src/admin/service-docs-rewrite.js';
import type { InstanceRegistration } from '../../src/registry/index.js';

const instance = (
  base_url: string,
  metadata: Record<string, unknown> = {},
  id = 'i-1',
): InstanceRegistration => ({
  service_name: 'svc',
  instance_id: id,
  base_url,
  health_check_url: `${base_url}/health`,
  metadata,
  weight: 1,
  registered_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  ttl_seconds: null,
  lease_expires_at: null,
});

describe('rewriteForGateway', () => {
  it('OpenAPI 3: one server at /proxy/{name}, path and operation servers dropped, info marked', () => {
    const doc = rewriteForGateway(
      {
        openapi: '3.1.0',
        info: { title: 't', version: '1' },
        servers: [{ url: 'https://{host}/api', variables: { host: { default: 'x' } } }],
        paths: { '/a': { servers: [{ url: 'http://elsewhere' }], get: { servers: [{ url: 'http://op' }] } } },
      },
      'svc',
    );
    expect(doc).toEqual({
      openapi: '3.1.0',
      info: { title: 't', version: '1', 'x-gateway-service': 'svc' },
      servers: [{ url: '/proxy/svc', description: 'svc through msa-gateway' }],
      paths: { '/a': { get: {} } },
    });
  });

  it('Swagger 2.0: basePath /proxy/{name}, no host or schemes anywhere', () => {
    const doc = rewriteForGateway(
      {
        swagger: '2.0',
        host: 'h',
        schemes: ['https'],
        basePath: '/v1',
        paths: { '/a': { get: { schemes: ['ws'] } } },
      },
      'svc',
    );
    expect(doc).toEqual({
      swagger: '2.0',
      basePath: '/proxy/svc',
      paths: { '/a': { get: {} } },
      info: { title: 'svc', version: '', 'x-gateway-service': 'svc' },
    });
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['JSON without a version', { paths: {} }],
    ['OpenAPI 2', { openapi: '2.0' }],
    ['Swagger 1.2', { swagger: '1.2' }],
    ['paths that are no object', { openapi: '3.0.0', paths: [] }],
  ])('%s is not a document', (_name, value) => {
    expect(rewriteForGateway(value, 'svc')).toBeNull();
  });
});

describe('documentUrlOf', () => {
  it.each([
    [{}, 'http://h:1/base/openapi.json'],
    [{ openapi_url: 'http://other:2/spec.json' }, 'http://other:2/spec.json'],
    [{ openapi_url: '/spec.json' }, 'http://h:1/base/spec.json'],
    [{ openapi_url: '//evil/spec.json' }, 'http://h:1/base/openapi.json'],
    [{ openapi_url: 'ftp://h/spec.json' }, 'http://h:1/base/openapi.json'],
    [{ openapi_url: 'not a url' }, 'http://h:1/base/openapi.json'],
    [{ openapi_url: 42 }, 'http://h:1/base/openapi.json'],
  ])('%j → %s', (metadata, expected) => {
    expect(documentUrlOf(instance('http://h:1/base', metadata)).href).toBe(expected);
  });
});
