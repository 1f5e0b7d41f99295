import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/spawn-gateway.js';

/** docker-commands.sh against a stand-in `docker` that prints what it was asked to run. */

const bin = mkdtempSync(join(tmpdir(), 'msa-fake-docker-'));
writeFileSync(
  join(bin, 'docker'),
  '#!/bin/sh\n[ "$1 $2" = "compose version" ] && exit 0\necho "docker $*"\n',
);
chmodSync(join(bin, 'docker'), 0o755);
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const { GATEWAY_ADMIN_TOKEN: _, ...outer } = process.env;
  const result = spawnSync('bash', ['docker-commands.sh', ...args], {
    cwd: ROOT,
    env: { ...outer, PATH: `${bin}:${process.env.PATH}`, ...env },
    encoding: 'utf8',
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('docker-commands.sh', () => {
  it('prints the command guide of the original README without arguments', () => {
    const { code, out } = run([]);
    expect(code).toBe(0);
    for (const command of [
      'docker compose up --build',
      'docker compose -f docker-compose.prod.yml up --build',
      'docker compose down',
      'docker ps',
      'docker logs msa-gateway',
    ]) {
      expect(out).toContain(command);
    }
  });

  it.each([
    [['up'], 'docker compose up --build'],
    [['down'], 'docker compose down'],
    [['logs'], 'docker logs -f msa-gateway'],
    [['logs', 'order-service'], 'docker compose logs -f order-service'],
    [['build'], 'docker build -f Dockerfile -t msa-gateway:prod .'],
  ])('%j runs %s', (args, expected) => {
    expect(run(args).out.trim()).toBe(expected);
  });

  it('refuses `prod` without GATEWAY_ADMIN_TOKEN and runs it with one', () => {
    const without = run(['prod']);
    expect(without.code).toBe(1);
    expect(without.err).toContain('GATEWAY_ADMIN_TOKEN');
    const withToken = run(['prod'], { GATEWAY_ADMIN_TOKEN: 'a-long-token' });
    expect(withToken.out.trim()).toBe('docker compose -f docker-compose.prod.yml up --build');
  });

  it('answers an unknown command with exit code 2 and the guide', () => {
    const { code, err } = run(['nope']);
    expect(code).toBe(2);
    expect(err).toContain('unknown command: nope');
  });
});
