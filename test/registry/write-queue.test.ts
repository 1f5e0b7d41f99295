import { describe, expect, it } from 'vitest';
import { createWriteQueue, type WriteScope } from '../../src/registry/write-queue.js';

/** Writes that stay running until the test ends them; `log` records starts and ends in order. */
function setup() {
  const queue = createWriteQueue();
  const log: string[] = [];
  const ends = new Map<string, (fail?: boolean) => void>();
  const write = (name: string, scope: WriteScope) =>
    queue.run(scope, () => {
      log.push(`start ${name}`);
      return new Promise<string>((resolve, reject) =>
        ends.set(name, (fail) => {
          log.push(`end ${name}`);
          if (fail) reject(new Error(name));
          else resolve(name);
        }),
      );
    });
  const end = async (name: string, fail = false) => {
    ends.get(name)!(fail);
    for (let i = 0; i < 5; i++) await Promise.resolve(); // let the queue start what is now free
  };
  const tick = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { queue, log, write, end, tick };
}

describe('registry write queue', () => {
  it('runs writes to different instances together', async () => {
    const { log, write, end, tick } = setup();
    const a = write('a', { service: 's', instance: 'a' });
    const b = write('b', { service: 's', instance: 'b' });
    const c = write('c', { service: 't', instance: 'a' });
    await tick();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    await end('b');
    await end('a');
    await end('c');
    expect(await Promise.all([a, b, c])).toEqual(['a', 'b', 'c']);
  });

  it('keeps two writes of one instance in order, never overlapping', async () => {
    const { log, write, end, tick } = setup();
    write('first', { service: 's', instance: 'a' });
    write('second', { service: 's', instance: 'a' });
    write('other', { service: 's', instance: 'b' });
    await tick();
    expect(log).toEqual(['start first', 'start other']);
    await end('first');
    expect(log).toEqual(['start first', 'start other', 'end first', 'start second']);
  });

  it('a whole-service write waits for its instances and holds back later ones; other services go on', async () => {
    const { log, write, end, tick } = setup();
    write('i1', { service: 's', instance: 'a' });
    write('service', { service: 's' });
    write('i2', { service: 's', instance: 'b' });
    write('elsewhere', { service: 't', instance: 'a' });
    await tick();
    expect(log).toEqual(['start i1', 'start elsewhere']);
    await end('i1');
    expect(log.slice(2)).toEqual(['end i1', 'start service']);
    await end('service');
    expect(log.slice(4)).toEqual(['end service', 'start i2']);
  });

  it('an `all` write waits for every earlier write, and every later one waits for it', async () => {
    const { log, write, end, tick } = setup();
    write('a', { service: 's', instance: 'a' });
    write('all', 'all');
    write('b', { service: 't', instance: 'b' });
    await tick();
    expect(log).toEqual(['start a']);
    await end('a');
    expect(log).toEqual(['start a', 'end a', 'start all']);
    await end('all');
    expect(log).toEqual(['start a', 'end a', 'start all', 'end all', 'start b']);
  });

  it('a failed write frees what waited for it; idle() waits for everything queued', async () => {
    const { queue, log, write, end, tick } = setup();
    const failed = write('fails', { service: 's', instance: 'a' });
    const next = write('next', { service: 's', instance: 'a' });
    const thrown = queue.run({ service: 's', instance: 'b' }, () => {
      throw new Error('sync');
    });
    let idle = false;
    void queue.idle().then(() => {
      idle = true;
    });
    await tick();
    await end('fails', true);
    await expect(failed).rejects.toThrow('fails');
    await expect(thrown).rejects.toThrow('sync');
    expect(log).toContain('start next');
    await tick();
    expect(idle).toBe(false);
    await end('next');
    await expect(next).resolves.toBe('next');
    await tick();
    expect(idle).toBe(true);
  });
});
