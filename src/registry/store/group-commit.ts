/**
 * Group commit over one better-sqlite3 connection: writes that arrive together are applied in one
 * transaction, so they share one fsync of the WAL instead of paying one each.
 *
 * When to commit: a write that comes alone is committed at once (at the end of the current
 * microtask queue: writes started in the same synchronous run still join it). Once a commit has
 * run in this turn of the event loop, later writes wait for the end of the turn (`setImmediate`,
 * after the poll phase), so the writes of every request read in that turn go together; under a
 * steady stream of writes that is one commit per turn.
 *
 * Each write runs in its own savepoint, so a failing statement fails only its own write; writes
 * apply in the order they were queued; every promise settles after the commit. Should the
 * transaction itself fail (BEGIN, COMMIT, or an error after which SQLite rolled it back), nothing
 * of it is stored, so each write runs again on its own and settles with its own result.
 */
// Node's own functions, not the globals: the commit window follows the event loop, not a clock, so
// tests that fake timers (replacing the global setImmediate) still get their writes committed.
import { clearImmediate, setImmediate } from 'node:timers';
import type Database from 'better-sqlite3';

export interface GroupCommit {
  /** Queues `run` (synchronous statements); resolves with its result after the commit. */
  submit<T>(run: () => T): Promise<T>;
  /** Commits every queued write now (before a read, or closing). */
  flush(): void;
}

/** One queued write: the statements to run, and the promise to settle after the commit. */
interface Write {
  readonly run: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: unknown };

function attempt(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (err) {
    return { ok: false, err };
  }
}

/** `onCommit` is told the number of writes of each flush (tests, diagnostics). */
export function createGroupCommit(db: Database.Database, onCommit?: (writes: number) => void): GroupCommit {
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const savepoint = db.prepare('SAVEPOINT w');
  const release = db.prepare('RELEASE w');
  const undo = db.prepare('ROLLBACK TO w');
  let queue: Write[] = [];
  let microtask = false;
  let immediate: NodeJS.Immediate | null = null;
  // A commit ran in this turn of the event loop; cleared at the turn's end (check phase).
  let busyTurn = false;

  function inOneTransaction(batch: readonly Write[]): Outcome[] | null {
    const outcomes: Outcome[] = [];
    try {
      begin.run();
      for (const write of batch) {
        savepoint.run();
        const outcome = attempt(write.run);
        if (!db.inTransaction) return null; // SQLite rolled the whole transaction back
        if (!outcome.ok) undo.run();
        release.run();
        outcomes.push(outcome);
      }
      commit.run();
      return outcomes;
    } catch {
      return null;
    } finally {
      if (db.inTransaction) attempt(() => rollback.run());
    }
  }

  function flush(): void {
    microtask = false;
    if (immediate) clearImmediate(immediate);
    immediate = null;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    if (!busyTurn) {
      busyTurn = true;
      setImmediate(() => {
        busyTurn = false;
      });
    }
    const outcomes = (batch.length > 1 && inOneTransaction(batch)) || batch.map((w) => attempt(w.run));
    onCommit?.(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.ok) batch[i]!.resolve(outcome.value);
      else batch[i]!.reject(outcome.err);
    }
  }

  function schedule(): void {
    if (microtask || immediate) return;
    if (busyTurn) {
      immediate = setImmediate(flush);
    } else {
      microtask = true;
      queueMicrotask(() => {
        if (microtask) flush();
      });
    }
  }

  return {
    submit<T>(run: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      });
    },
    flush,
  };
}
