import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { http } from '../samples/helpers.js';
import { assertPortFree, cleanEnv, isRunning, killGroup, type Watched, watch } from './process-helpers.js';

/**
 * `npm start` as a user runs it: the gateway and the three samples on the fixed ports
 * 8000-8003 (loopback only here), the development static routes, and a clean stop. No other
 * test uses these ports.
 */

const GATEWAY = 'http://127.0.0.1:8000';
const dataDir = mkdtempSync(join(tmpdir(), 'msa-npm-start-'));
let started: Watched | undefined;
const pids: number[] = [];

afterAll(() => {
  // Only after a failure is anything left; take it down so later tests get the ports.
  for (const pid of [...pids, ...(started ? [started.pid] : [])]) killGroup(pid);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('stops everything and exits 1 with a clear line when the gateway cannot start', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = String((busy.address() as AddressInfo).port);
    try {
      const failed = watch(
        process.execPath,
        ['scripts/run.mjs', 'start'],
        cleanEnv({ HOST: '127.0.0.1', PORT: port }),
      );
      expect(await failed.exited).toEqual({ code: 1, signal: null });
      expect(failed.output()).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(failed.output()).toMatch(/✗ gateway exited with code 1; stopping everything/);
      expect(failed.output()).not.toContain('user-service started');
    } finally {
      busy.close();
    }
  }, 150_000);

  it('runs gateway + samples, routes through the gateway, and leaves no process after SIGTERM', async () => {
    for (const port of [8000, 8001, 8002, 8003]) await assertPortFree(port);
    started = watch(
      'npm',
      ['start'],
      cleanEnv({ HOST: '127.0.0.1', REGISTRY_PATH: join(dataDir, 'registry.db') }),
    );
    // A fresh clone builds first, so the deadline is generous.
    await started.waitFor(/Press Ctrl-C to stop/, 150_000);
    const output = started.output();
    pids.push(Number(output.match(/orchestrator pid (\d+)/)![1]));
    for (const name of ['gateway', 'user-service', 'product-service', 'order-service']) {
      pids.push(Number(output.match(new RegExp(`${name} started \\(pid (\\d+)`))![1]));
    }
    for (const line of [
      'http://localhost:8000/docs',
      'http://localhost:8001',
      'http://localhost:8002',
      'http://localhost:8003',
    ]) {
      expect(output).toContain(line);
    }

    const users = await http('GET', `${GATEWAY}/api/users`);
    expect(users.status).toBe(200);
    expect(users.body.items.map((u: { name: string }) => u.name)).toEqual(
      expect.arrayContaining(['Alice Kim', 'Bob Lee']),
    );

    const orders = await http('GET', `${GATEWAY}/proxy/order-service/api/orders`);
    expect(orders.status).toBe(200);
    expect(orders.body.total).toBeGreaterThanOrEqual(1);
    const order = await http('POST', `${GATEWAY}/proxy/order-service/api/orders`, {
      user_id: 2,
      items: [{ product_id: 2, quantity: 2 }],
    });
    expect(order.status).toBe(201);
    expect(order.body.total).toBe(49);

    // The samples registered themselves, each once, with a lease.
    const services = await http('GET', `${GATEWAY}/api/discovery/services`);
    const samples = services.body.services.filter((s: { service_name: string }) =>
      s.service_name.endsWith('-service'),
    );
    expect(samples.map((s: { instances: unknown[] }) => s.instances.length)).toEqual([1, 1, 1]);
    for (const s of samples) expect(s.instances[0].lease_expires_at).not.toBeNull();

    // SIGTERM to npm alone, as a process manager might send it: everything must go.
    process.kill(started.pid, 'SIGTERM');
    await started.closed;
    await waitFor(() => !pids.some(isRunning), 20_000, 'every child to exit');
    expect(started.output()).toMatch(/stopped 4 process\(es\)/);
    expect(started.output()).not.toMatch(/✗/);
  }, 240_000);
});
