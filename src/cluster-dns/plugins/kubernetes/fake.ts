// A static ClusterView over fixed objects, with the same indexes the informer-backed view keeps,
// and builders for the objects (override closures, as in kube-proxy's tests). Product code: the
// tests and the benchmark use it.
import type { EndpointSlice, EndpointSliceEndpoint, Namespace, Pod, Service } from '../../../api/types.ts';
import { canonicalIP } from '../../dns/ip.ts';
import { sliceService, type ClusterView } from './view.ts';

/** A ClusterView over objects given up front (mutable through set/remove for tests of changes). */
export class StaticClusterView implements ClusterView {
  private synced: boolean;
  private mod: number;
  private readonly namespaces = new Map<string, Namespace>();
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice>();
  private readonly pods = new Map<string, Pod>();
  private byClusterIP = new Map<string, Service[]>();
  private slicesBySvc = new Map<string, EndpointSlice[]>();
  private slicesByIP = new Map<string, EndpointSlice[]>();
  private podsByIPIndex = new Map<string, Pod[]>();

  constructor(objs: { namespaces?: Namespace[]; services?: Service[]; slices?: EndpointSlice[]; pods?: Pod[]; synced?: boolean; modified?: number } = {}) {
    for (const n of objs.namespaces ?? []) this.namespaces.set(n.metadata.name ?? '', n);
    for (const s of objs.services ?? []) this.services.set(key(s), s);
    for (const s of objs.slices ?? []) this.slices.set(key(s), s);
    for (const p of objs.pods ?? []) this.pods.set(key(p), p);
    this.synced = objs.synced ?? true;
    this.mod = objs.modified ?? 1_700_000_000;
    this.reindex();
  }

  hasSynced(): boolean { return this.synced; }
  setSynced(v: boolean): void { this.synced = v; }
  namespace(name: string): Namespace | undefined { return this.namespaces.get(name); }
  service(namespace: string, name: string): Service | undefined { return this.services.get(`${namespace}/${name}`); }
  endpointSlices(namespace: string, service: string): readonly EndpointSlice[] { return this.slicesBySvc.get(`${namespace}/${service}`) ?? []; }
  servicesByClusterIP(ip: string): readonly Service[] { return this.byClusterIP.get(ip) ?? []; }
  endpointSlicesByIP(ip: string): readonly EndpointSlice[] { return this.slicesByIP.get(ip) ?? []; }
  podsByIP(ip: string): readonly Pod[] { return this.podsByIPIndex.get(ip) ?? []; }
  modified(): number { return this.mod; }

  /** Adds or replaces an object (by kind). */
  set(obj: Namespace | Service | EndpointSlice | Pod): void {
    const m = this.mapOf(obj.kind);
    m.set(obj.kind === 'Namespace' ? (obj.metadata.name ?? '') : key(obj), obj);
    this.changed();
  }

  /** Removes an object (by kind, namespace and name). */
  remove(kind: 'Namespace' | 'Service' | 'EndpointSlice' | 'Pod', namespace: string, name: string): void {
    this.mapOf(kind).delete(kind === 'Namespace' ? name : `${namespace}/${name}`);
    this.changed();
  }

  private mapOf(kind: string): Map<string, Namespace | Service | EndpointSlice | Pod> {
    switch (kind) {
      case 'Namespace': return this.namespaces as Map<string, Namespace | Service | EndpointSlice | Pod>;
      case 'Service': return this.services as Map<string, Namespace | Service | EndpointSlice | Pod>;
      case 'EndpointSlice': return this.slices as Map<string, Namespace | Service | EndpointSlice | Pod>;
      case 'Pod': return this.pods as Map<string, Namespace | Service | EndpointSlice | Pod>;
      default: throw new Error(`StaticClusterView: unsupported kind ${kind}`);
    }
  }

  private changed(): void {
    this.mod = Math.max(this.mod + 1, Math.floor(Date.now() / 1000));
    this.reindex();
  }

  private reindex(): void {
    const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
      const l = m.get(k);
      if (l === undefined) m.set(k, [v]);
      else if (!l.includes(v)) l.push(v);
    };
    this.byClusterIP = new Map();
    for (const s of this.services.values()) {
      for (const ip of s.spec?.clusterIPs ?? (s.spec?.clusterIP !== undefined ? [s.spec.clusterIP] : [])) {
        const c = canonicalIP(ip);
        if (c !== undefined) push(this.byClusterIP, c, s);
      }
    }
    this.slicesBySvc = new Map();
    this.slicesByIP = new Map();
    for (const sl of this.slices.values()) {
      const svc = sliceService(sl);
      if (svc !== undefined) push(this.slicesBySvc, `${sl.metadata.namespace ?? ''}/${svc}`, sl);
      for (const ep of sl.endpoints ?? []) {
        for (const a of ep.addresses) {
          const c = canonicalIP(a);
          if (c !== undefined) push(this.slicesByIP, c, sl);
        }
      }
    }
    this.podsByIPIndex = new Map();
    for (const p of this.pods.values()) {
      const ips = (p.status?.podIPs ?? []).map((x) => x.ip);
      if (p.status?.podIP !== undefined) ips.push(p.status.podIP);
      for (const ip of ips) {
        const c = canonicalIP(ip);
        if (c !== undefined) push(this.podsByIPIndex, c, p);
      }
    }
  }
}

function key(o: { metadata: { namespace?: string; name?: string } }): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

/** A Namespace. */
export function makeNamespace(name: string, edit?: (n: Namespace) => void): Namespace {
  const n: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } };
  edit?.(n);
  return n;
}

/** A ClusterIP Service with one TCP port `http` 80 (the e2e tests' shape); edit it in the closure. */
export function makeService(namespace: string, name: string, clusterIP: string, edit?: (s: Service) => void): Service {
  const s: Service = {
    apiVersion: 'v1', kind: 'Service', metadata: { namespace, name },
    spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  };
  edit?.(s);
  return s;
}

/** An endpoint of a slice: ready, one address; edit for hostname, readiness, targetRef. */
export function makeEndpoint(ip: string, edit?: (e: EndpointSliceEndpoint) => void): EndpointSliceEndpoint {
  const e: EndpointSliceEndpoint = { addresses: [ip], conditions: { ready: true } };
  edit?.(e);
  return e;
}

/** An EndpointSlice of a Service (IPv4, port `http` 80/TCP unless edited). */
export function makeSlice(namespace: string, service: string, name: string, endpoints: EndpointSliceEndpoint[], edit?: (s: EndpointSlice) => void): EndpointSlice {
  const s: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { namespace, name, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'test' } },
    addressType: 'IPv4', endpoints, ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  };
  edit?.(s);
  return s;
}

/** A running Pod with one IP. */
export function makePod(namespace: string, name: string, ip: string, edit?: (p: Pod) => void): Pod {
  const p: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name }, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } };
  edit?.(p);
  return p;
}
