/**
 * IP literal parsing for security decisions. The WHATWG URL parser already rewrites most IPv4
 * spellings into dotted form, but the address policy must not depend on which parser a host went
 * through: this accepts every spelling an OS resolver (inet_aton) or a URL parser turns into an
 * address: decimal `2852039166`, hex `0xa9fea9fe`, octal `0251.0376.0251.0376`, short forms
 * `169.254.43518`, percent-encoding, full-width digits, a trailing dot, brackets, zone ids.
 */
import { isIPv6 } from 'node:net';

export type IpAddress =
  | { readonly v: 4; readonly value: number }
  | { readonly v: 6; readonly words: readonly number[] };

const TWO_32 = 2 ** 32;

/** One inet_aton part: `0x..` hex, `0..` octal, else decimal; null when it is none of them. */
function ipv4Part(part: string): number | null {
  let n: number;
  if (/^0x[0-9a-f]*$/i.test(part)) n = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  else if (/^0[0-7]+$/.test(part)) n = Number.parseInt(part, 8);
  else if (/^(0|[1-9][0-9]*)$/.test(part)) n = Number(part);
  else return null;
  return Number.isSafeInteger(n) && n < TWO_32 ? n : null;
}

/** inet_aton semantics: 1-4 parts, the last one fills the remaining bytes. */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const nums: number[] = [];
  for (const part of parts) {
    const n = ipv4Part(part);
    if (n === null) return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (last >= 256 ** (4 - nums.length)) return null;
  let value = last;
  for (let i = 0; i < nums.length; i++) {
    if (nums[i]! > 255) return null;
    value += nums[i]! * 256 ** (3 - i);
  }
  return value;
}

function groupWords(groups: string[]): number[] | null {
  const words: number[] = [];
  for (const group of groups) {
    if (group.includes('.')) {
      const v4 = parseIpv4(group);
      if (v4 === null) return null;
      words.push(Math.floor(v4 / 65_536), v4 % 65_536);
    } else words.push(Number.parseInt(group, 16));
  }
  return words;
}

/** The eight 16-bit words of an IPv6 literal (zone id ignored: it picks an interface, not an address). */
export function parseIpv6(text: string): number[] | null {
  const zone = text.indexOf('%');
  const s = zone < 0 ? text : text.slice(0, zone);
  if (!isIPv6(s)) return null;
  const gap = s.indexOf('::');
  if (gap < 0) return groupWords(s.split(':'));
  const head = gap === 0 ? [] : s.slice(0, gap).split(':');
  const tailText = s.slice(gap + 2);
  const tail = tailText === '' ? [] : tailText.split(':');
  const headWords = groupWords(head);
  const tailWords = groupWords(tail);
  if (headWords === null || tailWords === null) return null;
  const zeros = new Array<number>(8 - headWords.length - tailWords.length).fill(0);
  return [...headWords, ...zeros, ...tailWords];
}

/** A host as written in a URL or a header, decoded the way resolvers and URL parsers decode it. */
function canonicalHostText(host: string): string {
  let s = host.trim();
  try {
    s = decodeURIComponent(s);
  } catch {
    // not percent-encoded: keep as is
  }
  return s.normalize('NFKC').toLowerCase();
}

/** The address a host literal denotes, or null when it is a name (or nothing valid). */
export function parseHost(host: string): IpAddress | null {
  let s = canonicalHostText(host);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.includes(':')) {
    const words = parseIpv6(s);
    return words === null ? null : { v: 6, words };
  }
  if (s.endsWith('.')) s = s.slice(0, -1);
  const value = parseIpv4(s);
  return value === null ? null : { v: 4, value };
}

/**
 * The IPv4 address an IPv6 one carries and routes to: IPv4-mapped (`::ffff:a.b.c.d`), the old
 * IPv4-compatible form (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002:AABB:CCDD::/48`).
 */
export function embeddedIpv4(words: readonly number[]): number | null {
  const w = (i: number) => words[i]!;
  const low = w(6) * 65_536 + w(7);
  const zeroTo = (n: number) => words.slice(0, n).every((x) => x === 0);
  if (zeroTo(5) && w(5) === 0xffff) return low;
  if (zeroTo(6) && low > 0xffff) return low; // not `::` or `::1`
  if (w(0) === 0x64 && w(1) === 0xff9b && words.slice(2, 6).every((x) => x === 0)) return low;
  if (w(0) === 0x2002) return w(1) * 65_536 + w(2);
  return null;
}

/** A comparable key: IPv4-mapped IPv6 compares equal to its IPv4 address. */
export function addressKey(address: IpAddress): string {
  if (address.v === 4) return `4:${address.value}`;
  const w = address.words;
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return `4:${w[6]! * 65_536 + w[7]!}`;
  return `6:${w.map((x) => x.toString(16)).join(':')}`;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}
