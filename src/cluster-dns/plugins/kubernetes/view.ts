// The narrow interface the kubernetes plugin reads the cluster through (CoreDNS's dnsController):
// lookups by name and by IP over watch caches. The informer-backed implementation is informer.ts;
// tests and the benchmark use the static one in fake.ts.
import type { EndpointSlice, Namespace, Pod, Service } from '../../../api/types.ts';

export interface ClusterView {
  /** True once every watched resource has been listed once (before that, misses are SERVFAIL). */
  hasSynced(): boolean;
  namespace(name: string): Namespace | undefined;
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices of a Service (label `kubernetes.io/service-name`). */
  endpointSlices(namespace: string, service: string): readonly EndpointSlice[];
  /** Services whose `spec.clusterIPs` hold this IP (canonical text). */
  servicesByClusterIP(ip: string): readonly Service[];
  /** EndpointSlices with an endpoint address equal to this IP (canonical text). */
  endpointSlicesByIP(ip: string): readonly EndpointSlice[];
  /** Pods whose `status.podIPs` hold this IP (only needed for `pods verified` and `endpoint_pod_names`). */
  podsByIP(ip: string): readonly Pod[];
  /** Unix time (seconds) of the last change seen; the SOA serial. */
  modified(): number;
  /** Asks the view to watch Pods as well (`pods verified`); views that always have them omit it. */
  requirePods?(): void;
}

/** The Service an EndpointSlice belongs to (its `kubernetes.io/service-name` label). */
export function sliceService(s: EndpointSlice): string | undefined {
  return s.metadata.labels?.['kubernetes.io/service-name'];
}
