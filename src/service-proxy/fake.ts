// Fakes the proxy's tests (and other components' tests) import: a clock that moves only when
// told. Backend fakes (in-memory iptables, nftables, conntrack) live beside their backends.
import type { Clock, Timer } from './clock.ts';

interface FakeTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets pending promise callbacks (and a macrotask turn) run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A clock that moves only in `advance`. Timers fire in due order; between timers the microtask
 * queue drains so async work woken by one timer can schedule the next.
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

  /** Delays of waiting timers from now, soonest first. */
  pendingDelays(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      let due: FakeTimer | undefined;
      for (const t of this.#timers.values()) {
        if (t.at > end) continue;
        if (due === undefined || t.at < due.at || (t.at === due.at && t.seq < due.seq)) due = t;
      }
      if (due === undefined) break;
      this.#timers.delete(due.id);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
      await flushMicrotasks();
    }
    this.#now = end;
    await flushMicrotasks();
  }
}
