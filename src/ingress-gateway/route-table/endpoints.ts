// Backends from Services and EndpointSlices: the ready endpoints of one Service port, as ingress-nginx
// proxies to Pods directly (not to the ClusterIP). Pure.
import type { EndpointSlice, Service } from '../../api/types.ts';
import type { Backend, Endpoint } from './types.ts';

const serviceNameLabel = 'kubernetes.io/service-name';

/** Services and EndpointSlices indexed for lookups by namespace and name. */
export class ServiceIndex {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice[]>();

  constructor(services: readonly Service[], slices: readonly EndpointSlice[]) {
    for (const s of services) this.services.set(`${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`, s);
    for (const sl of slices) {
      const svc = sl.metadata.labels?.[serviceNameLabel];
      if (svc === undefined) continue;
      const key = `${sl.metadata.namespace ?? ''}/${svc}`;
      const list = this.slices.get(key);
      if (list === undefined) this.slices.set(key, [sl]);
      else list.push(sl);
    }
  }

  service(namespace: string, name: string): Service | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  slicesOf(namespace: string, name: string): readonly EndpointSlice[] {
    return this.slices.get(`${namespace}/${name}`) ?? [];
  }
}

/** `address:port`, with brackets for IPv6. */
export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Ready endpoints of a Service port from its EndpointSlices (ready unset counts as ready), deduplicated, in a stable order. */
export function readyEndpoints(slices: readonly EndpointSlice[], portName: string, protocol = 'TCP'): Endpoint[] {
  const out: Endpoint[] = [];
  const seen = new Set<string>();
  for (const sl of slices) {
    if (sl.addressType !== 'IPv4' && sl.addressType !== 'IPv6' && sl.addressType !== 'FQDN') continue;
    const p = (sl.ports ?? []).find((x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP') === protocol);
    if (p === undefined || p.port === undefined || p.port === null) continue;
    for (const ep of sl.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      const addr = ep.addresses[0];
      if (addr === undefined) continue;
      const key = endpointKey(addr, p.port);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ address: addr, port: p.port, key });
    }
  }
  out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return out;
}

/** The backend key: `namespace/service:port`. */
export function backendKey(namespace: string, service: string, port: number | string): string {
  return `${namespace}/${service}:${port}`;
}

/**
 * Resolves one Service port to a Backend. `serviceUpstream` proxies to the ClusterIP (ingress-nginx
 * `service-upstream`); ExternalName Services proxy to their DNS name. Problems (no Service, no such
 * port, no ready endpoints) are carried in `problem`, answered 503 by the data plane.
 */
export function resolveBackend(
  idx: ServiceIndex, namespace: string, service: string, port: number | string,
  opts: { serviceUpstream?: boolean; protocol?: 'TCP' | 'UDP' } = {},
): Backend {
  const protocol = opts.protocol ?? 'TCP';
  const b: Backend = { key: backendKey(namespace, service, port), namespace, service, port, endpoints: [] };
  const svc = idx.service(namespace, service);
  if (svc === undefined) {
    b.problem = { status: 503, reason: `service ${namespace}/${service} not found` };
    return b;
  }
  if (svc.spec?.type === 'ExternalName') {
    const name = svc.spec.externalName ?? '';
    const sp = (svc.spec.ports ?? []).find((p) => (typeof port === 'number' ? p.port === port : p.name === port));
    const num = typeof port === 'number' ? port : sp?.port;
    if (name === '' || num === undefined) b.problem = { status: 503, reason: `ExternalName service ${namespace}/${service} has no name or port ${port}` };
    else b.endpoints = [{ address: name, port: num, key: endpointKey(name, num) }];
    return b;
  }
  const sp = (svc.spec?.ports ?? []).find((p) => (typeof port === 'number' ? p.port === port : p.name === port) && (p.protocol ?? 'TCP') === protocol);
  if (sp === undefined) {
    b.problem = { status: 503, reason: `service ${namespace}/${service} has no ${protocol} port ${typeof port === 'number' ? port : JSON.stringify(port)}` };
    return b;
  }
  if (opts.serviceUpstream === true) {
    const ip = svc.spec?.clusterIP;
    if (ip === undefined || ip === '' || ip === 'None') b.problem = { status: 503, reason: `service ${namespace}/${service} has no ClusterIP (service-upstream)` };
    else b.endpoints = [{ address: ip, port: sp.port, key: endpointKey(ip, sp.port) }];
    return b;
  }
  b.endpoints = readyEndpoints(idx.slicesOf(namespace, service), sp.name ?? '', protocol);
  if (b.endpoints.length === 0) b.problem = { status: 503, reason: `no ready endpoints for service ${namespace}/${service} port ${port}` };
  return b;
}
