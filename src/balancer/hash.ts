/**
 * Sticky balancing by rendezvous (highest random weight) hashing: every instance scores
 * hash(key, instance_id) and the best score wins, so adding or removing an instance only moves
 * the keys that it wins or held (about 1/n of them), and an excluded instance's keys fall to their
 * second choice. Weighted with the usual `weight / -ln(u)` score.
 */
import type { Instances } from './types.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(seed: number, text: string): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

/** murmur3's finalizer: FNV alone clusters on similar keys. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The score of one (key, instance) pair; `keyHash` is fnv1a of the key, computed once per pick. */
export function rendezvousScore(keyHash: number, instanceId: string, weight: number): number {
  const u = (fmix32(fnv1a(keyHash ^ 0x9e3779b9, instanceId)) + 0.5) / 4294967296;
  return weight / -Math.log(u);
}

export function pickRendezvous(
  instances: Instances,
  key: string,
  exclude: ReadonlySet<string> | null,
): Instances[number] | null {
  const keyHash = fnv1a(FNV_OFFSET, key);
  let best: Instances[number] | null = null;
  let bestScore = -1;
  for (const instance of instances) {
    if (exclude?.has(instance.instance_id)) continue;
    const score = rendezvousScore(keyHash, instance.instance_id, instance.weight);
    if (score > bestScore) {
      best = instance;
      bestScore = score;
    }
  }
  return best;
}

/** The value of cookie `name` in a Cookie header (`a=1; b=2`), or null. No decoding. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq > start && eq < end && header.slice(start, eq).trim() === name) {
      const value = header.slice(eq + 1, end).trim();
      return value === '' ? null : value;
    }
    start = end + 1;
  }
  return null;
}

/** The sticky key of a request for `on`: a header's first value, a cookie, or the client IP; null if absent. */
export function stickyKey(
  on: { readonly kind: 'header' | 'cookie' | 'ip'; readonly name?: string },
  headers: Readonly<Record<string, string | string[] | undefined>>,
  clientIp: string,
): string | null {
  if (on.kind === 'ip') return clientIp || null;
  const name = on.name!;
  if (on.kind === 'cookie') {
    const cookie = headers.cookie;
    return cookieValue(Array.isArray(cookie) ? cookie.join('; ') : cookie, name);
  }
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}
