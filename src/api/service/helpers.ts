// Predicates over a Service's type and fields, as kube-apiserver names them
// (pkg/api/service/util.go, pkg/registry/core/service/storage/storage.go and strategy.go). Pure.
import type { Service, ServiceSpec } from '../types.ts';

export const CLUSTER_IP_NONE = 'None';

export type IPFamily = 'IPv4' | 'IPv6';

/** The spec to read from (an empty one when absent). */
export function specOf(svc: Service): ServiceSpec {
  return svc.spec ?? {};
}

/** Set in Go terms: neither undefined nor JSON null. */
export function isSet<T>(v: T | null | undefined): v is T {
  return v !== undefined && v !== null;
}

/** `clusterIPs: ["None"]` (validation's isHeadlessService: the plural field, exactly one entry). */
export function isHeadlessService(svc: Service | undefined): boolean {
  const ips = svc?.spec?.clusterIPs;
  return ips !== undefined && ips !== null && ips.length === 1 && ips[0] === CLUSTER_IP_NONE;
}

/** NodePort, LoadBalancer, or any type with externalIPs (apiservice.ExternallyAccessible). */
export function externallyAccessible(svc: Service): boolean {
  const s = specOf(svc);
  return s.type === 'LoadBalancer' || s.type === 'NodePort' || (s.type === 'ClusterIP' && (s.externalIPs ?? []).length > 0);
}

/** externalTrafficPolicy Local on an externally accessible Service (apiservice.ExternalPolicyLocal). */
export function externalPolicyLocal(svc: Service): boolean {
  return externallyAccessible(svc) && specOf(svc).externalTrafficPolicy === 'Local';
}

/** LoadBalancer with externalTrafficPolicy Local: it needs a healthCheckNodePort (apiservice.NeedsHealthCheck). */
export function needsHealthCheck(svc: Service): boolean {
  return specOf(svc).type === 'LoadBalancer' && externalPolicyLocal(svc);
}

/** Every type but ExternalName has clusterIP/clusterIPs (even "None" counts). */
export function needsClusterIP(svc: Service): boolean {
  return specOf(svc).type !== 'ExternalName';
}

/**
 * Whether the type can carry nodePorts at all (strategy.go's needsNodePort): NodePort and
 * LoadBalancer, whatever allocateLoadBalancerNodePorts says.
 */
export function typeUsesNodePorts(svc: Service): boolean {
  const t = specOf(svc).type;
  return t === 'NodePort' || t === 'LoadBalancer';
}

/**
 * Whether nodePorts are allocated for it (storage.go's needsNodePort): NodePort, and LoadBalancer
 * unless allocateLoadBalancerNodePorts is false.
 */
export function allocatesNodePorts(svc: Service): boolean {
  const s = specOf(svc);
  if (s.type === 'NodePort') return true;
  return s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false;
}

/** LoadBalancer with externalTrafficPolicy Local (storage.go's needsHCNodePort; no externally-accessible check). */
export function needsHCNodePort(svc: Service): boolean {
  const s = specOf(svc);
  return s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
}

/** The non-zero nodePorts of a Service, in port order, duplicates kept (collectServiceNodePorts). */
export function collectNodePorts(svc: Service): number[] {
  const out: number[] = [];
  for (const p of specOf(svc).ports ?? []) if (isSet(p.nodePort) && p.nodePort !== 0) out.push(p.nodePort);
  return out;
}

export function sameStrings(a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The other IP family. */
export function otherFamily(f: IPFamily): IPFamily {
  return f === 'IPv4' ? 'IPv6' : 'IPv4';
}
