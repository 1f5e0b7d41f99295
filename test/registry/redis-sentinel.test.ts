/**
 * REDIS_URL=redis+sentinel://…: a real Sentinel (redis-server --sentinel, on a free loopback port,
 * started and killed by this test) that knows the machine's Redis as its master. The Sentinel only
 * watches; nothing is written to the master but this test's own prefixed keys.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/registry/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { deletePrefix, freePort, uniquePrefix } from '../scale/redis-helpers.js';
import { registration, tempDir } from './fixtures.js';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

describe.skipIf(!hasRedisServer)('redis store through Sentinel', () => {
  let sentinel: ChildProcess | null = null;
  let port = 0;
  const { dir, cleanup } = tempDir('msa-sentinel-');
  const prefix = uniquePrefix();

  beforeAll(async () => {
    port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        'sentinel monitor msatest 127.0.0.1 6379 1',
        'sentinel down-after-milliseconds msatest 60000',
        '',
      ].join('\n'),
    );
    sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    await waitFor(
      () =>
        spawnSync('redis-cli', ['-p', String(port), 'sentinel', 'get-master-addr-by-name', 'msatest'])
          .stdout?.toString()
          .includes('6379'),
      10_000,
      'the sentinel to answer',
      100,
    );
  }, 20_000);

  afterAll(async () => {
    sentinel?.kill('SIGTERM');
    await deletePrefix(prefix);
    cleanup();
  });

  it('finds the master through the sentinel and stores there', async () => {
    const store = createRedisStore({ url: `redis+sentinel://127.0.0.1:${port}/msatest`, prefix });
    try {
      await store.put(registration());
      expect(await store.load()).toEqual([registration()]);
      expect(await store.ping()).toBe(true);
    } finally {
      await store.close();
    }
    // The same keys, read directly from the master.
    const direct = createRedisStore({ url: 'redis://127.0.0.1:6379', prefix });
    try {
      expect(await direct.load()).toEqual([registration()]);
    } finally {
      await direct.close();
    }
  });
});
