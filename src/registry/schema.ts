import { type Static, Type } from '@sinclair/typebox';

/**
 * The body of POST /api/discovery/services (SPEC section 4). One schema gives the type, the
 * structural validator (validate.ts adds the URL and size rules JSON Schema cannot say) and the
 * OpenAPI entry of the admin API, hence the descriptions and examples.
 */

/** 1-63 chars `[A-Za-z0-9._-]`, starting with a letter or digit (a DNS-label-like name). */
export const SERVICE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';
/** 1-128 chars `[A-Za-z0-9._:-]`. */
export const INSTANCE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
/** Limit of `metadata`, in bytes of its JSON serialization (UTF-8). */
export const METADATA_MAX_BYTES = 16 * 1024;
/** Longest accepted URL; longer ones are almost certainly mistakes or abuse. */
export const URL_MAX_LENGTH = 2048;

export const WEIGHT_MIN = 1;
export const WEIGHT_MAX = 1000;
export const TTL_MIN_SECONDS = 5;
export const TTL_MAX_SECONDS = 86_400;

export const RegistrationInputSchema = Type.Object(
  {
    service_name: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: SERVICE_NAME_PATTERN,
      description:
        'Name requests are routed to (`/proxy/{service_name}`): 1-63 characters of A-Z a-z 0-9 . _ -, ' +
        'starting with a letter or digit.',
      examples: ['user-service'],
    }),
    base_url: Type.String({
      minLength: 1,
      maxLength: URL_MAX_LENGTH,
      description:
        'Absolute http or https URL of the instance, optionally with a path prefix. No credentials, ' +
        'query, fragment, white space or control characters. Stored normalized (no trailing slash).',
      examples: ['http://127.0.0.1:8001', 'https://users.internal.example.com/v1'],
    }),
    health_check_url: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: URL_MAX_LENGTH,
        description:
          'Absolute http or https URL answering 2xx when healthy. Default: `base_url` + `/health`.',
        examples: ['http://127.0.0.1:8001/health'],
      }),
    ),
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'Free-form JSON object, at most 16 KiB serialized. Known keys: `lb` (`round_robin`, ' +
          '`least_outstanding`, `hash`), `hash_on` (`header:NAME`, `cookie:NAME`, `ip`), `openapi_url`.',
        examples: [{ version: '1.4.2', zone: 'eu-1' }],
      }),
    ),
    instance_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: INSTANCE_ID_PATTERN,
        description:
          'Identity of the instance within its service: 1-128 characters of A-Z a-z 0-9 . _ : -. ' +
          'Default: derived from the normalized `base_url`, so the same `base_url` is the same instance.',
        examples: ['user-service-1'],
      }),
    ),
    weight: Type.Optional(
      Type.Integer({
        minimum: WEIGHT_MIN,
        maximum: WEIGHT_MAX,
        default: 1,
        description: 'Relative share of traffic for weighted balancing, 1-1000. Default 1.',
        examples: [1],
      }),
    ),
    ttl_seconds: Type.Optional(
      Type.Integer({
        minimum: TTL_MIN_SECONDS,
        maximum: TTL_MAX_SECONDS,
        description:
          'Lease in seconds (5-86400): the instance must heartbeat within it or it is removed. ' +
          'Without it the registration has no lease.',
        examples: [30],
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Registers an instance of a service, or updates it when it is already registered.',
    examples: [
      {
        service_name: 'user-service',
        base_url: 'http://127.0.0.1:8001',
        health_check_url: 'http://127.0.0.1:8001/health',
        metadata: { version: '1.0.0' },
        weight: 1,
        ttl_seconds: 30,
      },
    ],
  },
);

export type RegistrationInputBody = Static<typeof RegistrationInputSchema>;
