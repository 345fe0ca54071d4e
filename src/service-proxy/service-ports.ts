// Service → ServicePortInfo, as kube-proxy's newBaseServiceInfo reads a Service: one entry per
// port, IPv4 only, headless and ExternalName services skipped. Pure.
import type { Service } from '../api/types.ts';
import { parseCIDR, parseIP, formatCIDR } from '../machinery/cidr.ts';
import type { Protocol, ServicePortInfo, ServicePortName } from './types.ts';

/** kube-proxy's default ClientIP affinity timeout (3 h). */
export const defaultStickyMaxAgeSeconds = 10800;

const topologyModeAnnotation = 'service.kubernetes.io/topology-mode';
const topologyHintsAnnotation = 'service.kubernetes.io/topology-aware-hints';

function isIPv4(s: string): boolean {
  return parseIP(s)?.family === 4;
}

/** `<ns>/<name>:<port>` or `<ns>/<name>` (ServicePortName.String()). */
export function servicePortNameString(n: Pick<ServicePortName, 'namespace' | 'name' | 'port'>): string {
  return n.port === '' ? `${n.namespace}/${n.name}` : `${n.namespace}/${n.name}:${n.port}`;
}

/** The key both trackers use for a service port. */
export function servicePortKey(n: ServicePortName): string {
  return `${servicePortNameString(n)}/${n.protocol}`;
}

/** Why kube-proxy ignores a Service entirely, or undefined when it programs it. */
export function skipReason(svc: Service): string | undefined {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return 'ExternalName';
  const ip = spec.clusterIP ?? '';
  if (ip === '' || ip === 'None') return 'headless';
  return undefined;
}

function firstIPv4ClusterIP(svc: Service): string | undefined {
  const spec = svc.spec ?? {};
  const all = spec.clusterIPs !== undefined && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP ?? ''];
  return all.find(isIPv4);
}

function normaliseProtocol(p: string | undefined | null): Protocol | undefined {
  if (p === undefined || p === null || p === '' || p === 'TCP') return 'TCP';
  if (p === 'UDP' || p === 'SCTP') return p;
  return undefined;
}

/** The service ports of `svc` this IPv4 proxy programs (empty when the Service is skipped). */
export function servicePortsFromService(svc: Service): ServicePortInfo[] {
  if (skipReason(svc) !== undefined) return [];
  const clusterIP = firstIPv4ClusterIP(svc);
  if (clusterIP === undefined) return [];
  const spec = svc.spec ?? {};
  const namespace = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  const type = spec.type ?? 'ClusterIP';
  const isLB = type === 'LoadBalancer';
  const externalIPs = (spec.externalIPs ?? []).filter(isIPv4);
  const loadBalancerVIPs = isLB
    ? (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip !== undefined && i.ipMode !== 'Proxy' && isIPv4(i.ip)).map((i) => i.ip ?? '')
    : [];
  const loadBalancerSourceRanges = isLB
    ? (spec.loadBalancerSourceRanges ?? []).flatMap((r) => {
        const c = parseCIDR(r.trim());
        return c !== undefined && c.family === 4 ? [formatCIDR(c)] : [];
      })
    : [];
  const sticky = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultStickyMaxAgeSeconds) : 0;
  const annotations = svc.metadata.annotations ?? {};
  const hintsAnnotation = annotations[topologyModeAnnotation] ?? annotations[topologyHintsAnnotation] ?? '';
  const out: ServicePortInfo[] = [];
  for (const p of spec.ports ?? []) {
    const protocol = normaliseProtocol(p.protocol);
    if (protocol === undefined) continue;
    const nodePort = type === 'NodePort' || isLB ? (p.nodePort ?? 0) : 0;
    const externallyAccessible = nodePort !== 0 || externalIPs.length > 0 || loadBalancerVIPs.length > 0;
    const portName: ServicePortName = { namespace, name, port: p.name ?? '', protocol };
    const externalPolicyLocal = externallyAccessible && spec.externalTrafficPolicy === 'Local';
    out.push({
      name: portName,
      nameString: servicePortNameString(portName),
      key: servicePortKey(portName),
      serviceName: `${namespace}/${name}`,
      clusterIP,
      port: p.port,
      protocol,
      nodePort,
      externalIPs,
      loadBalancerVIPs,
      loadBalancerSourceRanges,
      stickyMaxAgeSeconds: sticky,
      externalPolicyLocal,
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      healthCheckNodePort: isLB && externalPolicyLocal ? (spec.healthCheckNodePort ?? 0) : 0,
      hintsAnnotation,
      trafficDistribution: spec.trafficDistribution ?? '',
    });
  }
  return out;
}
