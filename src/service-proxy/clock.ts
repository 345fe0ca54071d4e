// Time as the proxy's loops see it: a Clock with one-shot timers, the real one here and a fake in
// fake.ts that tests advance by hand. (Same shape as src/client's Clock, so either fits.)

/** An opaque timer handle returned by `Clock.setTimeout`. */
export interface Timer {
  readonly id: number;
}

/** Wall time and one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(t: Timer): void;
}

/** The real clock. Timers are unref'd: they never keep a process alive. */
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
