/**
 * REDIS_URL → ioredis options. Accepted forms:
 * - `redis://[user:password@]host[:port][/db]` and `rediss://…` (TLS);
 * - `redis+sentinel://[user:password@]host[:port][,host[:port]…]/master-name[/db]`, with an optional
 *   `?sentinel_password=…` (and `sentinel_username`) when the sentinels require their own auth.
 * Redis Cluster URLs are not supported (the store's keys share one hash tag, so a Cluster client
 * could be added without changing the data layout).
 */
import type { RedisOptions } from 'ioredis';

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

function hostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new Error(`invalid host "${text}" in REDIS_URL`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65_535) throw new Error(`invalid port in REDIS_URL host "${text}"`);
  return { host, port };
}

function credentials(auth: string): Pick<RedisOptions, 'username' | 'password'> {
  if (auth === '') return {};
  const at = auth.indexOf(':');
  const username = decodeURIComponent(at === -1 ? auth : auth.slice(0, at));
  const password = at === -1 ? undefined : decodeURIComponent(auth.slice(at + 1));
  // `redis://:secret@host` is the usual spelling of a password without a user name.
  return { ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

function database(text: string | undefined): Pick<RedisOptions, 'db'> {
  if (text === undefined || text === '') return {};
  if (!/^\d+$/.test(text)) throw new Error(`invalid database "${text}" in REDIS_URL`);
  return { db: Number(text) };
}

function sentinelOptions(rest: string): RedisOptions {
  const [main = '', query = ''] = rest.split('?', 2);
  const at = main.lastIndexOf('@');
  const auth = at === -1 ? '' : main.slice(0, at);
  const [hosts = '', name, db, ...extra] = main.slice(at + 1).split('/');
  if (!name || extra.length > 0) {
    throw new Error('REDIS_URL redis+sentinel:// needs the form host:port[,host:port…]/master-name[/db]');
  }
  const params = new URLSearchParams(query);
  const sentinelPassword = params.get('sentinel_password');
  const sentinelUsername = params.get('sentinel_username');
  return {
    sentinels: hosts.split(',').map((h) => hostPort(h.trim(), DEFAULT_SENTINEL_PORT)),
    name: decodeURIComponent(name),
    ...credentials(auth),
    ...database(db),
    ...(sentinelPassword ? { sentinelPassword } : {}),
    ...(sentinelUsername ? { sentinelUsername } : {}),
  };
}

function standaloneOptions(url: URL): RedisOptions {
  const auth = url.username || url.password ? `${url.username}:${url.password}` : '';
  const { host, port } = hostPort(url.host || '127.0.0.1', DEFAULT_PORT);
  return {
    host,
    port,
    ...credentials(auth),
    ...database(url.pathname.replace(/^\//, '')),
    ...(url.protocol === 'rediss:' ? { tls: { servername: host } } : {}),
  };
}

/** Connection options for a REDIS_URL; throws an Error naming what is wrong. */
export function redisOptionsFromUrl(raw: string): RedisOptions {
  const text = raw.trim();
  const sentinel = /^redis\+sentinel:\/\/(.*)$/i.exec(text);
  if (sentinel) return sentinelOptions(sentinel[1]!);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`REDIS_URL is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must use redis://, rediss:// or redis+sentinel://, got "${url.protocol}"`);
  }
  return standaloneOptions(url);
}

/** The URL without its password, for logs. */
export function describeRedisUrl(raw: string): string {
  return raw.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');
}
