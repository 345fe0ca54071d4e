// The `endpoints.kubernetes.io/last-change-trigger-time` value, as upstream's TriggerTimeTracker
// (pkg/controller/util/endpoint): per Service, the earliest change since the last sync — a Pod's
// Ready transition or the Service's creation; a Service seen for the first time reports its
// creation time; nothing new reports undefined (the annotation is then removed on writes).
// State lives in memory; computing it has no I/O.
import type { Pod, Service } from '../../api/types.ts';

interface State {
  pods: Map<string, number>;
  service: number;
}

function parseTime(s: string | null | undefined): number {
  if (s === undefined || s === null || s === '') return 0;
  const t = Date.parse(s);
  return Number.isNaN(t) ? 0 : t;
}

/** Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros, none when whole. */
export function formatRFC3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  const [head, frac = '000Z'] = iso.split('.');
  const digits = frac.replace(/Z$/, '').replace(/0+$/, '');
  return `${head ?? ''}${digits === '' ? '' : `.${digits}`}Z`;
}

function podTriggerTime(pod: Pod): number {
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return parseTime(ready?.lastTransitionTime);
}

/** Tracks trigger times per Service key (`namespace/name`). */
export class TriggerTimeTracker {
  readonly #states = new Map<string, State>();

  /** The trigger time for this sync (RFC3339Nano) or undefined; updates the state. */
  compute(key: string, svc: Service, pods: readonly Pod[]): string | undefined {
    const prev = this.#states.get(key);
    let min = Number.POSITIVE_INFINITY;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === 0) continue;
      const name = pod.metadata.name ?? '';
      podTimes.set(name, t);
      if (t > (prev?.pods.get(name) ?? 0)) min = Math.min(min, t);
    }
    const svcTime = parseTime(svc.metadata.creationTimestamp);
    if (svcTime > (prev?.service ?? 0)) min = Math.min(min, svcTime);
    this.#states.set(key, { pods: podTimes, service: svcTime });
    if (prev === undefined) return svcTime === 0 ? undefined : formatRFC3339Nano(svcTime);
    return Number.isFinite(min) ? formatRFC3339Nano(min) : undefined;
  }

  delete(key: string): void {
    this.#states.delete(key);
  }
}
