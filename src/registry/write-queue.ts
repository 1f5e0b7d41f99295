/**
 * The registry's write queue. Each write names what it touches: one instance, one service, or
 * everything. A write starts as soon as no write queued before it touches the same thing, so writes
 * to different instances run together (and their store writes share one commit, see
 * store/sqlite.ts), while two writes of one instance, or of an instance and its whole service, keep
 * their order and never interleave between their store write and their memory update. An `all`
 * write (a load, lease expiry, a change another gateway made) waits for every earlier write, and
 * every later one waits for it.
 */
import { instanceKey } from './types.js';

export type WriteScope = { readonly service: string; readonly instance?: string } | 'all';

export interface WriteQueue {
  /** Runs `task` once no earlier write touches `scope`; settles as the task does. */
  run<T>(scope: WriteScope, task: () => T | Promise<T>): Promise<T>;
  /** Resolves once every write queued so far has settled. */
  idle(): Promise<void>;
}

interface Job {
  readonly scope: WriteScope;
  readonly start: () => void;
  readonly settled: Promise<unknown>;
  started: boolean;
  done: boolean;
}

export function createWriteQueue(): WriteQueue {
  // Queued and running writes, in the order they were queued.
  let jobs: Job[] = [];
  let pumping = false;

  function schedulePump(): void {
    if (pumping) return;
    pumping = true;
    queueMicrotask(pump);
  }

  /** Starts every queued write that nothing earlier blocks. O(queued + running). */
  function pump(): void {
    pumping = false;
    jobs = jobs.filter((job) => !job.done);
    const wholeServices = new Set<string>(); // touched whole by an earlier write
    const partServices = new Set<string>(); // with an instance touched by an earlier write
    const instances = new Set<string>();
    for (const [i, job] of jobs.entries()) {
      const { scope } = job;
      if (scope === 'all') {
        if (i === 0 && !job.started) job.start();
        return; // nothing after it may start
      }
      const { service, instance } = scope;
      const key = instance === undefined ? '' : instanceKey(service, instance);
      const free =
        !wholeServices.has(service) &&
        (instance === undefined ? !partServices.has(service) : !instances.has(key));
      if (free && !job.started) job.start();
      if (instance === undefined) wholeServices.add(service);
      else {
        partServices.add(service);
        instances.add(key);
      }
    }
  }

  function finish(job: Job): void {
    job.done = true;
    schedulePump();
  }

  return {
    run<T>(scope: WriteScope, task: () => T | Promise<T>): Promise<T> {
      let start!: () => void;
      const result = new Promise<T>((resolve, reject) => {
        start = () => {
          job.started = true;
          try {
            Promise.resolve(task()).then(resolve, reject);
          } catch (err) {
            reject(err);
          }
        };
      });
      const settled = result.then(
        () => finish(job),
        () => finish(job),
      );
      const job: Job = { scope, start, settled, started: false, done: false };
      jobs.push(job);
      schedulePump();
      return result;
    },
    async idle() {
      await Promise.all(jobs.map((job) => job.settled));
    },
  };
}
