/**
 * Where a registration may point (SPEC section 8, the SSRF guard). The gateway GETs every
 * health_check_url at once and proxies to every base_url, so a registration is a request the
 * gateway will make on the registrant's behalf. In production, link-local and cloud-metadata
 * addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, 100.100.100.200, metadata.google.internal)
 * are refused in any spelling unless UPSTREAM_ALLOWED_HOSTS names them; UPSTREAM_ALLOWED_HOSTS
 * (when set) restricts every registration, in any environment.
 *
 * Host names are never resolved here: a name that resolves to a forbidden address (or DNS
 * rebinding) is out of scope; UPSTREAM_ALLOWED_HOSTS is the control for that (docs/security.md).
 */
import type { AddressCheck } from '../registry/index.js';
import { addressKey, embeddedIpv4, formatIpv4, type IpAddress, parseHost } from './ip.js';

/** Well-known metadata host names (GCP); addresses cover AWS, Azure, OCI, DigitalOcean, Alibaba. */
const METADATA_NAMES: ReadonlySet<string> = new Set(['metadata.google.internal']);
const ALIBABA_METADATA = 0x646464c8; // 100.100.100.200
const AWS_IPV6_METADATA = [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254];

function forbiddenIpv4(value: number): boolean {
  return value >>> 16 === 0xa9fe || value === ALIBABA_METADATA;
}

/** Is this address link-local or a cloud metadata endpoint, directly or through an IPv4 embedding? */
export function isForbiddenAddress(address: IpAddress): boolean {
  if (address.v === 4) return forbiddenIpv4(address.value);
  const w = address.words;
  if ((w[0]! & 0xffc0) === 0xfe80) return true;
  if (w.every((x, i) => x === AWS_IPV6_METADATA[i])) return true;
  const v4 = embeddedIpv4(w);
  return v4 !== null && forbiddenIpv4(v4);
}

/** A host (URL hostname or raw literal) stripped of brackets and one trailing dot, lower case. */
function bareName(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

/** Is this host, in whatever spelling, a link-local or metadata address or name? */
export function isForbiddenHost(host: string): boolean {
  const address = parseHost(host);
  if (address !== null) return isForbiddenAddress(address);
  return METADATA_NAMES.has(bareName(host));
}

/** UPSTREAM_ALLOWED_HOSTS compiled: IP entries compare as addresses, names exactly or by suffix. */
interface AllowList {
  readonly any: boolean;
  readonly addresses: ReadonlySet<string>;
  readonly names: ReadonlySet<string>;
  readonly suffixes: readonly string[];
}

export function compileAllowList(patterns: readonly string[]): AllowList {
  const addresses = new Set<string>();
  const names = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const raw of patterns) {
    const pattern = raw.trim().toLowerCase();
    if (pattern === '*') any = true;
    else if (pattern.startsWith('*.')) suffixes.push(pattern.slice(1).replace(/\.$/, ''));
    else {
      const address = parseHost(pattern);
      if (address !== null) addresses.add(addressKey(address));
      else names.add(bareName(pattern));
    }
  }
  return { any, addresses, names, suffixes };
}

/**
 * Does the allow list name this host? `*` counts only when `wildcard` is true: an exemption from
 * the production rule needs an entry that names the host, not a catch-all. Suffix patterns never
 * match an IP literal (`*.254` is not a way to allow 169.254.169.254).
 */
function allows(list: AllowList, host: string, wildcard: boolean): boolean {
  if (wildcard && list.any) return true;
  const address = parseHost(host);
  if (address !== null) return list.addresses.has(addressKey(address));
  const name = bareName(host);
  if (list.names.has(name)) return true;
  return list.suffixes.some((suffix) => name.length > suffix.length && name.endsWith(suffix));
}

export interface AddressPolicyOptions {
  readonly production: boolean;
  /** UPSTREAM_ALLOWED_HOSTS; empty = no restriction beyond the production rule. */
  readonly allowedHosts: readonly string[];
}

function describe(host: string): string {
  const address = parseHost(host);
  return address?.v === 4 ? formatIpv4(address.value) : bareName(host);
}

/** The refusal message for a host, or null when it may be registered. */
export function checkUpstreamHost(host: string, production: boolean, list: AllowList): string | null {
  const restricted = list.any || list.addresses.size > 0 || list.names.size > 0 || list.suffixes.length > 0;
  if (production && isForbiddenHost(host) && !allows(list, host, false)) {
    return (
      `points at a link-local or cloud-metadata address (${describe(host)}), which is refused ` +
      'in production unless UPSTREAM_ALLOWED_HOSTS names it'
    );
  }
  if (restricted && !allows(list, host, true)) {
    return `must point at a host that UPSTREAM_ALLOWED_HOSTS allows; ${describe(host)} is not one`;
  }
  return null;
}

/**
 * The registry's address check for this configuration, or undefined when there is nothing to check
 * (development without UPSTREAM_ALLOWED_HOSTS): then registration pays nothing for it.
 */
export function createAddressPolicy(options: AddressPolicyOptions): AddressCheck | undefined {
  if (!options.production && options.allowedHosts.length === 0) return undefined;
  const list = compileAllowList(options.allowedHosts);
  return (url) => checkUpstreamHost(url.hostname, options.production, list);
}
