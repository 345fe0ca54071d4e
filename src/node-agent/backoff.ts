// The kubelet's container restart back-off (pkg/kubelet/kuberuntime: 10 s doubling to 5 min): the
// first restart happens at once, later ones wait 10 s, 20 s, 40 s, ...; a container that ran long
// enough starts over. Pure.

export interface RestartBackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the back-off (the kubelet: 2 × max). */
  resetAfterMs: number;
}

export const defaultRestartBackoff: RestartBackoffOptions = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export class RestartBackoff {
  private readonly o: RestartBackoffOptions;
  /** The delay the next restart waits; 0 before the first restart. */
  private delay = 0;

  constructor(o: RestartBackoffOptions) {
    this.o = o;
  }

  /**
   * Called when a container exited and will be restarted: returns how long to wait (ms) from its exit,
   * and steps the back-off on.
   */
  next(ranMs: number): number {
    if (ranMs >= this.o.resetAfterMs) this.delay = 0;
    const wait = this.delay;
    this.delay = this.delay === 0 ? this.o.initialMs : Math.min(this.o.maxMs, this.delay * 2);
    return wait;
  }

  /** The delay a waiting restart shows in "back-off 10s restarting failed container". */
  get current(): number {
    return this.delay;
  }
}

/** Go's time.Duration String for whole seconds and minutes (`10s`, `2m40s`, `5m0s`). */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}
