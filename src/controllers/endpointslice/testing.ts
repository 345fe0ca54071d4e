// Test support for the endpoint controllers (product code other tests may import): Pod builders
// with an IP and readiness, a one-line rendering of slices for table expectations, and a tiny
// in-memory "server" that applies a SlicePlan as the API would (names from generateName, uids,
// generations), so tables can check that a second reconcile writes nothing.
import type { EndpointSlice, EndpointSliceEndpoint, Pod, PodSpec } from '../../api/types.ts';
import { makePod } from '../../api/testing.ts';
import type { SlicePlan } from './reconcile.ts';

type Override<T> = (o: T) => void;

/** A running, Ready Pod `name` in `namespace` with IP `ip` and labels `app=<app>`. */
export function readyPod(namespace: string, name: string, ip: string, app: string, override?: Override<Pod & { spec: PodSpec }>): Pod & { spec: PodSpec } {
  return makePod(namespace, name, (p) => {
    p.metadata.labels = { app };
    p.status = {
      phase: 'Running', podIP: ip, podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T09:58:00Z' }],
    };
    override?.(p);
  });
}

/** Sets a Pod's Ready condition. */
export function setReady(p: Pod, ready: boolean): void {
  const conds = (p.status ??= {}).conditions ??= [];
  const c = conds.find((x) => x.type === 'Ready');
  if (c !== undefined) c.status = ready ? 'True' : 'False';
  else conds.push({ type: 'Ready', status: ready ? 'True' : 'False' });
}

/** `10.244.0.7[rst]@node1 z=a h=web-0 ->a`: addresses, conditions, node, zone, hostname, hints. */
export function renderEndpoint(e: EndpointSliceEndpoint): string {
  const c = e.conditions ?? {};
  let s = `${e.addresses.join('+')}[${c.ready === true ? 'r' : ''}${c.serving === true ? 's' : ''}${c.terminating === true ? 't' : ''}]`;
  if (e.zone !== undefined) s += ` z=${e.zone}`;
  if (e.hostname !== undefined) s += ` h=${e.hostname}`;
  const hz = (e.hints?.forZones ?? []).map((z) => z.name);
  if (hz.length > 0) s += ` ->${hz.join(',')}`;
  return s;
}

/** `name IPv4 http:8080/TCP | ep, ep` (name `+` for a slice to create; `-` for no ports or endpoints). */
export function renderSlice(s: EndpointSlice): string {
  const ports = (s.ports ?? []).map((p) => `${p.name === '' || p.name === undefined || p.name === null ? '' : `${p.name}:`}${p.port ?? ''}/${p.protocol ?? ''}`).join(',');
  const eps = (s.endpoints ?? []).map(renderEndpoint).join(', ');
  return `${s.metadata.name ?? '+'} ${s.addressType} ${ports === '' ? '-' : ports} | ${eps === '' ? '-' : eps}`;
}

/** A plan as text per operation (deletes by name). */
export function renderPlan(p: SlicePlan): { create: string[]; update: string[]; delete: string[] } {
  return { create: p.create.map(renderSlice), update: p.update.map(renderSlice), delete: p.delete.map((s) => s.metadata.name ?? '') };
}

/** Applies a plan to a list of slices as the API server would; returns the new list. */
export class SliceStore {
  #n = 0;
  #rv = 100;
  slices: EndpointSlice[];

  constructor(initial: EndpointSlice[] = []) {
    this.slices = structuredClone(initial);
  }

  apply(plan: SlicePlan): EndpointSlice[] {
    for (const d of plan.delete) this.slices = this.slices.filter((s) => s.metadata.name !== d.metadata.name);
    for (const u of plan.update) {
      const i = this.slices.findIndex((s) => s.metadata.name === u.metadata.name);
      const old = this.slices[i];
      if (old === undefined) throw new Error(`update of missing slice ${u.metadata.name ?? ''}`);
      const next = structuredClone(u);
      next.metadata.uid = old.metadata.uid ?? '';
      const changed = JSON.stringify([next.endpoints, next.ports, next.addressType]) !== JSON.stringify([old.endpoints, old.ports, old.addressType]);
      next.metadata.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0);
      next.metadata.resourceVersion = String(++this.#rv);
      this.slices[i] = next;
    }
    for (const c of plan.create) {
      const next = structuredClone(c);
      this.#n++;
      next.metadata.name = `${c.metadata.generateName ?? ''}s${this.#n}`;
      next.metadata.uid = `uid-slice-${this.#n}`;
      next.metadata.generation = 1;
      next.metadata.resourceVersion = String(++this.#rv);
      this.slices.push(next);
    }
    return this.slices;
  }
}
