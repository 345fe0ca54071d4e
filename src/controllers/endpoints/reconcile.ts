// The legacy Endpoints object of a Service, as upstream's endpoints controller
// (pkg/controller/endpoint) computes it: one address per selected Pod (of the Service's first IP
// family) per resolved port, ready Pods in `addresses` and the others in `notReadyAddresses`
// (everything in `addresses` with publishNotReadyAddresses, which also keeps terminating Pods),
// subsets repacked so that addresses with identical port sets share one (RepackSubsets), at most
// 1000 addresses with the `endpoints.kubernetes.io/over-capacity: truncated` annotation beyond,
// labels copied from the Service plus `service.kubernetes.io/headless`. An unchanged object is not
// written. Pure: no I/O.
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service } from '../../api/types.ts';
// Shared with the EndpointSlice controller (same component; imported by file to keep the
// endpointslice index, which starts this controller, free of import cycles).
import { endpointsMaxCapacity, headlessLabel, overCapacityAnnotation, triggerTimeAnnotation } from '../endpointslice/wellknown.ts';
import {
  findPort, ipFamilyOf, isPodReady, isServiceIPSet, managesService, podIPs, serviceSelectsPod, shouldPodBeInEndpoints, shouldSetHostname,
} from '../endpointslice/pods.ts';

/** What the reconciler sees for one Service. */
export interface EndpointsReconcileInput {
  service: Service;
  /** Candidate Pods; those the selector does not pick are ignored. */
  pods: readonly Pod[];
  /** The Endpoints object as cached, if any. */
  current?: Endpoints | undefined;
  /** RFC 3339 trigger time for the annotation (absent: removed) — written only with a change. */
  triggerTime?: string;
  /** Default 1000. */
  maxCapacity?: number;
}

/** The write to make: none, or the whole object to create or update (updates carry the cached resourceVersion). */
export type EndpointsPlan =
  | { action: 'none' }
  | { action: 'create'; endpoints: Endpoints }
  | { action: 'update'; endpoints: Endpoints };

/** The family the Service's Endpoints use (the first of `ipFamilies`, else the cluster IP's, else the Pod's). */
function familyFor(svc: Service, pod: Pod): 'IPv4' | 'IPv6' {
  const first = svc.spec?.ipFamilies?.[0];
  if (first === 'IPv4') return 'IPv4';
  if (first === 'IPv6') return 'IPv6';
  if (isServiceIPSet(svc)) return ipFamilyOf(svc.spec?.clusterIP ?? '');
  return ipFamilyOf(podIPs(pod)[0] ?? '');
}

/** A Pod as an Endpoints address (podToEndpointAddressForService); undefined without an IP of the family. */
export function podToEndpointAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  const family = familyFor(svc, pod);
  const ip = podIPs(pod).find((x) => ipFamilyOf(x) === family);
  if (ip === undefined) return undefined;
  const a: EndpointAddress = { ip };
  if (shouldSetHostname(pod, svc)) a.hostname = pod.spec?.hostname ?? '';
  const node = pod.spec?.nodeName ?? '';
  if (node !== '') a.nodeName = node;
  a.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
  return a;
}

function endpointPort(sp: NonNullable<NonNullable<Service['spec']>['ports']>[number], port: number): EndpointPort {
  const p: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
  if (sp.name !== undefined && sp.name !== '') p.name = sp.name;
  if (sp.appProtocol !== undefined) p.appProtocol = sp.appProtocol;
  return p;
}

/** The subsets before repacking: one per Pod and resolved port (addEndpointSubset). */
function rawSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publish = svc.spec?.publishNotReadyAddresses === true;
  const out: EndpointSubset[] = [];
  const ports = svc.spec?.ports ?? [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publish)) continue;
    const addr = podToEndpointAddress(svc, pod);
    if (addr === undefined) continue;
    const ready = publish || isPodReady(pod);
    const put = (p: EndpointPort | undefined): void => {
      const ss: EndpointSubset = ready ? { addresses: [addr] } : { notReadyAddresses: [addr] };
      ss.ports = p === undefined ? [] : [p];
      out.push(ss);
    };
    if (ports.length === 0) {
      // A headless Service may have no ports: address-only subsets.
      if (svc.spec?.clusterIP === 'None') put(undefined);
      continue;
    }
    for (const sp of ports) {
      const n = findPort(pod, sp);
      if (n !== undefined) put(endpointPort(sp, n));
    }
  }
  return out;
}

function addrKey(a: EndpointAddress): string {
  return `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
}

function portKey(p: EndpointPort | undefined): string {
  return p === undefined ? '' : JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
}

/** Go's bytes.Compare of two strings. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** LessEndpointAddress: by IP (as bytes), then by target uid. */
function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return cmp(a.ip, b.ip) || cmp(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return cmp(a.name ?? '', b.name ?? '') || a.port - b.port || cmp(a.protocol ?? 'TCP', b.protocol ?? 'TCP') || cmp(a.appProtocol ?? '', b.appProtocol ?? '');
}

/**
 * The canonical layout of subsets (RepackSubsets): every address under the ports it offers, ready
 * winning over not-ready for the same address and port, then addresses with identical port sets
 * (and readiness) merged into one subset. Addresses and ports sorted; subsets in a stable order.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const all = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port: EndpointPort | undefined; addrs: Map<string, boolean> }>();
  const note = (a: EndpointAddress, port: EndpointPort | undefined, ready: boolean): void => {
    const k = addrKey(a);
    if (!all.has(k)) all.set(k, { ...a });
    const pk = portKey(port);
    let e = byPort.get(pk);
    if (e === undefined) byPort.set(pk, (e = { port, addrs: new Map() }));
    if (e.addrs.get(k) !== true) e.addrs.set(k, ready);
  };
  for (const ss of subsets) {
    const ports: Array<EndpointPort | undefined> = (ss.ports ?? []).length === 0 ? [undefined] : [...(ss.ports ?? [])];
    for (const p of ports) {
      for (const a of ss.addresses ?? []) note(a, p, true);
      for (const a of ss.notReadyAddresses ?? []) note(a, p, false);
    }
  }
  // Group ports by the exact set of (address, readiness) offering them.
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const key = JSON.stringify([...addrs].sort((x, y) => cmp(x[0], y[0])));
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { addrs, ports: [] }));
    if (port !== undefined) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of g.addrs) {
      const a = all.get(k);
      if (a !== undefined) (r ? ready : notReady).push(a);
    }
    const ss: EndpointSubset = {};
    if (ready.length > 0) ss.addresses = ready.sort(compareAddresses);
    if (notReady.length > 0) ss.notReadyAddresses = notReady.sort(compareAddresses);
    if (g.ports.length > 0) ss.ports = g.ports.sort(comparePorts);
    out.push(ss);
  }
  // Upstream orders subsets by a hash of their content; any fixed order serves comparison.
  return out.sort((a, b) => cmp(subsetSortKey(a), subsetSortKey(b)));
}

function subsetSortKey(ss: EndpointSubset): string {
  const first = ss.addresses?.[0] ?? ss.notReadyAddresses?.[0];
  return JSON.stringify([(ss.ports ?? []).map((p) => [p.port, p.name ?? '', p.protocol ?? '']), first?.ip ?? '', JSON.stringify(ss)]);
}

/**
 * Truncates to `max` addresses (truncateEndpoints): ready addresses are kept first; the budget is
 * shared among subsets in proportion to their size (rounded up, the last gets what is left).
 * Returns the new subsets and whether anything was cut.
 */
export function truncateSubsets(subsets: readonly EndpointSubset[], max = endpointsMaxCapacity): { subsets: EndpointSubset[]; truncated: boolean } {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const ss of subsets) {
    totalReady += (ss.addresses ?? []).length;
    totalNotReady += (ss.notReadyAddresses ?? []).length;
  }
  const copy = subsets.map((ss) => ({ ...ss }));
  if (totalReady + totalNotReady <= max) return { subsets: copy, truncated: false };
  const truncateReady = totalReady > max;
  const budget = truncateReady ? max : max - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = budget;
  for (const ss of copy) {
    const inSubset = truncateReady ? (ss.addresses ?? []).length : (ss.notReadyAddresses ?? []).length;
    const toBeAdded = Math.min(canBeAdded, Math.ceil((inSubset / numTotal) * budget));
    if (truncateReady) {
      const kept = (ss.addresses ?? []).slice(0, toBeAdded);
      if (kept.length > 0) ss.addresses = kept;
      else delete ss.addresses;
      delete ss.notReadyAddresses;
      canBeAdded -= kept.length;
    } else {
      const kept = (ss.notReadyAddresses ?? []).slice(0, toBeAdded);
      if (kept.length > 0) ss.notReadyAddresses = kept;
      else delete ss.notReadyAddresses;
      canBeAdded -= kept.length;
    }
  }
  return { subsets: copy.filter((ss) => (ss.addresses ?? []).length + (ss.notReadyAddresses ?? []).length > 0), truncated: true };
}

/** The subsets a Service's Endpoints should hold (before truncation). */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const selected = pods.filter((p) => serviceSelectsPod(svc, p));
  return repackSubsets(rawSubsets(svc, selected));
}

/** The labels of a Service's Endpoints: the Service's, plus the headless label without a cluster IP. */
export function endpointsLabels(svc: Service): Record<string, string> {
  const out: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (!isServiceIPSet(svc)) out[headlessLabel] = '';
  else delete out[headlessLabel];
  return out;
}

/** Subsets in a canonical form for comparison (ignores targetRef resourceVersions and empty lists). */
function canonicalSubsets(subsets: readonly EndpointSubset[] | null | undefined): string {
  const addr = (a: EndpointAddress): unknown => [a.ip, a.hostname ?? '', a.nodeName ?? '', a.targetRef?.kind ?? '', a.targetRef?.namespace ?? '', a.targetRef?.name ?? '', a.targetRef?.uid ?? ''];
  return JSON.stringify((subsets ?? []).map((ss) => [
    (ss.addresses ?? []).map(addr),
    (ss.notReadyAddresses ?? []).map(addr),
    (ss.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']),
  ]));
}

function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b).length && ak.every((k) => Object.hasOwn(b, k) && b[k] === a?.[k]);
}

/**
 * What to write for a Service's Endpoints. Services without a selector and ExternalName Services
 * are left alone. Unlike upstream (which rewrites over-capacity objects on every sync), the
 * truncated result is compared, so an unchanged over-capacity object is not rewritten.
 */
export function reconcileEndpoints(input: EndpointsReconcileInput): EndpointsPlan {
  const svc = input.service;
  if (!managesService(svc)) return { action: 'none' };
  const { subsets, truncated } = truncateSubsets(desiredSubsets(svc, input.pods), input.maxCapacity ?? endpointsMaxCapacity);
  const labels = endpointsLabels(svc);
  const cur = input.current;
  if (cur !== undefined
    && canonicalSubsets(cur.subsets) === canonicalSubsets(subsets)
    && sameLabels(cur.metadata.labels, labels)
    && (cur.metadata.annotations?.[overCapacityAnnotation] === 'truncated') === truncated) {
    return { action: 'none' };
  }
  const next: Endpoints = cur !== undefined
    ? structuredClone(cur)
    : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: svc.metadata.name ?? '', namespace: svc.metadata.namespace ?? '' } };
  if (subsets.length > 0) next.subsets = subsets;
  else delete next.subsets;
  next.metadata.labels = labels;
  const ann = { ...(next.metadata.annotations ?? {}) };
  if (input.triggerTime !== undefined && input.triggerTime !== '') ann[triggerTimeAnnotation] = input.triggerTime;
  else delete ann[triggerTimeAnnotation];
  if (truncated) ann[overCapacityAnnotation] = 'truncated';
  else delete ann[overCapacityAnnotation];
  if (Object.keys(ann).length > 0) next.metadata.annotations = ann;
  else delete next.metadata.annotations;
  return cur === undefined ? { action: 'create', endpoints: next } : { action: 'update', endpoints: next };
}
