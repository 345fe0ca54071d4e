// Which endpoints a service port's traffic may use on this node, as kube-proxy's
// CategorizeEndpoints decides it: ready endpoints first, serving-but-terminating ones only when no
// ready one is left (KEP-1669), a Local set for internal/external traffic policy Local, and
// topology hints for this node's zone (KEP-2433) when every ready endpoint carries them. Pure.
import type { EndpointInfo, ServicePortInfo } from './types.ts';
import { usesClusterEndpoints, usesLocalEndpoints } from './types.ts';

export interface Categorized {
  /** Endpoints for traffic policy Cluster (empty when the port uses none). */
  readonly cluster: readonly EndpointInfo[];
  /** This node's endpoints for traffic policy Local (empty when the port uses none). */
  readonly local: readonly EndpointInfo[];
  /** Union of both: every endpoint some traffic may reach (for SEP chains, conntrack, listing). */
  readonly allReachable: readonly EndpointInfo[];
  /** Some usable endpoint exists anywhere in the cluster. */
  readonly hasAny: boolean;
  /** Topology hints narrowed the cluster set. */
  readonly usedTopology: boolean;
}

/** Node facts the choice depends on. */
export interface NodeTopology {
  readonly nodeName: string;
  readonly zone: string;
}

const topologyDistributions = new Set(['PreferClose', 'PreferSameZone']);

/** True when zone hints should narrow the cluster endpoints (canUseTopology). */
export function canUseTopology(endpoints: readonly EndpointInfo[], svc: ServicePortInfo, node: NodeTopology): boolean {
  const annotated = svc.hintsAnnotation === 'Auto' || svc.hintsAnnotation === 'auto';
  if (!annotated && !topologyDistributions.has(svc.trafficDistribution)) return false;
  if (node.zone === '') return false;
  let forZone = false;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    if (ep.zoneHints.length === 0) return false;
    if (ep.zoneHints.includes(node.zone)) forZone = true;
  }
  return forZone;
}

/** Splits a service port's endpoints into the Cluster and Local sets this node uses. */
export function categorizeEndpoints(endpoints: readonly EndpointInfo[], svc: ServicePortInfo, node: NodeTopology): Categorized {
  let cluster: EndpointInfo[] = [];
  let local: EndpointInfo[] = [];
  let hasAny = false;
  let usedTopology = false;
  if (usesClusterEndpoints(svc)) {
    usedTopology = canUseTopology(endpoints, svc, node);
    cluster = endpoints.filter((ep) => ep.ready && (!usedTopology || ep.zoneHints.includes(node.zone)));
    if (cluster.length === 0) cluster = endpoints.filter((ep) => ep.serving && ep.terminating);
    if (cluster.length > 0) hasAny = true;
  }
  if (!usesLocalEndpoints(svc)) return { cluster, local, allReachable: cluster, hasAny, usedTopology };

  let localReady = false;
  let localTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAny = true;
      if (ep.isLocal) localReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAny = true;
      if (ep.isLocal) localTerminating = true;
    }
  }
  if (localReady) local = endpoints.filter((ep) => ep.isLocal && ep.ready);
  else if (localTerminating) local = endpoints.filter((ep) => ep.isLocal && ep.serving && ep.terminating);

  if (!usesClusterEndpoints(svc)) return { cluster, local, allReachable: local, hasAny, usedTopology };
  const merged = new Map<string, EndpointInfo>();
  for (const ep of cluster) merged.set(ep.endpoint, ep);
  for (const ep of local) merged.set(ep.endpoint, ep);
  const allReachable = [...merged.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
  return { cluster, local, allReachable, hasAny, usedTopology };
}
