/**
 * The one answer to "who is the client?" (TRUST_PROXY), used by the rate limiter, the admin
 * failure limiter and `hash_on: ip`. X-Forwarded-For is believed only as far as the chain of
 * trusted proxies reaches, walking from the socket peer leftwards (Express's proxy-addr rules):
 * - `false` (default): the socket peer; X-Forwarded-For is ignored.
 * - `true`: the leftmost X-Forwarded-For address (every hop trusted: only behind a proxy that
 *   overwrites the header).
 * - a hop count n: the address n hops left of the peer (1 = the rightmost X-Forwarded-For entry).
 * - IPs/CIDRs: hops whose address is listed are trusted; the first untrusted one is the client.
 * The proxy always appends the socket peer to X-Forwarded-For, whatever this decides.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TrustProxy } from '../config/index.js';
import { parseIpv6 } from './ip.js';

export type ClientIpResolver = (req: IncomingMessage) => string;

/** The socket peer, without the `::ffff:` of an IPv4 client on a dual-stack socket. */
export function peerAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** One X-Forwarded-For entry as an address (brackets and a port tolerated), or null. */
function hopAddress(entry: string): string | null {
  let s = entry.trim();
  if (s.startsWith('[')) s = s.slice(1, s.indexOf(']') < 0 ? s.length : s.indexOf(']'));
  else if (/^[\d.]+:\d+$/.test(s)) s = s.slice(0, s.indexOf(':'));
  if (s.startsWith('::ffff:') && s.includes('.')) s = s.slice(7);
  return isIP(s) === 0 ? null : s;
}

/** Addresses from the peer leftwards: [peer, rightmost XFF entry, …]; stops at the first malformed entry. */
function hops(req: IncomingMessage): string[] {
  const out = [peerAddress(req)];
  const header = req.headers['x-forwarded-for'];
  if (typeof header !== 'string' || header === '') return out;
  const entries = header.split(',');
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = hopAddress(entries[i]!);
    // A trusted proxy that passed on garbage: the address it was reached from is what we know.
    if (address === null) break;
    out.push(address);
  }
  return out;
}

function trustListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

const kClientIp = Symbol('clientIp');
type Tagged = IncomingMessage & { [kClientIp]?: string };

/** The resolver for a TRUST_PROXY setting; with X-Forwarded-For in play the answer is memoized on the request. */
export function createClientIpResolver(trust: TrustProxy): ClientIpResolver {
  if (trust === false || trust === 0 || (Array.isArray(trust) && trust.length === 0)) return peerAddress;
  let pick: (chain: string[]) => string;
  if (trust === true) pick = (chain) => chain[chain.length - 1]!;
  else if (typeof trust === 'number') pick = (chain) => chain[Math.min(trust, chain.length - 1)]!;
  else {
    const list = trustListOf(trust as readonly string[]);
    pick = (chain) => {
      for (const address of chain) {
        if (!list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')) return address;
      }
      return chain[chain.length - 1]!;
    };
  }
  return (req) => {
    const tagged = req as Tagged;
    let ip = tagged[kClientIp];
    if (ip === undefined) {
      ip = pick(hops(req));
      tagged[kClientIp] = ip;
    }
    return ip;
  };
}

/**
 * The rate-limit key of a client address: IPv6 clients by their /64, since one host usually holds
 * a whole /64 and could otherwise rotate through fresh addresses to dodge a per-address budget.
 */
export function limitKeyOf(ip: string): string {
  if (!ip.includes(':')) return ip;
  const words = parseIpv6(ip);
  if (words === null) return ip;
  return `${words
    .slice(0, 4)
    .map((w) => w.toString(16))
    .join(':')}::/64`;
}
