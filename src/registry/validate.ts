import { createHash } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { FieldError } from '../errors.js';
import { deepFreeze } from './freeze.js';
import { METADATA_MAX_BYTES, RegistrationInputSchema, URL_MAX_LENGTH } from './schema.js';
import type { AddressCheck, NormalizedRegistration, RegistrationInput } from './types.js';
import { normalizeBaseUrl, parseHttpUrl, type UrlField } from './url.js';

export interface ValidateOptions {
  /** Extra address policy (SSRF guard); its message becomes the field's error. */
  readonly checkAddress?: AddressCheck;
}

export type ValidationResult =
  | { ok: true; value: NormalizedRegistration }
  | { ok: false; errors: FieldError[] };

/** The field name used when the body itself is not a JSON object. */
export const BODY_FIELD = '(body)';

type Field = keyof RegistrationInput;
const FIELDS = Object.keys(RegistrationInputSchema.properties) as Field[];

const URL_RULE = `must be a string holding an absolute http or https URL of at most ${URL_MAX_LENGTH} characters`;

/**
 * One message per field for any structural violation. TypeBox would say "Expected string to
 * match '^[A-Za-z0-9]...'"; a client is better served by the whole rule in words.
 */
const RULES: Record<Field, string> = {
  service_name: 'must be a string of 1-63 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit',
  base_url: URL_RULE,
  health_check_url: URL_RULE,
  metadata: 'must be a JSON object',
  instance_id: 'must be a string of 1-128 characters from A-Z a-z 0-9 . _ : -',
  weight: 'must be an integer from 1 to 1000',
  ttl_seconds: 'must be an integer from 5 to 86400',
};

function isField(name: string): name is Field {
  return Object.hasOwn(RULES, name);
}

/** `/metadata/a~1b` → `metadata`: errors are reported per top-level field. */
function topLevelField(path: string): string {
  if (path === '') return BODY_FIELD;
  const segment = path.split('/')[1] ?? '';
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

// Compiled once: a valid body (the common case) is checked in well under a microsecond; only an
// invalid one is walked again, by Value.Errors, to name each failing field.
const validBody = TypeCompiler.Compile(RegistrationInputSchema);

/** Every structural error (types, ranges, patterns, required and unknown fields), first per field. */
function structuralErrors(input: unknown): Map<string, string> {
  const errors = new Map<string, string>();
  if (validBody.Check(input)) return errors;
  for (const error of Value.Errors(RegistrationInputSchema, input)) {
    const field = topLevelField(error.path);
    if (errors.has(field)) continue; // TypeBox yields "required" before the type error of the same field
    if (field === BODY_FIELD) errors.set(field, 'must be a JSON object');
    else if (error.type === ValueErrorType.ObjectAdditionalProperties)
      errors.set(field, 'is not a known field');
    else if (error.type === ValueErrorType.ObjectRequiredProperty) errors.set(field, 'is required');
    else errors.set(field, isField(field) ? RULES[field] : error.message);
  }
  return errors;
}

function checkUrl(
  raw: string,
  field: UrlField,
  errors: Map<string, string>,
  checkAddress: AddressCheck | undefined,
): URL | undefined {
  // A health check may legitimately carry a query (`/health?full=1`); an instance's root may not.
  const parsed = parseHttpUrl(raw, { query: field === 'base_url' });
  if (!parsed.ok) {
    errors.set(field, parsed.message);
    return undefined;
  }
  const refused = checkAddress?.(parsed.url, field) ?? null;
  if (refused !== null) {
    errors.set(field, refused);
    return undefined;
  }
  return parsed.url;
}

/** A private, frozen JSON copy of the metadata, so a caller's later mutation cannot reach the registry. */
function copyMetadata(
  metadata: Record<string, unknown> | undefined,
  errors: Map<string, string>,
): Readonly<Record<string, unknown>> | undefined {
  if (metadata === undefined) return Object.freeze({});
  let text: string;
  try {
    text = JSON.stringify(metadata);
  } catch {
    errors.set('metadata', 'must be a JSON object (it could not be serialized)');
    return undefined;
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > METADATA_MAX_BYTES) {
    errors.set('metadata', `must be at most ${METADATA_MAX_BYTES} bytes serialized, got ${bytes}`);
    return undefined;
  }
  return deepFreeze(JSON.parse(text) as Record<string, unknown>);
}

/** The default instance id: stable for a normalized base_url, and within INSTANCE_ID_PATTERN. */
export function deriveInstanceId(baseUrl: string): string {
  return createHash('sha256').update(baseUrl).digest('hex').slice(0, 16);
}

/** Known fields in schema order, then unknown ones as met: a stable order for clients and tests. */
function toFieldErrors(errors: Map<string, string>): FieldError[] {
  const rank = (field: string): number => {
    const i = FIELDS.indexOf(field as Field);
    return i === -1 ? FIELDS.length : i;
  };
  return [...errors]
    .map(([field, message]) => ({ field, message }))
    .sort((a, b) => rank(a.field) - rank(b.field));
}

/**
 * Validates a registration body without coercing anything, reporting every bad field at once,
 * then applies the defaults and normalizes the URLs.
 */
export function validateRegistration(input: unknown, options: ValidateOptions = {}): ValidationResult {
  const errors = structuralErrors(input);
  if (errors.has(BODY_FIELD)) return { ok: false, errors: toFieldErrors(errors) };
  const body = input as RegistrationInput;
  const { checkAddress } = options;
  const base = errors.has('base_url') ? undefined : checkUrl(body.base_url, 'base_url', errors, checkAddress);
  const health =
    body.health_check_url === undefined || errors.has('health_check_url')
      ? undefined
      : checkUrl(body.health_check_url, 'health_check_url', errors, checkAddress);
  const metadata = errors.has('metadata') ? undefined : copyMetadata(body.metadata, errors);
  if (errors.size > 0 || base === undefined || metadata === undefined) {
    return { ok: false, errors: toFieldErrors(errors) };
  }
  const baseUrl = normalizeBaseUrl(base);
  const value: NormalizedRegistration = {
    service_name: body.service_name,
    instance_id: body.instance_id ?? deriveInstanceId(baseUrl),
    base_url: baseUrl,
    health_check_url: health?.href ?? baseUrl + '/health',
    metadata,
    weight: body.weight ?? 1,
    ttl_seconds: body.ttl_seconds ?? null,
  };
  return { ok: true, value: Object.freeze(value) };
}
