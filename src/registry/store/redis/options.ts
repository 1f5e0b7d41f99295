/**
 * REDIS_URL → where and how to connect. Accepted forms (docs/scaling.md):
 * - one server: `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS);
 * - Sentinel: `redis+sentinel://[user:password@]host[:port][,host[:port]…]/master-name[/db]`, with
 *   `?sentinel_password=…` (and `sentinel_username=…`) when the sentinels have their own auth; the
 *   user and password are the data nodes'. Default sentinel port 26379;
 * - Cluster: `redis+cluster://[user:password@]host[:port][,host[:port]…]` (seed nodes: any few
 *   nodes of the cluster; the others are discovered), `rediss+cluster://…` (TLS). No database
 *   number: a cluster has only database 0.
 * `redis-sentinel://` and `redis-cluster://` are accepted spellings of the `+` schemes.
 * Pure (only ioredis types): the configuration loader validates REDIS_URL with the same parser.
 */
import type { RedisOptions } from 'ioredis';

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Where REDIS_URL points, as ioredis takes it. */
export type RedisTarget =
  /** One server, or (with `sentinels` and `name`) the master that Sentinel names. */
  | { readonly kind: 'standalone' | 'sentinel'; readonly options: RedisOptions }
  /** A Cluster: seed nodes, and the options of every node connection (auth, TLS). */
  | { readonly kind: 'cluster'; readonly nodes: readonly RedisNode[]; readonly options: RedisOptions };

/** The URL without its password, for logs and error messages. */
export function describeRedisUrl(raw: string): string {
  return raw.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');
}

function fail(raw: string, problem: string): never {
  throw new Error(`REDIS_URL ${problem}, got "${describeRedisUrl(raw)}"`);
}

function hostPort(raw: string, text: string, defaultPort: number): RedisNode {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) fail(raw, `has an invalid host "${text}"`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65_535) fail(raw, `has an invalid port in "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function credentials(auth: string): Pick<RedisOptions, 'username' | 'password'> {
  if (auth === '') return {};
  const colon = auth.indexOf(':');
  const username = decodeURIComponent(colon === -1 ? auth : auth.slice(0, colon));
  const password = colon === -1 ? undefined : decodeURIComponent(auth.slice(colon + 1));
  // `redis://:secret@host` is the usual spelling of a password without a user name.
  return { ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

function database(raw: string, text: string | undefined): Pick<RedisOptions, 'db'> {
  if (text === undefined || text === '') return {};
  if (!/^\d{1,5}$/.test(text)) fail(raw, `has an invalid database number "${text}"`);
  return { db: Number(text) };
}

/** `[auth@]host[:port],host[:port]…[/path][?query]`: a host list, which WHATWG URL cannot read. */
function splitHostList(raw: string, rest: string, defaultPort: number, allowedParams: readonly string[]) {
  const q = rest.indexOf('?');
  const main = q === -1 ? rest : rest.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : rest.slice(q + 1));
  for (const name of params.keys()) {
    if (!allowedParams.includes(name)) {
      const known = allowedParams.length > 0 ? ` (known: ${allowedParams.join(', ')})` : '';
      fail(raw, `has an unknown parameter "${name}"${known}`);
    }
  }
  const slash = main.indexOf('/');
  const authority = slash === -1 ? main : main.slice(0, slash);
  const path = slash === -1 ? [] : main.slice(slash + 1).split('/');
  const at = authority.lastIndexOf('@');
  const hosts = authority.slice(at + 1);
  if (hosts === '') fail(raw, 'names no host');
  return {
    auth: at === -1 ? '' : authority.slice(0, at),
    nodes: hosts.split(',').map((h) => hostPort(raw, h.trim(), defaultPort)),
    path,
    params,
  };
}

function sentinelTarget(raw: string, rest: string): RedisTarget {
  const parts = splitHostList(raw, rest, DEFAULT_SENTINEL_PORT, ['sentinel_password', 'sentinel_username']);
  const [name, db, ...extra] = parts.path;
  if (!name || extra.length > 0) {
    fail(raw, 'must look like redis+sentinel://host:26379,host:26379/mymaster[/db]');
  }
  const sentinelPassword = parts.params.get('sentinel_password');
  const sentinelUsername = parts.params.get('sentinel_username');
  return {
    kind: 'sentinel',
    options: {
      sentinels: parts.nodes.map((n) => ({ host: n.host, port: n.port })),
      name: decodeURIComponent(name),
      ...credentials(parts.auth),
      ...database(raw, db),
      ...(sentinelPassword ? { sentinelPassword } : {}),
      ...(sentinelUsername ? { sentinelUsername } : {}),
    },
  };
}

function clusterTarget(raw: string, rest: string, tls: boolean): RedisTarget {
  const parts = splitHostList(raw, rest, DEFAULT_PORT, []);
  if (parts.path.some((p) => p !== '')) {
    fail(raw, 'for a cluster takes no database number (a Redis Cluster has only database 0)');
  }
  return {
    kind: 'cluster',
    nodes: parts.nodes,
    // The nodes' certificates name their own hosts, which the seed list does not know: SNI is left to ioredis.
    options: { ...credentials(parts.auth), ...(tls ? { tls: {} } : {}) },
  };
}

function standaloneTarget(raw: string, text: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(raw, 'must be a URL such as redis://127.0.0.1:6379');
  }
  const auth = url.username || url.password ? `${url.username}:${url.password}` : '';
  const { host, port } = hostPort(raw, url.host || '127.0.0.1', DEFAULT_PORT);
  return {
    kind: 'standalone',
    options: {
      host,
      port,
      ...credentials(auth),
      ...database(raw, url.pathname.replace(/^\//, '')),
      ...(url.protocol === 'rediss:' ? { tls: { servername: host } } : {}),
    },
  };
}

/** Reads a REDIS_URL; throws an Error whose one-line message starts with REDIS_URL. */
export function parseRedisUrl(raw: string): RedisTarget {
  const text = raw.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (!scheme) fail(raw, 'must be a URL such as redis://127.0.0.1:6379');
  const name = scheme[1]!.toLowerCase();
  const rest = scheme[2]!;
  switch (name) {
    case 'redis':
    case 'rediss':
      return standaloneTarget(raw, text);
    case 'redis+sentinel':
    case 'redis-sentinel':
      return sentinelTarget(raw, rest);
    case 'redis+cluster':
    case 'redis-cluster':
    case 'rediss+cluster':
    case 'rediss-cluster':
      return clusterTarget(raw, rest, name.startsWith('rediss'));
    default:
      return fail(
        raw,
        'must use redis://, rediss://, redis+sentinel://, redis+cluster:// or rediss+cluster://',
      );
  }
}
