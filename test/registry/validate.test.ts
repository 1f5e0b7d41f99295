import { describe, expect, it } from 'vitest';
import {
  BODY_FIELD,
  deriveInstanceId,
  INSTANCE_ID_PATTERN,
  RegistrationInputSchema,
  validateRegistration,
} from '../../src/registry/index.js';

const valid = { service_name: 'user-service', base_url: 'http://127.0.0.1:8001' };

/** The one field error of a body that is `valid` with `patch` applied. */
function errorOf(patch: Record<string, unknown>): { field: string; message: string }[] {
  const result = validateRegistration({ ...valid, ...patch });
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

function accepted(body: unknown) {
  const result = validateRegistration(body);
  if (!result.ok) throw new Error(`expected valid, got ${JSON.stringify(result.errors)}`);
  return result.value;
}

describe('validateRegistration: accepted values', () => {
  it.each([
    ['service_name of one digit', { service_name: '7' }],
    ['service_name of 63 chars', { service_name: 'a'.repeat(63) }],
    ['service_name with . _ -', { service_name: 'a.b_c-D9' }],
    ['https base_url with a path prefix', { base_url: 'https://api.example.com/v1/users' }],
    ['IPv6 base_url', { base_url: 'http://[::1]:8080' }],
    ['health_check_url with a query', { health_check_url: 'http://127.0.0.1:8001/health?full=1' }],
    ['empty metadata', { metadata: {} }],
    ['nested metadata', { metadata: { a: { b: [1, 'x', null] } } }],
    ['instance_id with : . _ -', { instance_id: 'host-1:8001_a.b' }],
    ['instance_id of 128 chars', { instance_id: 'i'.repeat(128) }],
    ['weight 1', { weight: 1 }],
    ['weight 1000', { weight: 1000 }],
    ['ttl 5', { ttl_seconds: 5 }],
    ['ttl 86400', { ttl_seconds: 86_400 }],
  ])('%s', (_name, patch) => {
    expect(validateRegistration({ ...valid, ...patch }).ok).toBe(true);
  });
});

describe('validateRegistration: refused values name their field', () => {
  it.each([
    ['service_name empty', { service_name: '' }, 'service_name'],
    ['service_name of 64 chars', { service_name: 'a'.repeat(64) }, 'service_name'],
    ['service_name starting with -', { service_name: '-svc' }, 'service_name'],
    ['service_name starting with .', { service_name: '.svc' }, 'service_name'],
    ['service_name with /', { service_name: 'a/b' }, 'service_name'],
    ['service_name with a space', { service_name: 'a b' }, 'service_name'],
    ['service_name a number', { service_name: 42 }, 'service_name'],
    ['base_url relative', { base_url: '/api' }, 'base_url'],
    ['base_url without //', { base_url: 'http:example.com' }, 'base_url'],
    ['base_url ftp', { base_url: 'ftp://example.com' }, 'base_url'],
    ['base_url without host', { base_url: 'http:///x' }, 'base_url'],
    ['base_url with credentials', { base_url: 'http://user:pw@example.com' }, 'base_url'],
    ['base_url with a user only', { base_url: 'http://user@example.com' }, 'base_url'],
    ['base_url with a query', { base_url: 'http://example.com/?a=1' }, 'base_url'],
    ['base_url with an empty query', { base_url: 'http://example.com?' }, 'base_url'],
    ['base_url with a fragment', { base_url: 'http://example.com/#top' }, 'base_url'],
    ['base_url with an empty fragment', { base_url: 'http://example.com#' }, 'base_url'],
    ['base_url with a space', { base_url: 'http://example.com/a b' }, 'base_url'],
    ['base_url with a tab', { base_url: 'http://example.com/\ta' }, 'base_url'],
    ['base_url with a newline', { base_url: 'http://example.com\n' }, 'base_url'],
    ['base_url with leading space', { base_url: ' http://example.com' }, 'base_url'],
    ['base_url with NUL', { base_url: 'http://example.com/\u0000' }, 'base_url'],
    ['base_url with DEL', { base_url: 'http://example.com/\u007f' }, 'base_url'],
    ['base_url with a backslash', { base_url: 'http://example.com\\admin' }, 'base_url'],
    ['base_url with a bad port', { base_url: 'http://example.com:99999' }, 'base_url'],
    ['base_url too long', { base_url: 'http://example.com/' + 'a'.repeat(2048) }, 'base_url'],
    ['base_url an object', { base_url: { href: 'http://x' } }, 'base_url'],
    ['health_check_url relative', { health_check_url: '/health' }, 'health_check_url'],
    ['health_check_url with a fragment', { health_check_url: 'http://x.com/h#a' }, 'health_check_url'],
    ['health_check_url with credentials', { health_check_url: 'http://a:b@x.com/h' }, 'health_check_url'],
    ['metadata an array', { metadata: [] }, 'metadata'],
    ['metadata a string', { metadata: '{}' }, 'metadata'],
    ['metadata null', { metadata: null }, 'metadata'],
    ['metadata over 16 KiB', { metadata: { blob: 'x'.repeat(16 * 1024) } }, 'metadata'],
    ['instance_id empty', { instance_id: '' }, 'instance_id'],
    ['instance_id of 129 chars', { instance_id: 'i'.repeat(129) }, 'instance_id'],
    ['instance_id with /', { instance_id: 'a/b' }, 'instance_id'],
    ['instance_id a number', { instance_id: 7 }, 'instance_id'],
    ['weight 0', { weight: 0 }, 'weight'],
    ['weight 1001', { weight: 1001 }, 'weight'],
    ['weight 1.5', { weight: 1.5 }, 'weight'],
    ['weight "5" (no coercion)', { weight: '5' }, 'weight'],
    ['weight true', { weight: true }, 'weight'],
    ['weight null', { weight: null }, 'weight'],
    ['ttl 4', { ttl_seconds: 4 }, 'ttl_seconds'],
    ['ttl 86401', { ttl_seconds: 86_401 }, 'ttl_seconds'],
    ['ttl "30"', { ttl_seconds: '30' }, 'ttl_seconds'],
    ['unknown field', { status: 'HEALTHY' }, 'status'],
    ['unknown field __proto__', JSON.parse('{"__proto__": {"x": 1}}'), '__proto__'],
  ])('%s', (_name, patch, field) => {
    const errors = errorOf(patch as Record<string, unknown>);
    expect(errors.map((e) => e.field)).toEqual([field]);
    expect(errors[0]!.message.length).toBeGreaterThan(5);
  });

  it('metadata of exactly 16 KiB serialized is accepted', () => {
    const overhead = JSON.stringify({ blob: '' }).length;
    const metadata = { blob: 'x'.repeat(16 * 1024 - overhead) };
    expect(validateRegistration({ ...valid, metadata }).ok).toBe(true);
  });

  it('counts metadata size in UTF-8 bytes, not characters', () => {
    const metadata = { blob: 'é'.repeat(9000) }; // 9000 chars, 18000 bytes
    expect(errorOf({ metadata })[0]!.field).toBe('metadata');
  });
});

describe('validateRegistration: every bad field at once', () => {
  it('reports each bad field once, in schema order, then unknown fields', () => {
    const result = validateRegistration({
      service_name: 42,
      base_url: 'http://u:p@x.com',
      metadata: [],
      weight: '5',
      ttl_seconds: 1,
      instance_id: 'a b',
      colour: 'red',
      health_check_url: 'nope',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.field)).toEqual([
      'service_name',
      'base_url',
      'health_check_url',
      'metadata',
      'instance_id',
      'weight',
      'ttl_seconds',
      'colour',
    ]);
    expect(result.errors.find((e) => e.field === 'colour')?.message).toBe('is not a known field');
  });

  it('names missing required fields', () => {
    const result = validateRegistration({});
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: 'service_name', message: 'is required' },
        { field: 'base_url', message: 'is required' },
      ],
    });
  });

  it.each([null, [], 'x', 42, undefined])('refuses a body that is not an object: %j', (body) => {
    expect(validateRegistration(body)).toEqual({
      ok: false,
      errors: [{ field: BODY_FIELD, message: 'must be a JSON object' }],
    });
  });
});

describe('validateRegistration: normalization and defaults', () => {
  it.each([
    ['http://Example.com:80/api/', 'http://example.com/api'],
    ['HTTP://EXAMPLE.COM', 'http://example.com'],
    ['https://example.com:443/', 'https://example.com'],
    ['http://example.com:8080//', 'http://example.com:8080'],
    ['http://example.com/a/./b/../c/', 'http://example.com/a/c'],
    ['http://[0:0:0:0:0:0:0:1]:80/', 'http://[::1]'],
  ])('%s → %s', (raw, normalized) => {
    expect(accepted({ ...valid, base_url: raw }).base_url).toBe(normalized);
  });

  it('applies the defaults', () => {
    const value = accepted({ service_name: 's', base_url: 'http://h:1/p/' });
    expect(value).toEqual({
      service_name: 's',
      instance_id: deriveInstanceId('http://h:1/p'),
      base_url: 'http://h:1/p',
      health_check_url: 'http://h:1/p/health',
      metadata: {},
      weight: 1,
      ttl_seconds: null,
    });
  });

  it('derives the same instance_id from equivalent spellings of base_url, obeying the id rule', () => {
    const a = accepted({ ...valid, base_url: 'http://Example.com:80/api/' }).instance_id;
    const b = accepted({ ...valid, base_url: 'http://example.com/api' }).instance_id;
    const c = accepted({ ...valid, base_url: 'http://example.com/other' }).instance_id;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(new RegExp(INSTANCE_ID_PATTERN));
  });

  it('keeps an explicit instance_id and health_check_url (normalized)', () => {
    const value = accepted({ ...valid, instance_id: 'u1', health_check_url: 'HTTP://H:80/status' });
    expect(value.instance_id).toBe('u1');
    expect(value.health_check_url).toBe('http://h/status');
  });

  it('copies and freezes metadata so later mutation by the caller cannot reach the registry', () => {
    const metadata = { tags: ['a'] };
    const value = accepted({ ...valid, metadata });
    metadata.tags.push('b');
    expect(value.metadata).toEqual({ tags: ['a'] });
    expect(Object.isFrozen(value.metadata)).toBe(true);
    expect(Object.isFrozen(value.metadata.tags)).toBe(true);
  });
});

describe('validateRegistration: checkAddress hook', () => {
  it('turns the hook message into the field error, for each URL field', () => {
    const seen: string[] = [];
    const result = validateRegistration(
      { ...valid, base_url: 'http://169.254.169.254', health_check_url: 'http://169.254.169.254/h' },
      {
        checkAddress: (url, field) => {
          seen.push(`${field}:${url.hostname}`);
          return url.hostname.startsWith('169.254.') ? 'points at a link-local address' : null;
        },
      },
    );
    expect(seen).toEqual(['base_url:169.254.169.254', 'health_check_url:169.254.169.254']);
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: 'base_url', message: 'points at a link-local address' },
        { field: 'health_check_url', message: 'points at a link-local address' },
      ],
    });
  });

  it('accepts when the hook returns null', () => {
    expect(validateRegistration(valid, { checkAddress: () => null }).ok).toBe(true);
  });
});

describe('RegistrationInputSchema', () => {
  it('refuses additional properties and documents every field', () => {
    expect(RegistrationInputSchema.additionalProperties).toBe(false);
    expect(RegistrationInputSchema.required).toEqual(['service_name', 'base_url']);
    for (const [name, field] of Object.entries(RegistrationInputSchema.properties)) {
      expect(field.description, name).toBeTruthy();
    }
  });
});
