/**
 * Following a shared store: the changes it reports are applied in the registry's write queue (so
 * they keep the store's order and never interleave with a local write), and a `resync` reloads
 * everything, retrying until the store answers. While a reload is owed the view may lack changes,
 * so the registry reports itself not ready.
 */
import type { Logger } from 'pino';
import type { RegistryStore, StoreChange } from './store/types.js';
import { applyChange, applySnapshot, type View } from './sync.js';
import type { Clock } from './types.js';

/** After a failed reload (the store is still unreachable), try again after this long. */
const RESYNC_RETRY_MS = 1_000;

export interface FollowerDeps {
  readonly store: RegistryStore;
  readonly view: View;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Runs a task in the registry's write queue. */
  enqueue(task: () => unknown): Promise<unknown>;
  /** Loaded and not closed: changes apply only then (before the first load, that load covers them). */
  live(): boolean;
}

export interface Follower {
  onChange(change: StoreChange): void;
  /** A reload is owed (the view may be behind the store). */
  readonly stale: boolean;
  /** The first load succeeded: nothing is owed any more. */
  loaded(): void;
  close(): void;
}

export function createFollower(deps: FollowerDeps): Follower {
  const { store, view, clock, logger } = deps;
  let stale = false;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  function resync(): void {
    stale = true;
    void deps.enqueue(async () => {
      if (!deps.live()) return;
      try {
        const rows = await store.load();
        if (!deps.live()) return;
        applySnapshot(view, rows, clock.now());
        stale = false;
        logger?.info({ instances: view.members.instanceCount }, 'registry resynchronized with the store');
      } catch (err) {
        logger?.warn({ err }, 'registry resync failed; retrying');
        if (closed) return;
        retry ??= setTimeout(() => {
          retry = null;
          resync();
        }, RESYNC_RETRY_MS).unref();
      }
    });
  }

  return {
    onChange(change) {
      if (closed) return;
      if (change.type === 'resync') resync();
      else void deps.enqueue(() => deps.live() && applyChange(view, change, clock.now()));
    },
    get stale() {
      return stale;
    },
    loaded() {
      stale = false;
    },
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
    },
  };
}
