// Writes status.loadBalancer on served Ingresses and clears it on ones we stopped serving (only
// when it still shows our address), and records Events for diagnostics: each distinct finding once
// while it persists (a finding that goes away and comes back is recorded again), plus ingress-nginx's
// Normal "Sync" event when an Ingress is first served or changes generation.
import { randomBytes } from 'node:crypto';
import type { Event, Ingress } from '../../api/types.ts';
import { builtin, type ApiClient } from '../../client/index.ts';
import type { Diagnostic, ObjectRef } from '../route-table/types.ts';
import { isOurStatus, statusPatch, type LoadBalancerEntry } from './status.ts';

export const eventSource = 'switchboard-ingress';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

/** Patches Ingress statuses. */
export class StatusWriter {
  private readonly client: ApiClient;
  private readonly log: Log;
  constructor(client: ApiClient, log: Log = () => {}) {
    this.client = client;
    this.log = log;
  }

  /** Brings every Ingress in `all` to its desired status; failures are logged, retried on the next sync. */
  async reconcile(all: readonly Ingress[], served: readonly ObjectRef[], entries: readonly LoadBalancerEntry[]): Promise<number> {
    const servedKeys = new Set(served.map((r) => `${r.namespace}/${r.name}`));
    const ingresses = this.client.resource<Ingress>(builtin('ingresses'));
    let writes = 0;
    for (const ing of all) {
      const key = `${ing.metadata.namespace ?? ''}/${ing.metadata.name ?? ''}`;
      let patch;
      if (servedKeys.has(key)) patch = statusPatch(ing, entries);
      else if (isOurStatus(ing, entries)) patch = statusPatch(ing, []);
      if (patch === undefined) continue;
      try {
        await ingresses.patchStatus(ing.metadata.namespace ?? '', ing.metadata.name ?? '', patch, 'merge');
        writes++;
      } catch (err) {
        this.log('warn', `ingress status ${key}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return writes;
  }

  /** Clears our address from the given Ingresses (controller shutdown). */
  async clear(all: readonly Ingress[], entries: readonly LoadBalancerEntry[]): Promise<void> {
    await this.reconcile(all, [], entries);
  }
}

/** Records Kubernetes Events for diagnostics. */
export class EventRecorder {
  private readonly client: ApiClient;
  private readonly log: Log;
  private readonly instance: string;
  private previous = new Set<string>();
  private readonly generations = new Map<string, number>();
  constructor(client: ApiClient, instance: string, log: Log = () => {}) {
    this.client = client;
    this.instance = instance;
    this.log = log;
  }

  /** Records the diagnostics not recorded at the previous call, and Sync events for new generations of served Ingresses. */
  async record(diags: readonly Diagnostic[], served: readonly { ref: ObjectRef; generation: number }[]): Promise<void> {
    const now = new Set<string>();
    const todo: Diagnostic[] = [];
    for (const d of diags) {
      const k = `${d.object.kind}/${d.object.namespace}/${d.object.name}/${d.object.uid ?? ''}|${d.reason}|${d.message}`;
      if (now.has(k)) continue;
      now.add(k);
      if (!this.previous.has(k)) todo.push(d);
    }
    this.previous = now;
    const seen = new Set<string>();
    for (const s of served) {
      const k = `${s.ref.namespace}/${s.ref.name}/${s.ref.uid ?? ''}`;
      seen.add(k);
      if (this.generations.get(k) !== s.generation) {
        this.generations.set(k, s.generation);
        todo.push({ object: s.ref, type: 'Normal', reason: 'Sync', message: 'Scheduled for sync' });
      }
    }
    for (const k of this.generations.keys()) if (!seen.has(k)) this.generations.delete(k);
    for (const d of todo) await this.emit(d);
  }

  private async emit(d: Diagnostic): Promise<void> {
    const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ev: Event = {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: `${d.object.name}.${randomBytes(8).toString('hex')}`, namespace: d.object.namespace === '' ? 'default' : d.object.namespace },
      involvedObject: {
        kind: d.object.kind, namespace: d.object.namespace, name: d.object.name,
        apiVersion: d.object.kind === 'Ingress' ? 'networking.k8s.io/v1' : d.object.kind === 'Gateway' || d.object.kind === 'HTTPRoute' || d.object.kind === 'GatewayClass' ? 'gateway.networking.k8s.io/v1' : 'v1',
        ...(d.object.uid !== undefined ? { uid: d.object.uid } : {}),
      },
      reason: d.reason, message: d.message, type: d.type, source: { component: eventSource },
      firstTimestamp: ts, lastTimestamp: ts, count: 1, reportingComponent: eventSource, reportingInstance: this.instance,
    };
    try {
      await this.client.resource<Event>(builtin('events', '')).create(ev.metadata.namespace ?? 'default', ev);
    } catch (err) {
      this.log('warn', `event ${d.reason} for ${d.object.kind} ${d.object.namespace}/${d.object.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.log(d.type === 'Warning' ? 'warn' : 'debug', `${d.object.kind} ${d.object.namespace}/${d.object.name}: ${d.reason}: ${d.message}`);
  }
}
