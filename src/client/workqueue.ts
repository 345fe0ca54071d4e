// The work queue controllers are built on, as client-go's util/workqueue: de-duplicating (a key
// queued twice is processed once), never handing one key to two workers (a key re-added while it is
// processed is queued again when `done` is called), delayed adds, and per-key rate-limited re-adds
// with exponential back-off (5 ms doubling to 1000 s) combined with an overall token bucket
// (10 qps, burst 100) — client-go's DefaultControllerRateLimiter.
import { realClock, type Clock, type Timer } from './clock.ts';

/** How long to wait before an item is retried. */
export interface RateLimiter<K = string> {
  /** The delay (ms) for this retry of `item`; counts the retry. */
  when(item: K): number;
  /** Forgets the item's failures (after a success). */
  forget(item: K): void;
  /** Retries counted since the last `forget`. */
  numRequeues(item: K): number;
}

/** base·2^failures per item, capped (client-go's ItemExponentialFailureRateLimiter). */
export class ItemExponentialRateLimiter<K = string> implements RateLimiter<K> {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly #failures = new Map<K, number>();

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(item: K): number {
    const exp = this.#failures.get(item) ?? 0;
    this.#failures.set(item, exp + 1);
    const d = this.baseMs * 2 ** exp;
    return !Number.isFinite(d) || d > this.maxMs ? this.maxMs : d;
  }

  forget(item: K): void {
    this.#failures.delete(item);
  }

  numRequeues(item: K): number {
    return this.#failures.get(item) ?? 0;
  }
}

/** An overall token bucket (qps, burst) shared by all items (client-go's BucketRateLimiter). */
export class BucketRateLimiter<K = string> implements RateLimiter<K> {
  readonly qps: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(qps = 10, burst = 100, clock: Clock = realClock) {
    this.qps = qps;
    this.burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  when(_item: K): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.qps) * 1000);
  }

  forget(_item: K): void {}

  numRequeues(_item: K): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter<K = string> implements RateLimiter<K> {
  readonly #limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.#limiters = limiters;
  }

  when(item: K): number {
    let d = 0;
    for (const l of this.#limiters) d = Math.max(d, l.when(item));
    return d;
  }

  forget(item: K): void {
    for (const l of this.#limiters) l.forget(item);
  }

  numRequeues(item: K): number {
    let n = 0;
    for (const l of this.#limiters) n = Math.max(n, l.numRequeues(item));
    return n;
  }
}

/** Per-item 5 ms → 1000 s exponential back-off and an overall 10 qps / 100 burst bucket. */
export function defaultControllerRateLimiter<K = string>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ItemExponentialRateLimiter<K>(5, 1_000_000), new BucketRateLimiter<K>(10, 100, clock));
}

export interface WorkQueueOptions<K = string> {
  /** For log lines and metrics. */
  name?: string;
  rateLimiter?: RateLimiter<K>;
  clock?: Clock;
}

/**
 * A rate-limited, delaying, de-duplicating work queue. Workers loop on `get()`, process the key,
 * and call `done(key)`; on failure `addRateLimited(key)`, on success `forget(key)`.
 */
export class WorkQueue<K = string> {
  readonly name: string;
  readonly rateLimiter: RateLimiter<K>;
  readonly #clock: Clock;
  /** Keys ready to be handed out, in order. */
  #queue: K[] = [];
  /** Keys that need processing (queued, or re-added while processing). */
  readonly #dirty = new Set<K>();
  /** Keys handed to a worker and not yet `done`. */
  readonly #processing = new Set<K>();
  readonly #waiters: Array<(item: K | undefined) => void> = [];
  /** Delayed keys: when they become ready, and their timer. */
  readonly #delayed = new Map<K, { at: number; timer: Timer }>();
  #shuttingDown = false;
  #drained: Array<() => void> = [];

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.name = opts.name ?? '';
    this.#clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>(this.#clock);
  }

  /** Queues a key unless it is already queued; a key being processed is queued again after `done`. */
  add(item: K): void {
    if (this.#shuttingDown) return;
    if (this.#dirty.has(item)) return;
    this.#dirty.add(item);
    if (this.#processing.has(item)) return;
    this.#queue.push(item);
    this.#dispatch();
  }

  /** Adds the key after `ms`; of several pending delays for one key, the earliest wins. */
  addAfter(item: K, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const at = this.#clock.now() + ms;
    const cur = this.#delayed.get(item);
    if (cur !== undefined) {
      if (cur.at <= at) return;
      this.#clock.clearTimeout(cur.timer);
    }
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(item);
      this.add(item);
    }, ms);
    this.#delayed.set(item, { at, timer });
  }

  /** Adds the key after the rate limiter's delay for it (counts a retry). */
  addRateLimited(item: K): void {
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** Resets the key's retry count (call after it was processed successfully). */
  forget(item: K): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: K): number {
    return this.rateLimiter.numRequeues(item);
  }

  /** The next key (marked as processing), waiting if none is ready; undefined once shut down. */
  get(): Promise<K | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const item = this.#take();
    if (item !== undefined) return Promise.resolve(item.value);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks a key as processed; if it was re-added meanwhile, it is queued again. */
  done(item: K): void {
    if (!this.#processing.delete(item)) return;
    if (this.#dirty.has(item) && !this.#shuttingDown) {
      this.#queue.push(item);
      this.#dispatch();
    }
    if (this.#processing.size === 0) for (const r of this.#drained.splice(0)) r();
  }

  /** Keys ready to be handed out (not counting delayed or in-flight ones). */
  len(): number {
    return this.#queue.length;
  }

  /** Keys handed out and not yet done. */
  processing(): number {
    return this.#processing.size;
  }

  /** Keys waiting for their delay. */
  delayed(): number {
    return this.#delayed.size;
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Stops the queue: queued and delayed keys are dropped, adds are ignored, and `get()` answers
   * undefined (waiting workers wake up). Keys in flight may still be `done`.
   */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const d of this.#delayed.values()) this.#clock.clearTimeout(d.timer);
    this.#delayed.clear();
    this.#queue = [];
    this.#dirty.clear();
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  /** Shuts down and resolves once every key in flight is done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #take(): { value: K } | undefined {
    if (this.#queue.length === 0) return undefined;
    const item = this.#queue.shift() as K;
    this.#dirty.delete(item);
    this.#processing.add(item);
    return { value: item };
  }

  #dispatch(): void {
    while (this.#waiters.length > 0 && this.#queue.length > 0) {
      const w = this.#waiters.shift();
      const item = this.#take();
      if (w === undefined || item === undefined) break;
      w(item.value);
    }
  }
}
