// A probe worker per container and probe kind, as the kubelet's prober worker (pkg/kubelet/prober/
// worker.go): nothing before initialDelaySeconds, then one attempt every periodSeconds; a result
// changes only after successThreshold successes or failureThreshold failures in a row; readiness
// and liveness wait until the startup probe has passed. Time comes from a Clock so tests run fast.
import type { Probe } from '../../api/types.ts';
import type { Clock, Timer } from '../../client/clock.ts';
import type { ProbeOutcome, ProbeResult } from './probe.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** The probe's timing fields with the API defaults filled in. */
export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export function probeTiming(p: Probe, kind: ProbeKind): ProbeTiming {
  return {
    initialDelayMs: Math.max(0, p.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, p.periodSeconds ?? 10) * 1000,
    timeoutMs: Math.max(1, p.timeoutSeconds ?? 1) * 1000,
    successThreshold: kind === 'readiness' ? Math.max(1, p.successThreshold ?? 1) : 1,
    failureThreshold: Math.max(1, p.failureThreshold ?? 3),
  };
}

export interface ProbeWorkerHooks {
  /** One attempt. */
  run(): Promise<ProbeResult>;
  /** The result changed (after the thresholds). */
  onResult(kind: ProbeKind, result: ProbeOutcome): void;
  /** Every failed attempt (the kubelet records an Unhealthy event each time). */
  onFailure(kind: ProbeKind, output: string): void;
  /** Readiness and liveness only run once this is true (the startup probe passed or there is none). */
  started(): boolean;
}

/** The first result a probe reports before any attempt: readiness starts not ready, liveness healthy. */
export function initialResult(kind: ProbeKind): ProbeOutcome | undefined {
  return kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : undefined;
}

export class ProbeWorker {
  readonly kind: ProbeKind;
  readonly timing: ProbeTiming;
  private readonly clock: Clock;
  private readonly hooks: ProbeWorkerHooks;
  private timer: Timer | undefined;
  private stopped = false;
  private last: ProbeOutcome | undefined;
  private run = 0;
  private lastReported: ProbeOutcome | undefined;
  /** After liveness/startup failed, the container is being restarted: no more attempts. */
  private onHold = false;

  constructor(kind: ProbeKind, probe: Probe, clock: Clock, hooks: ProbeWorkerHooks) {
    this.kind = kind;
    this.timing = probeTiming(probe, kind);
    this.clock = clock;
    this.hooks = hooks;
    this.lastReported = initialResult(kind);
  }

  /** Starts probing a container that started at `startedAt` (ms). */
  start(startedAt: number): void {
    const firstAt = startedAt + this.timing.initialDelayMs;
    // The kubelet's worker ticks every period from its own start and skips ticks inside the initial delay.
    const wait = Math.max(0, firstAt - this.clock.now());
    this.schedule(wait);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => { void this.tick(); }, ms);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.onHold) return;
    if (this.kind !== 'startup' && !this.hooks.started()) {
      this.schedule(this.timing.periodMs);
      return;
    }
    const began = this.clock.now();
    let r: ProbeResult;
    try {
      r = await this.hooks.run();
    } catch (err) {
      r = { result: 'failure', output: err instanceof Error ? err.message : String(err) };
    }
    if (this.stopped) return;
    if (r.result === 'failure') this.hooks.onFailure(this.kind, r.output);
    if (r.result === this.last) this.run++;
    else {
      this.last = r.result;
      this.run = 1;
    }
    const threshold = r.result === 'failure' ? this.timing.failureThreshold : this.timing.successThreshold;
    if (this.run >= threshold && r.result !== this.lastReported) {
      this.lastReported = r.result;
      this.hooks.onResult(this.kind, r.result);
    }
    if (r.result === 'failure' && this.run >= this.timing.failureThreshold && this.kind !== 'readiness') {
      this.onHold = true;
      return;
    }
    // A passed startup probe is done for this container.
    if (this.kind === 'startup' && this.lastReported === 'success') return;
    // A fixed rate, as the kubelet's ticker: the attempt's own duration (a slow exec on a busy node)
    // does not stretch the period; an attempt longer than the period is followed at once.
    this.schedule(Math.max(0, began + this.timing.periodMs - this.clock.now()));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
