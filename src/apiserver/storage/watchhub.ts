// In-process watch fan-out shared by the local backends (memory, SQLite). A backend calls
// `publish` after each committed write and `watch` with a history source for past revisions.
//
// Ordering guarantee: every delivery (history replay and live fan-out) runs as a job on one FIFO
// queue, drained by whoever enqueued first. A write made from inside a watch callback therefore
// queues its event behind the one being delivered instead of overtaking it for the watchers that
// have not been called yet. Each watcher also remembers the last revision it was given, so no
// event reaches it twice or out of order.

import type { Watch, WatchCallbacks, WatchEvent } from './types.ts';

interface Watcher {
  readonly prefix: string;
  readonly cb: WatchCallbacks;
  /** Revision of the last event given to this watcher (or replayed past). */
  lastRev: number;
  /** While true, live events are skipped: the replay job covers everything up to its end revision. */
  replaying: boolean;
  done: boolean;
}

/** Delivers store events to prefix watchers in revision order, replaying history before live events. */
export class WatchHub {
  readonly #watchers = new Set<Watcher>();
  readonly #jobs: Array<() => void> = [];
  #running = false;

  /** Number of active watchers. */
  get size(): number {
    return this.#watchers.size;
  }

  /** Fans a committed write out to the matching watchers. Call once per write, in revision order. */
  publish(ev: WatchEvent): void {
    // A watcher registered later replays this revision from history, so nobody needs it now.
    if (this.#watchers.size === 0) return;
    this.#run(() => {
      const rev = ev.kv.modRevision;
      for (const w of this.#watchers) {
        if (!w.replaying && rev > w.lastRev && ev.kv.key.startsWith(w.prefix)) this.#deliver(w, ev);
      }
    });
  }

  /**
   * Registers a watcher for keys with `prefix` and replays `history`, which must yield the events
   * in (afterRevision, uptoRevision] in revision order; `uptoRevision` must be the store's revision
   * at this call, so every later write reaches the watcher through `publish`. History may throw
   * (e.g. StoreError 'compacted' when compaction overtakes the replay): the watcher then ends with onError.
   */
  watch(
    prefix: string,
    afterRevision: number,
    uptoRevision: number,
    cb: WatchCallbacks,
    history: Iterable<WatchEvent>,
  ): Watch {
    const w: Watcher = { prefix, cb, lastRev: afterRevision, replaying: true, done: false };
    this.#watchers.add(w);
    this.#run(() => {
      try {
        for (const ev of history) {
          if (w.done) break;
          if (ev.kv.modRevision > w.lastRev && ev.kv.key.startsWith(prefix)) this.#deliver(w, ev);
        }
      } catch (err) {
        this.#end(w, toError(err));
        return;
      }
      if (w.lastRev < uptoRevision) w.lastRev = uptoRevision;
      w.replaying = false;
    });
    return {
      cancel: () => {
        w.done = true;
        this.#watchers.delete(w);
      },
    };
  }

  /** Ends every watcher with `err` (given to onError); used when the store closes. */
  close(err: Error): void {
    for (const w of [...this.#watchers]) this.#end(w, err);
  }

  #run(job: () => void): void {
    this.#jobs.push(job);
    if (this.#running) return; // the outer drain loop below will run it, in order
    this.#running = true;
    try {
      // Jobs catch their own errors (see #deliver), so none is skipped.
      for (let i = 0; i < this.#jobs.length; i++) (this.#jobs[i] as () => void)();
    } finally {
      this.#jobs.length = 0;
      this.#running = false;
    }
  }

  #deliver(w: Watcher, ev: WatchEvent): void {
    w.lastRev = ev.kv.modRevision;
    try {
      w.cb.onEvent(ev);
    } catch (err) {
      // A consumer that throws has lost track of the stream; end its watch rather than the store's.
      this.#end(w, toError(err));
    }
  }

  #end(w: Watcher, err: Error): void {
    if (w.done) return;
    w.done = true;
    this.#watchers.delete(w);
    try {
      w.cb.onError?.(err);
    } catch {
      // The watch is over either way; an error from its own error handler has nowhere to go.
    }
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
