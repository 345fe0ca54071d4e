// Change trackers: Service and EndpointSlice add/update/delete events go in (from informers or
// tests), and a sync checks out what changed since the last one, per service, with the data that
// stale-conntrack clean-up and network-programming latency need. As kube-proxy's
// ServiceChangeTracker / EndpointsChangeTracker, a burst of updates to one object collapses to
// one (previous, current) pair, and a change that is undone before a sync disappears. Pure.
import type { EndpointSlice, Service } from '../api/types.ts';
import type { EndpointInfo, ProxyStateView, ServicePortInfo } from './types.ts';
import { servicePortsFromService } from './service-ports.ts';
import { endpointsFromSlice, mergeSliceEndpoints, sliceServiceName, triggerTimeAnnotation } from './endpoints.ts';

type PortMap = Map<string, ServicePortInfo>;
type EndpointsByPort = Map<string, EndpointInfo[]>;

function serviceKey(svc: Service): string {
  return `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name ?? ''}`;
}

function portMapOf(svc: Service | undefined): PortMap {
  const m: PortMap = new Map();
  if (svc !== undefined) for (const p of servicePortsFromService(svc)) m.set(p.key, p);
  return m;
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function mapsEqual<V>(a: Map<string, V>, b: Map<string, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    if (!b.has(k) || !sameJSON(v, b.get(k))) return false;
  }
  return true;
}

/** Collects Service changes between syncs. */
export class ServiceChangeTracker {
  readonly #items = new Map<string, { previous: PortMap; current: PortMap }>();
  /** The last ports seen per service, so a delete needs no faithful `previous` object. */
  readonly #known = new Map<string, PortMap>();
  #synced = false;

  /**
   * Records one event: add (previous undefined), update, or delete (current undefined). Returns
   * true when changes are pending afterwards.
   */
  update(previous: Service | undefined, current: Service | undefined): boolean {
    const obj = current ?? previous;
    if (obj === undefined) return this.#items.size > 0;
    const key = serviceKey(obj);
    const item = this.#items.get(key);
    const next = { previous: item?.previous ?? this.#known.get(key) ?? portMapOf(previous), current: portMapOf(current) };
    if (current === undefined) this.#known.delete(key);
    else this.#known.set(key, next.current);
    if (mapsEqual(next.previous, next.current)) this.#items.delete(key);
    else this.#items.set(key, next);
    return this.#items.size > 0;
  }

  /** Number of services with pending changes. */
  pending(): number {
    return this.#items.size;
  }

  /** Marks the initial list as delivered (informer hasSynced). */
  setSynced(): void {
    this.#synced = true;
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** Takes the pending changes, leaving the tracker empty. */
  checkout(): Map<string, { previous: PortMap; current: PortMap }> {
    const out = new Map(this.#items);
    this.#items.clear();
    return out;
  }
}

interface SliceRecord {
  endpoints: EndpointsByPort;
  triggerTime?: number;
}

interface ServiceSlices {
  applied: Map<string, SliceRecord>;
  /** sliceName → new record, or null for a deleted slice. */
  pending: Map<string, SliceRecord | null>;
}

/** Collects EndpointSlice changes between syncs, keeping each service's applied slices. */
export class EndpointSliceChangeTracker {
  readonly #byService = new Map<string, ServiceSlices>();
  readonly #nodeName: string;
  #synced = false;

  constructor(nodeName: string) {
    this.#nodeName = nodeName;
  }

  /** Records an added/updated slice, or a deleted one with `removed`. Returns true when changes are pending. */
  update(slice: EndpointSlice, removed = false): boolean {
    const svc = sliceServiceName(slice);
    if (svc === undefined) return this.pending() > 0;
    const sliceName = slice.metadata.name ?? '';
    let s = this.#byService.get(svc);
    if (s === undefined) this.#byService.set(svc, (s = { applied: new Map(), pending: new Map() }));
    if (removed) {
      s.pending.set(sliceName, null);
    } else {
      const t = slice.metadata.annotations?.[triggerTimeAnnotation];
      const ms = t === undefined ? NaN : Date.parse(t);
      const rec: SliceRecord = { endpoints: endpointsFromSlice(slice, this.#nodeName) };
      if (!Number.isNaN(ms)) rec.triggerTime = ms;
      s.pending.set(sliceName, rec);
    }
    return this.pending() > 0;
  }

  /** Number of services with pending slice changes. */
  pending(): number {
    let n = 0;
    for (const s of this.#byService.values()) if (s.pending.size > 0) n++;
    return n;
  }

  setSynced(): void {
    this.#synced = true;
  }

  get synced(): boolean {
    return this.#synced;
  }

  /**
   * Applies pending slices and returns, per service whose merged endpoints changed, the endpoints
   * before and after, plus the trigger times of the slices that changed.
   */
  checkout(): Map<string, { previous: EndpointsByPort; current: EndpointsByPort; triggerTimes: number[] }> {
    const out = new Map<string, { previous: EndpointsByPort; current: EndpointsByPort; triggerTimes: number[] }>();
    for (const [svc, s] of this.#byService) {
      if (s.pending.size === 0) continue;
      const previous = mergeSliceEndpoints([...s.applied.values()].map((r) => r.endpoints));
      const triggerTimes: number[] = [];
      for (const [name, rec] of s.pending) {
        if (rec === null) s.applied.delete(name);
        else {
          s.applied.set(name, rec);
          if (rec.triggerTime !== undefined) triggerTimes.push(rec.triggerTime);
        }
      }
      s.pending.clear();
      const current = mergeSliceEndpoints([...s.applied.values()].map((r) => r.endpoints));
      if (s.applied.size === 0) this.#byService.delete(svc);
      if (!mapsEqual(previous, current)) out.set(svc, { previous, current, triggerTimes });
    }
    return out;
  }
}

/** One endpoint of a UDP service port that went away (its conntrack entries are stale). */
export interface DeletedUDPEndpoint {
  readonly servicePortKey: string;
  readonly endpoint: EndpointInfo;
}

/** What one sync's checkout changed. */
export interface UpdateResult {
  /** `<ns>/<name>` of services whose ports or endpoints changed. */
  readonly changedServices: Set<string>;
  /** ClusterIPs of deleted UDP service ports. */
  readonly deletedUDPClusterIPs: Set<string>;
  readonly deletedUDPEndpoints: DeletedUDPEndpoint[];
  /** UDP service ports that went from no endpoints to some. */
  readonly newlyActiveUDPServices: string[];
  /** Trigger times (ms) of the EndpointSlice changes included, for the programming-latency metric. */
  readonly triggerTimes: number[];
}

/** The applied Services and endpoints: what the data plane should look like. */
export class ProxyState implements ProxyStateView {
  readonly services = new Map<string, ServicePortInfo>();
  readonly endpoints = new Map<string, EndpointInfo[]>();
  readonly #portsByService = new Map<string, Set<string>>();

  /** Applies both trackers' pending changes and reports what changed. */
  apply(svcTracker: ServiceChangeTracker, epTracker: EndpointSliceChangeTracker): UpdateResult {
    const result: UpdateResult = {
      changedServices: new Set(),
      deletedUDPClusterIPs: new Set(),
      deletedUDPEndpoints: [],
      newlyActiveUDPServices: [],
      triggerTimes: [],
    };
    const hadEndpoints = (key: string) => (this.endpoints.get(key)?.length ?? 0) > 0;
    const wasActive = new Map<string, boolean>();

    for (const [svc, { previous, current }] of svcTracker.checkout()) {
      result.changedServices.add(svc);
      for (const [key, p] of previous) {
        if (p.protocol === 'UDP' && !current.has(key)) result.deletedUDPClusterIPs.add(p.clusterIP);
        this.services.delete(key);
      }
      for (const [key, p] of current) this.services.set(key, p);
      this.#portsByService.set(svc, new Set(current.keys()));
      if (current.size === 0) this.#portsByService.delete(svc);
    }

    for (const [svc, { previous, current, triggerTimes }] of epTracker.checkout()) {
      result.changedServices.add(svc);
      result.triggerTimes.push(...triggerTimes);
      for (const key of previous.keys()) {
        if (!wasActive.has(key)) wasActive.set(key, hadEndpoints(key));
        this.endpoints.delete(key);
      }
      for (const [key, eps] of current) {
        if (!wasActive.has(key)) wasActive.set(key, hadEndpoints(key));
        this.endpoints.set(key, eps);
      }
      for (const [key, before] of previous) {
        if (!key.endsWith('/UDP')) continue;
        const after = new Set((current.get(key) ?? []).map((e) => e.endpoint));
        for (const ep of before) if (!after.has(ep.endpoint)) result.deletedUDPEndpoints.push({ servicePortKey: key, endpoint: ep });
      }
    }
    for (const [key, before] of wasActive) {
      if (key.endsWith('/UDP') && !before && hadEndpoints(key)) result.newlyActiveUDPServices.push(key);
    }
    return result;
  }

  /** Service-port keys of one service. */
  portsOf(serviceName: string): ReadonlySet<string> {
    return this.#portsByService.get(serviceName) ?? new Set();
  }
}
