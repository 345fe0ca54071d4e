// Time as the client's loops see it: a Clock with timers, the real one and a fake that tests
// advance by hand, so back-off, resync and rate limiting are tested without waiting.

/** An opaque timer handle returned by `Clock.setTimeout`. */
export interface Timer {
  readonly id: number;
}

/** Wall time and one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. Real timers are unref'd: they never keep a process alive. */
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(t: Timer): void;
}

/** The real clock (Date.now and node timers, unref'd). */
export const realClock: Clock = (() => {
  let next = 1;
  const timers = new Map<number, NodeJS.Timeout>();
  return {
    now: () => Date.now(),
    setTimeout(fn: () => void, ms: number): Timer {
      const id = next++;
      const h = setTimeout(() => {
        timers.delete(id);
        fn();
      }, Math.max(0, ms));
      h.unref();
      timers.set(id, h);
      return { id };
    },
    clearTimeout(t: Timer): void {
      const h = timers.get(t.id);
      if (h !== undefined) {
        clearTimeout(h);
        timers.delete(t.id);
      }
    },
  };
})();

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason when `signal` aborts first.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(t);
      reject(signal?.reason);
    };
    const t = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface FakeTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told. Timers fire in due order during `advance`; between timers the
 * microtask queue is drained so promise chains woken by one timer can schedule the next.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #nextId = 1;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
    return { id };
  }

  clearTimeout(t: Timer): void {
    this.#timers.delete(t.id);
  }

  /** Number of timers waiting. */
  pending(): number {
    return this.#timers.size;
  }

  /** Delays of the waiting timers from now, soonest first. */
  pendingDelays(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const due = this.#nextDue(end);
      if (due === undefined) break;
      this.#timers.delete(due.id);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
      await flushMicrotasks();
    }
    this.#now = end;
    await flushMicrotasks();
  }

  /** Advances to the next timer (if any) and fires it and any due at the same instant. */
  async step(): Promise<boolean> {
    const due = this.#nextDue(Number.POSITIVE_INFINITY);
    if (due === undefined) return false;
    await this.advance(due.at - this.#now);
    return true;
  }

  #nextDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at > limit) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Lets pending promise callbacks (and a macrotask turn) run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}
