/**
 * Private Redis servers for tests that need a topology the machine's Redis does not have: a
 * 3-master Cluster, a master with a replica and a Sentinel. Each server is a `redis-server` child
 * process of the test on free loopback ports, with no persistence, in its own temporary directory;
 * `stop()` ends exactly those processes (by PID) and removes the directory.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../helpers/wait-for.js';

const run = promisify(execFile);

/** redis-server and redis-cli are installed (CI installs them; elsewhere these tests are skipped). */
export const hasRedisServer =
  spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-cli', ['--version']).status === 0;

/** Is `port` free on 127.0.0.1 right now? */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port below 40000 that is free, and (for cluster nodes) whose cluster bus port, port + 10000,
 * is free too. Random, so test files running in parallel rarely pick the same one; a server that
 * still finds it taken fails to start and the caller tries another.
 */
async function pickPort(withBus: boolean): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await isFree(port)) && (!withBus || (await isFree(port + 10_000)))) return port;
  }
  throw new Error('no free port pair found');
}

/** Does a server answer PING on `port`? */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/** `redis-cli -p <port> <args…>`, its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

export interface RedisServer {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/** One `redis-server` on a free port (args after the port), answering PING when this resolves. */
async function startServer(
  dir: string,
  args: (port: number) => string[],
  options: { withBus?: boolean; configFile?: (port: number) => string } = {},
): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort(options.withBus ?? false);
    const configArgs = options.configFile ? [options.configFile(port)] : [];
    const child = spawn('redis-server', [...configArgs, '--port', String(port), ...args(port)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    });
    const server: RedisServer = { port, pid: child.pid!, stop: () => stopChild(child) };
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
          return answersPing(port);
        },
        5_000,
        `redis-server on port ${port}`,
        50,
      );
      return server;
    } catch (err) {
      await server.stop();
      if (attempt >= 3) throw err; // the port was taken meanwhile, probably: another one
    }
  }
}

const NO_PERSISTENCE = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--daemonize', 'no'];

/** Temporary directories and servers of one test file, stopped and removed together. */
class Servers {
  readonly dir = mkdtempSync(join(tmpdir(), 'msa-gateway-redis-'));
  readonly servers: RedisServer[] = [];

  async start(args: (port: number) => string[], options?: Parameters<typeof startServer>[2]) {
    const server = await startServer(this.dir, args, options);
    this.servers.push(server);
    return server;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3` */
  readonly url: string;
  readonly nodes: readonly RedisServer[];
  stop(): Promise<void>;
}

/** `masters` cluster-enabled servers joined into one cluster (no replicas), state ok. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const servers = new Servers();
  try {
    for (let i = 0; i < masters; i++) {
      await servers.start(
        (port) => [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(servers.dir, `nodes-${port}.conf`),
          ...NO_PERSISTENCE,
        ],
        { withBus: true },
      );
    }
    const addresses = servers.servers.map((s) => `127.0.0.1:${s.port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 20_000,
      },
    );
    for (const node of servers.servers) {
      await waitFor(
        async () => (await redisCli(node.port, 'cluster', 'info')).includes('cluster_state:ok'),
        10_000,
        `cluster_state:ok on ${node.port}`,
        100,
      );
    }
    return {
      url: `redis+cluster://${addresses.join(',')}`,
      nodes: [...servers.servers],
      stop: () => servers.stop(),
    };
  } catch (err) {
    await servers.stop();
    throw err;
  }
}

export interface RedisSentinelSetup {
  /** `redis+sentinel://127.0.0.1:S/mymaster` */
  readonly url: string;
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly sentinel: RedisServer;
  stop(): Promise<void>;
}

/** A master, its replica, and one Sentinel (quorum 1) that monitors them as `mymaster`. */
export async function startRedisSentinel(): Promise<RedisSentinelSetup> {
  const servers = new Servers();
  try {
    const master = await servers.start(() => NO_PERSISTENCE);
    const replica = await servers.start(() => [
      ...NO_PERSISTENCE,
      '--replicaof',
      '127.0.0.1',
      String(master.port),
    ]);
    await waitFor(
      async () => (await redisCli(replica.port, 'info', 'replication')).includes('master_link_status:up'),
      10_000,
      'the replica to sync',
      100,
    );
    const sentinel = await servers.start(() => ['--sentinel'], {
      // Sentinel needs a config file it may rewrite; the monitored master is named in it.
      configFile: (port) => {
        const file = join(servers.dir, `sentinel-${port}.conf`);
        writeFileSync(
          file,
          [
            'bind 127.0.0.1',
            `dir ${servers.dir}`,
            `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
            'sentinel down-after-milliseconds mymaster 1000',
            'sentinel failover-timeout mymaster 5000',
            '',
          ].join('\n'),
        );
        return file;
      },
    });
    return {
      url: `redis+sentinel://127.0.0.1:${sentinel.port}/mymaster`,
      master,
      replica,
      sentinel,
      stop: () => servers.stop(),
    };
  } catch (err) {
    await servers.stop();
    throw err;
  }
}
