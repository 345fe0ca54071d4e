// A small controller runner: N workers pull `namespace/name` keys from a rate-limited work queue
// and call `reconcile(key)`; a failure is retried with back-off, a success forgets the key's
// failures. Workers start only after the informers they depend on have synced, so a controller
// never acts on a partial view. The loop never throws outward: it logs and retries.
import type { KubeObject } from '../api/types.ts';
import { realClock, type Clock } from './clock.ts';
import type { EventHandler, LogFn } from './informer.ts';
import { keyOf } from './types.ts';
import { WorkQueue, type RateLimiter } from './workqueue.ts';

/** What a reconcile may ask for besides success. */
export interface ReconcileResult {
  /** Process the key again after this many ms (e.g. a grace period runs out). */
  requeueAfterMs?: number;
}

export interface ControllerOptions {
  /** For log lines. */
  name: string;
  /** Brings the world in line for one key. Throwing (or rejecting) retries it with back-off. */
  reconcile: (key: string) => Promise<ReconcileResult | void>;
  /** Concurrent workers (default 1). One key is never reconciled by two workers at once. */
  workers?: number;
  /** Default: client-go's controller rate limiter on `clock`. */
  rateLimiter?: RateLimiter;
  clock?: Clock;
  log?: LogFn;
  /** Retries before a key is dropped (and logged); default unlimited. */
  maxRetries?: number;
  /** Things to wait for before the first reconcile (informers, factories). */
  waitFor?: ReadonlyArray<{ waitForSync(signal?: AbortSignal): Promise<void> }>;
}

/** Counters, for tests and metrics. */
export interface ControllerStats {
  reconciles: number;
  errors: number;
  dropped: number;
}

/** Runs reconcile over a work queue. */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  readonly stats: ControllerStats = { reconciles: 0, errors: 0, dropped: 0 };
  readonly #opts: ControllerOptions;
  readonly #log: LogFn;
  readonly #stopper = new AbortController();
  #running: Promise<void> | undefined;

  constructor(opts: ControllerOptions) {
    this.name = opts.name;
    this.#opts = opts;
    this.#log = opts.log ?? (() => undefined);
    const clock = opts.clock ?? realClock;
    this.queue = new WorkQueue<string>({ name: opts.name, clock, ...(opts.rateLimiter !== undefined ? { rateLimiter: opts.rateLimiter } : {}) });
  }

  /** Queues an object's key (or a key). */
  enqueue(objOrKey: Pick<KubeObject, 'metadata'> | string): void {
    this.queue.add(typeof objOrKey === 'string' ? objOrKey : keyOf(objOrKey));
  }

  enqueueAfter(objOrKey: Pick<KubeObject, 'metadata'> | string, ms: number): void {
    this.queue.addAfter(typeof objOrKey === 'string' ? objOrKey : keyOf(objOrKey), ms);
  }

  /**
   * An informer handler that queues keys on add, update (resyncs included) and delete. `keys` maps
   * an object to the keys to queue (default: its own), e.g. a Pod to its owner's key.
   */
  handler<T extends KubeObject>(keys: (obj: T) => readonly string[] = (o) => [keyOf(o)]): EventHandler<T> {
    const add = (o: T): void => {
      for (const k of keys(o)) this.queue.add(k);
    };
    return {
      onAdd: (o) => add(o),
      onUpdate: (old, o) => {
        add(o);
        if (old !== o) {
          // A changed selector or owner: the old state's keys may need work too.
          for (const k of keys(old)) this.queue.add(k);
        }
      },
      onDelete: (o) => add(o),
    };
  }

  /**
   * Waits for `waitFor`, then runs the workers until `stop()`. Resolves when the workers have
   * finished (or when stopped before the caches synced); reconcile errors never reject it.
   */
  run(): Promise<void> {
    this.#running ??= this.#run();
    return this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#stopper.signal;
    try {
      await Promise.all((this.#opts.waitFor ?? []).map((w) => w.waitForSync(signal)));
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const n = Math.max(1, this.#opts.workers ?? 1);
    await Promise.all(Array.from({ length: n }, () => this.#worker()));
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        this.stats.reconciles++;
        const out = await this.#opts.reconcile(key);
        this.queue.forget(key);
        if (out !== undefined && out.requeueAfterMs !== undefined && out.requeueAfterMs >= 0) this.queue.addAfter(key, out.requeueAfterMs);
      } catch (err) {
        this.stats.errors++;
        const max = this.#opts.maxRetries ?? Number.POSITIVE_INFINITY;
        const msg = err instanceof Error ? err.message : String(err);
        if (this.queue.numRequeues(key) < max) {
          this.#log('warn', `${this.name}: reconcile ${key}: ${msg}; retrying`);
          this.queue.addRateLimited(key);
        } else {
          this.stats.dropped++;
          this.#log('error', `${this.name}: reconcile ${key}: ${msg}; dropped after ${max} retries`);
          this.queue.forget(key);
        }
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** Stops taking keys, lets reconciles in flight finish, and resolves when the workers are gone. */
  async stop(): Promise<void> {
    this.#stopper.abort(new Error(`controller ${this.name} stopped`));
    await this.queue.shutDownWithDrain();
    await this.#running?.catch(() => undefined);
  }
}
