// The EndpointSlice reconciler as upstream's (k8s.io/endpointslice reconciler.go): from a Service,
// the Pods it selects, the slices this controller already manages for it, and the Nodes, compute the
// slices to create, update and delete. One slice set per address type and per distinct port list (a
// named targetPort can resolve differently per Pod); at most `maxEndpointsPerSlice` endpoints per
// slice; existing slices are kept and filled before new ones are made, and never rebalanced; a
// placeholder slice (no endpoints, no ports) stands in when there are none; deletes are recycled
// into updates where a create would follow. A slice is written only when its endpoints or labels
// change, so repeated reconciles of an unchanged world write nothing. Pure: no I/O.
import type { EndpointSlice, EndpointSliceEndpoint, EndpointSlicePort, Node, OwnerReference, Pod, Service } from '../../api/types.ts';
import {
  controllerName, defaultMaxEndpointsPerSlice, headlessLabel, managedByLabel, maxEndpointsPerSliceLimit, reservedSliceLabels,
  serviceNameLabel, topologyAwareHintsAnnotation, topologyModeAnnotation, triggerTimeAnnotation, zoneLabel,
} from './wellknown.ts';
import {
  findPort, ipFamilyOf, isPodReady, isPodTerminating, isServiceIPSet, managesService, podIPs, serviceSelectsPod,
  shouldPodBeInEndpoints, shouldSetHostname,
} from './pods.ts';

export type AddressType = 'IPv4' | 'IPv6';

/** What the reconciler sees of the world for one Service. */
export interface SliceReconcileInput {
  service: Service;
  /** Candidate Pods (e.g. the Service's namespace); those the selector does not pick are ignored. */
  pods: readonly Pod[];
  /**
   * Existing slices labelled for this Service. Slices managed by someone else, or labelled for
   * another Service, are ignored; ours that another object owns (an old Service of the same name)
   * are deleted.
   */
  slices: readonly EndpointSlice[];
  /** Nodes (for `zone`), as a list or a lookup by name. A Pod whose Node is unknown gets no zone. */
  nodes?: readonly Node[] | ((name: string) => Node | undefined);
  /** Default 100; clamped to 1..1000. */
  maxEndpointsPerSlice?: number;
  /** RFC 3339 time of the change that triggered this sync, stamped on written slices (absent: removed). */
  triggerTime?: string;
}

/** The writes that bring the slices in line. Updates carry the cached resourceVersion. */
export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** True when the plan writes nothing. */
export function planIsEmpty(p: SlicePlan): boolean {
  return p.create.length === 0 && p.update.length === 0 && p.delete.length === 0;
}

/**
 * Address types a Service's slices use (getAddressTypesForService): its `ipFamilies`; without them
 * the family of its cluster IP; a headless Service without families gets both.
 */
export function addressTypesForService(svc: Service): AddressType[] {
  const out: AddressType[] = [];
  for (const f of svc.spec?.ipFamilies ?? []) {
    const t: AddressType | undefined = f === 'IPv4' ? 'IPv4' : f === 'IPv6' ? 'IPv6' : undefined;
    if (t !== undefined && !out.includes(t)) out.push(t);
  }
  if (out.length > 0) return out;
  if (isServiceIPSet(svc)) return [ipFamilyOf(svc.spec?.clusterIP ?? '')];
  return ['IPv4', 'IPv6'];
}

/**
 * The slice ports of a Pod for a Service (getEndpointPorts): each Service port with its targetPort
 * resolved on this Pod; a named port the Pod lacks is left out. A headless Service may have none.
 */
export function endpointPortsFor(svc: Service, pod: Pod): EndpointSlicePort[] {
  const out: EndpointSlicePort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: EndpointSlicePort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

function portTuple(p: EndpointSlicePort): [string, string, number, string] {
  return [p.name ?? '', p.protocol ?? 'TCP', p.port ?? 0, p.appProtocol ?? ''];
}

/** A key equal for equal port lists in any order (endpointsliceutil.NewPortMapKey). */
export function portMapKey(ports: readonly EndpointSlicePort[] | null | undefined): string {
  const t = (ports ?? []).map(portTuple).map((x) => JSON.stringify(x));
  t.sort();
  return `[${t.join(',')}]`;
}

/**
 * An endpoint's identity (endpointsliceutil's endpoint hash): its addresses, hostname and the Pod
 * it stands for. Endpoints with equal keys are the same endpoint, possibly in another state.
 */
export function endpointKey(ep: EndpointSliceEndpoint): string {
  const addrs = [...ep.addresses].sort();
  return JSON.stringify([addrs, ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

function normHints(h: EndpointSliceEndpoint['hints']): string {
  if (h === undefined || h === null) return '';
  const zones = (h.forZones ?? []).map((z) => z.name);
  const nodes = (h.forNodes ?? []).map((n) => n.name);
  return zones.length === 0 && nodes.length === 0 ? '' : JSON.stringify([zones, nodes]);
}

/** Same state beyond the identity (EndpointsEqualBeyondHash): conditions, node, zone, hints, targetRef. */
export function endpointsEqualBeyondKey(a: EndpointSliceEndpoint, b: EndpointSliceEndpoint): boolean {
  const ca = a.conditions ?? {};
  const cb = b.conditions ?? {};
  if (ca.ready !== cb.ready || ca.serving !== cb.serving || ca.terminating !== cb.terminating) return false;
  if ((a.nodeName ?? '') !== (b.nodeName ?? '')) return false;
  if ((a.zone ?? '') !== (b.zone ?? '')) return false;
  if (normHints(a.hints) !== normHints(b.hints)) return false;
  const ra = a.targetRef;
  const rb = b.targetRef;
  if ((ra === undefined) !== (rb === undefined)) return false;
  if (ra !== undefined && rb !== undefined) {
    if ((ra.kind ?? '') !== (rb.kind ?? '') || (ra.namespace ?? '') !== (rb.namespace ?? '') || (ra.name ?? '') !== (rb.name ?? '') || (ra.uid ?? '') !== (rb.uid ?? '')) return false;
  }
  return true;
}

/**
 * A Pod as an endpoint of one address type (podToEndpoint): serving = Pod Ready, terminating =
 * being deleted, ready = publishNotReadyAddresses || (serving && !terminating); nodeName; zone from
 * the Node's `topology.kubernetes.io/zone`; hostname by the subdomain rule; targetRef to the Pod.
 */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, addressType: AddressType): EndpointSliceEndpoint {
  const serving = isPodReady(pod);
  const terminating = isPodTerminating(pod);
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: EndpointSliceEndpoint = {
    addresses: podIPs(pod).filter((ip) => ipFamilyOf(ip) === addressType),
    conditions: { ready, serving, terminating },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec?.hostname ?? '';
  ep.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
  const nodeName = pod.spec?.nodeName ?? '';
  if (nodeName !== '') ep.nodeName = nodeName;
  const zone = node?.metadata.labels?.[zoneLabel] ?? '';
  if (zone !== '') ep.zone = zone;
  return ep;
}

/**
 * The labels of this Service's slices (setEndpointSliceLabels): the Service's labels except the
 * reserved ones, `service.kubernetes.io/headless` without a cluster IP, the service name and the
 * managed-by value.
 */
export function sliceLabels(svc: Service): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (!reservedSliceLabels.has(k)) out[k] = v;
  if (!isServiceIPSet(svc)) out[headlessLabel] = '';
  out[serviceNameLabel] = svc.metadata.name ?? '';
  out[managedByLabel] = controllerName;
  return out;
}

/** The controller reference a slice carries to its Service. */
export function serviceOwnerRef(svc: Service): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** The slice has an owner reference to this Service (by uid). */
export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  const uid = svc.metadata.uid ?? '';
  return (slice.metadata.ownerReferences ?? []).some((r) => r.kind === 'Service' && r.apiVersion === 'v1' && r.uid === uid && uid !== '');
}

/** Whether this controller manages the slice for the Service named `name` (labels only). */
export function isManagedSliceFor(slice: EndpointSlice, namespace: string, name: string): boolean {
  const l = slice.metadata.labels ?? {};
  return l[managedByLabel] === controllerName && l[serviceNameLabel] === name && (slice.metadata.namespace ?? '') === namespace;
}

/** A new, unnamed slice for the Service (newEndpointSlice): `generateName: <svc>-`. */
export function newSlice(svc: Service, addressType: AddressType, ports: readonly EndpointSlicePort[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name ?? ''}-`,
      namespace: svc.metadata.namespace ?? '',
      labels: sliceLabels(svc),
      ownerReferences: [serviceOwnerRef(svc)],
    },
    addressType,
    endpoints: [],
    ports: ports.map((p) => ({ ...p })),
  };
}

/** Which topology hints the Service asks for: `auto` (topology-mode Auto), `preferClose`, or none. */
export function hintsMode(svc: Service): 'auto' | 'preferClose' | undefined {
  const ann = svc.metadata.annotations ?? {};
  const mode = ann[topologyModeAnnotation] ?? ann[topologyAwareHintsAnnotation];
  if (mode !== undefined) {
    // The annotation, when present, decides (upstream gives it precedence over trafficDistribution).
    if (mode === 'Auto' || mode === 'auto') return 'auto';
  } else if (svc.spec?.trafficDistribution === 'PreferClose' || svc.spec?.trafficDistribution === 'PreferSameZone') {
    return 'preferClose';
  }
  return undefined;
}

/**
 * Sets hints on desired endpoints (simplified, per zone): each endpoint with a zone is hinted for
 * its own zone. PreferClose hints every zoned endpoint (as upstream's trafficdist); Auto hints only
 * when every endpoint has a zone, and none otherwise (upstream's topology cache also weighs zones
 * by CPU; kube-proxy falls back to all endpoints when no endpoint is hinted for its zone).
 */
function applyHints(svc: Service, groups: Iterable<DesiredGroup>): void {
  const mode = hintsMode(svc);
  const all: EndpointSliceEndpoint[] = [];
  for (const g of groups) all.push(...g.endpoints.values());
  const allZoned = all.every((e) => (e.zone ?? '') !== '');
  for (const e of all) {
    const zone = e.zone ?? '';
    if (mode === undefined || zone === '' || (mode === 'auto' && !allZoned)) delete e.hints;
    else e.hints = { forZones: [{ name: zone }] };
  }
}

interface DesiredGroup {
  ports: EndpointSlicePort[];
  /** Endpoints by key, in Pod-name order. */
  endpoints: Map<string, EndpointSliceEndpoint>;
}

interface Ctx {
  svc: Service;
  labels: Record<string, string>;
  max: number;
}

function sameStringMap(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => Object.hasOwn(b, k) && b[k] === a?.[k]);
}

function cloneSlice(s: EndpointSlice): EndpointSlice {
  return structuredClone(s);
}

function nodeLookup(nodes: SliceReconcileInput['nodes']): (name: string) => Node | undefined {
  if (nodes === undefined) return () => undefined;
  if (typeof nodes === 'function') return nodes;
  const byName = new Map(nodes.map((n) => [n.metadata.name ?? '', n] as const));
  return (name) => byName.get(name);
}

/** Desired endpoints per port list for one address type. */
function desiredGroups(svc: Service, pods: readonly Pod[], addressType: AddressType, node: (name: string) => Node | undefined): Map<string, DesiredGroup> {
  const groups = new Map<string, DesiredGroup>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPortsFor(svc, pod);
    const key = portMapKey(ports);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { ports, endpoints: new Map() }));
    // Upstream skips (and retries) Pods whose Node is not in the cache; without a node agent
    // Nodes may not exist at all, so here such a Pod is listed without a zone.
    const nodeName = pod.spec?.nodeName ?? '';
    const ep = podToEndpoint(pod, nodeName === '' ? undefined : node(nodeName), svc, addressType);
    if (ep.addresses.length > 0) g.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}

/** The slice among `slices` that `n` more endpoints fill most closely without overflowing (getSliceToFill). */
function sliceToFill(slices: readonly EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let closestDiff = max;
  let closest: EndpointSlice | undefined;
  for (const s of slices) {
    const diff = max - (n + (s.endpoints ?? []).length);
    if (diff >= 0 && diff < closestDiff) {
      closestDiff = diff;
      closest = s;
      if (diff === 0) return s;
    }
  }
  return closest;
}

/** reconcileByPortMapping: the slices of one port list. `desired` is consumed. */
function reconcilePortMap(ctx: Ctx, existing: readonly EndpointSlice[], desired: Map<string, EndpointSliceEndpoint>, ports: EndpointSlicePort[], addressType: AddressType): SlicePlan {
  const byName = new Map<string, EndpointSlice>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();

  // 1. Keep the endpoints still desired where they are; note what changed.
  for (const slice of existing) {
    const name = slice.metadata.name ?? '';
    byName.set(name, slice);
    const kept: EndpointSliceEndpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = desired.get(key);
      if (want === undefined) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, ep)) changed = true;
      desired.delete(key);
    }
    const labelsChanged = !sameStringMap(slice.metadata.labels, ctx.labels);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) toDelete.add(name);
      else {
        const copy = cloneSlice(slice);
        copy.endpoints = kept;
        copy.metadata.labels = { ...ctx.labels };
        byName.set(name, copy);
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      const copy = cloneSlice(slice);
      copy.metadata.labels = { ...ctx.labels };
      byName.set(name, copy);
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  const take = (): EndpointSliceEndpoint | undefined => {
    const first = desired.entries().next();
    if (first.done === true) return undefined;
    desired.delete(first.value[0]);
    return first.value[1];
  };

  // 2. Fill the slices being updated anyway, fullest first.
  if (desired.size > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n)).filter((s): s is EndpointSlice => s !== undefined);
    slices.sort((a, b) => (b.endpoints ?? []).length - (a.endpoints ?? []).length);
    for (const s of slices) {
      const eps = (s.endpoints ??= []);
      while (desired.size > 0 && eps.length < ctx.max) {
        const ep = take();
        if (ep !== undefined) eps.push(ep);
      }
    }
  }

  // 3. The rest: into the unchanged slice they fit best when fewer than a slice's worth, else new slices.
  const create: EndpointSlice[] = [];
  while (desired.size > 0) {
    let fill: EndpointSlice | undefined;
    if (desired.size < ctx.max && unchanged.size > 0) {
      const candidates = [...unchanged].map((n) => byName.get(n)).filter((s): s is EndpointSlice => s !== undefined);
      const found = sliceToFill(candidates, desired.size, ctx.max);
      if (found !== undefined) {
        fill = cloneSlice(found);
        byName.set(fill.metadata.name ?? '', fill);
      }
    }
    fill ??= newSlice(ctx.svc, addressType, ports);
    const eps = (fill.endpoints ??= []);
    while (desired.size > 0 && eps.length < ctx.max) {
      const ep = take();
      if (ep !== undefined) eps.push(ep);
    }
    const name = fill.metadata.name ?? '';
    if (name !== '') {
      toUpdate.add(name);
      unchanged.delete(name);
    } else create.push(fill);
  }

  const pick = (names: Set<string>): EndpointSlice[] => [...names].map((n) => byName.get(n)).filter((s): s is EndpointSlice => s !== undefined);
  return { create, update: pick(toUpdate), delete: pick(toDelete) };
}

/** The placeholder slice is already there as wanted (namespace, labels, no endpoints, no ports). */
function isPlaceholderAsWanted(s: EndpointSlice, want: EndpointSlice): boolean {
  return (s.metadata.namespace ?? '') === (want.metadata.namespace ?? '')
    && sameStringMap(s.metadata.labels, want.metadata.labels ?? {})
    && s.addressType === want.addressType
    && (s.endpoints ?? []).length === 0
    && (s.ports ?? []).length === 0;
}

/** reconcileByAddressType: the slices of one address type. */
function reconcileAddressType(ctx: Ctx, pods: readonly Pod[], existing: readonly EndpointSlice[], addressType: AddressType, node: (name: string) => Node | undefined): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, ctx.svc)) {
      plan.delete.push(s);
      continue;
    }
    const key = portMapKey(s.ports);
    const list = existingByPorts.get(key);
    if (list === undefined) existingByPorts.set(key, [s]);
    else list.push(s);
  }

  const groups = desiredGroups(ctx.svc, pods, addressType, node);
  applyHints(ctx.svc, groups.values());
  for (const [key, g] of groups) {
    const p = reconcilePortMap(ctx, existingByPorts.get(key) ?? [], g.endpoints, g.ports, addressType);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  // Slices of port lists no Pod has any more.
  for (const [key, slices] of existingByPorts) if (!groups.has(key)) plan.delete.push(...slices);

  // No slices would remain: a placeholder takes their place (kept if it is already there).
  if (existing.length === plan.delete.length && plan.create.length === 0) {
    const placeholder = newSlice(ctx.svc, addressType, []);
    const only = plan.delete[0];
    if (plan.delete.length === 1 && only !== undefined && ownedBy(only, ctx.svc) && isPlaceholderAsWanted(only, placeholder)) plan.delete = [];
    else plan.create.push(placeholder);
  }
  return plan;
}

function stampTriggerTime(s: EndpointSlice, triggerTime: string | undefined): void {
  const ann = { ...(s.metadata.annotations ?? {}) };
  if (triggerTime !== undefined && triggerTime !== '') ann[triggerTimeAnnotation] = triggerTime;
  else delete ann[triggerTimeAnnotation];
  if (Object.keys(ann).length > 0) s.metadata.annotations = ann;
  else delete s.metadata.annotations;
}

/**
 * The writes that make a Service's slices match its Pods. Services without a selector and
 * ExternalName Services get an empty plan (their slices are the user's). A Service being deleted
 * gets no creates.
 */
export function reconcileEndpointSlices(input: SliceReconcileInput): SlicePlan {
  const svc = input.service;
  const empty: SlicePlan = { create: [], update: [], delete: [] };
  if (!managesService(svc)) return empty;
  const namespace = svc.metadata.namespace ?? '';
  const name = svc.metadata.name ?? '';
  const max = Math.min(maxEndpointsPerSliceLimit, Math.max(1, Math.floor(input.maxEndpointsPerSlice ?? defaultMaxEndpointsPerSlice)));
  const ctx: Ctx = { svc, labels: sliceLabels(svc), max };
  const node = nodeLookup(input.nodes);

  const pods = input.pods.filter((p) => serviceSelectsPod(svc, p));
  pods.sort((a, b) => {
    const x = a.metadata.name ?? '';
    const y = b.metadata.name ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const mine = input.slices.filter((s) => isManagedSliceFor(s, namespace, name));

  const types = addressTypesForService(svc);
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byType = new Map<string, EndpointSlice[]>();
  for (const s of mine) {
    if (!(types as string[]).includes(s.addressType)) {
      plan.delete.push(s);
      continue;
    }
    const list = byType.get(s.addressType);
    if (list === undefined) byType.set(s.addressType, [s]);
    else list.push(s);
  }
  for (const t of types) {
    const p = reconcileAddressType(ctx, pods, byType.get(t) ?? [], t, node);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  return finalize(svc, plan, input.triggerTime);
}

/** Turns creates into updates of slices that would be deleted (same address type, ours); stamps the trigger time. */
function finalize(svc: Service, plan: SlicePlan, triggerTime: string | undefined): SlicePlan {
  const create = [...plan.create];
  const update = [...plan.update];
  const del: EndpointSlice[] = [];
  for (const d of plan.delete) {
    const i = create.findLastIndex((c) => c.addressType === d.addressType);
    if (i >= 0 && ownedBy(d, svc)) {
      const [c] = create.splice(i, 1);
      if (c === undefined) continue;
      c.metadata.name = d.metadata.name ?? '';
      delete c.metadata.generateName;
      if (d.metadata.generateName !== undefined) c.metadata.generateName = d.metadata.generateName;
      if (d.metadata.resourceVersion !== undefined) c.metadata.resourceVersion = d.metadata.resourceVersion;
      if (d.metadata.annotations !== undefined) c.metadata.annotations = { ...d.metadata.annotations };
      update.push(c);
    } else del.push(d);
  }
  const creates = svc.metadata.deletionTimestamp === undefined ? create : [];
  for (const s of creates) stampTriggerTime(s, triggerTime);
  for (const s of update) stampTriggerTime(s, triggerTime);
  return { create: creates, update, delete: del };
}
