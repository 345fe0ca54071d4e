// Exponential back-off with jitter, as client-go's wait.Backoff used by the reflector
// (800 ms doubling to a 30 s cap, jitter 1.0). Pure: randomness is injected.

export interface BackoffOptions {
  /** First delay in ms (default 800, client-go's reflector). */
  initialMs?: number;
  /** Cap in ms, applied after jitter (default 30 000). */
  maxMs?: number;
  /** Growth per step (default 2). */
  factor?: number;
  /** Each delay d becomes d + d·jitter·random() (default 1.0: up to twice d); 0 = exact. */
  jitter?: number;
  /** Source of randomness in [0, 1) (default Math.random). */
  random?: () => number;
}

/** A back-off sequence: `next()` gives the next delay, `reset()` starts over. */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly #random: () => number;
  #current: number;
  #steps = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 800;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.jitter = opts.jitter ?? 1.0;
    this.#random = opts.random ?? Math.random;
    this.#current = this.initialMs;
  }

  /** The next delay in ms (grows until the cap). */
  next(): number {
    const base = this.#current;
    this.#current = Math.min(this.maxMs, this.#current * this.factor);
    this.#steps++;
    const d = this.jitter > 0 ? base + base * this.jitter * this.#random() : base;
    return Math.min(this.maxMs, Math.round(d));
  }

  /** How many delays were handed out since the last reset. */
  get steps(): number {
    return this.#steps;
  }

  reset(): void {
    this.#current = this.initialMs;
    this.#steps = 0;
  }
}
