// The bounded-frequency runner kube-proxy drives its syncs with: `run()` asks for a sync soon;
// bursts of requests merge into one; at most `burst` runs happen back to back and after that one
// per `minInterval`; a run happens at least every `maxInterval` even without requests (periodic
// resync); a failed run is retried with back-off (minInterval doubling up to maxInterval). Runs
// never overlap. Takes a Clock so tests drive it with FakeClock.
import type { Clock, Timer } from './clock.ts';

export interface RunnerOptions {
  readonly name: string;
  /** The work; a rejection counts as a failure and schedules a retry. */
  readonly fn: () => Promise<void>;
  readonly minIntervalMs: number;
  /** Periodic run; 0 = none. */
  readonly maxIntervalMs: number;
  /** Runs allowed back to back before minInterval applies (kube-proxy uses 2). */
  readonly burst: number;
  readonly clock: Clock;
  /** Called with each failure (after which a retry is scheduled). */
  readonly onError?: (err: unknown, consecutiveFailures: number) => void;
}

/** Runs `fn` on request, rate-limited, periodically, with retries. */
export class BoundedFrequencyRunner {
  readonly #o: RunnerOptions;
  #tokens: number;
  #lastRefill: number;
  #lastRun: number;
  #pending = false;
  #running = false;
  #started = false;
  #stopped = false;
  #retryAt: number | undefined;
  #failures = 0;
  #timer: { t: Timer; at: number } | undefined;
  #runs = 0;
  #idle: (() => void)[] = [];

  constructor(o: RunnerOptions) {
    this.#o = o;
    this.#tokens = Math.max(1, o.burst);
    this.#lastRefill = o.clock.now();
    this.#lastRun = o.clock.now();
  }

  /** Completed runs (successful or not). */
  get runs(): number {
    return this.#runs;
  }

  /** Starts the periodic timer and runs once right away. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.run();
  }

  /** Stops all timers; a run in progress finishes. Requested runs are dropped. */
  stop(): void {
    this.#stopped = true;
    this.#pending = false;
    this.#retryAt = undefined;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer.t);
    this.#timer = undefined;
    if (!this.#running) this.#wakeIdle();
  }

  /** Asks for a run as soon as the rate limit allows. */
  run(): void {
    this.#pending = true;
    this.#reschedule();
  }

  /** Asks for a run no later than `ms` from now (used after partial failures). */
  retryAfter(ms: number): void {
    const at = this.#o.clock.now() + ms;
    this.#retryAt = this.#retryAt === undefined ? at : Math.min(this.#retryAt, at);
    this.#reschedule();
  }

  /** Resolves when no run is in progress or requested (after stop(): when the last run ended). */
  whenIdle(): Promise<void> {
    if (!this.#running && (!this.#pending || this.#stopped)) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  #wakeIdle(): void {
    const waiters = this.#idle;
    this.#idle = [];
    for (const w of waiters) w();
  }

  #refill(now: number): void {
    const min = this.#o.minIntervalMs;
    if (min <= 0) {
      this.#tokens = Math.max(1, this.#o.burst);
    } else {
      this.#tokens = Math.min(Math.max(1, this.#o.burst), this.#tokens + (now - this.#lastRefill) / min);
    }
    this.#lastRefill = now;
  }

  #tokenReadyAt(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) return now;
    return now + Math.ceil((1 - this.#tokens) * this.#o.minIntervalMs);
  }

  #reschedule(): void {
    if (this.#stopped || this.#running) return;
    const clock = this.#o.clock;
    const now = clock.now();
    let at = Number.POSITIVE_INFINITY;
    if (this.#started && this.#o.maxIntervalMs > 0) at = this.#lastRun + this.#o.maxIntervalMs;
    if (this.#pending) at = Math.min(at, this.#tokenReadyAt(now));
    if (this.#retryAt !== undefined) at = Math.min(at, Math.max(this.#retryAt, this.#tokenReadyAt(now)));
    if (at === Number.POSITIVE_INFINITY) return;
    if (this.#timer !== undefined) {
      if (this.#timer.at <= at) return;
      clock.clearTimeout(this.#timer.t);
    }
    const delay = Math.max(0, at - now);
    this.#timer = { at, t: clock.setTimeout(() => this.#fire(), delay) };
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#stopped || this.#running) return;
    const now = this.#o.clock.now();
    const periodic = this.#started && this.#o.maxIntervalMs > 0 && now >= this.#lastRun + this.#o.maxIntervalMs;
    const retry = this.#retryAt !== undefined && now >= this.#retryAt;
    if (!this.#pending && !periodic && !retry) {
      this.#reschedule();
      return;
    }
    this.#refill(now);
    if (this.#tokens < 1 && !periodic) {
      this.#reschedule();
      return;
    }
    this.#tokens = Math.max(0, this.#tokens - 1);
    void this.#execute();
  }

  async #execute(): Promise<void> {
    this.#running = true;
    this.#pending = false;
    this.#retryAt = undefined;
    try {
      await this.#o.fn();
      this.#failures = 0;
    } catch (err) {
      this.#failures++;
      try {
        this.#o.onError?.(err, this.#failures);
      } catch {
        // a logging hook must not break the loop
      }
      const max = this.#o.maxIntervalMs > 0 ? this.#o.maxIntervalMs : 60_000;
      const base = Math.max(this.#o.minIntervalMs, 100);
      this.#retryAt = this.#o.clock.now() + Math.min(max, base * 2 ** (this.#failures - 1));
    } finally {
      this.#runs++;
      this.#lastRun = this.#o.clock.now();
      this.#running = false;
    }
    if (this.#stopped || (!this.#pending && this.#retryAt === undefined)) this.#wakeIdle();
    this.#reschedule();
  }
}
