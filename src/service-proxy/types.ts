// The proxy's own view of Services and EndpointSlices: one ServicePortInfo per (Service, port) and
// a list of EndpointInfo per service port, as kube-proxy's ServicePort/Endpoint interfaces hold them.
// Every backend renders from these values only; nothing here knows about the API's JSON shapes.
// Pure types and tiny helpers: no I/O.

/** The L4 protocols a Service port can name. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** The data planes. `ipvs` is accepted as a name and served by userspace with an IPVS scheduler. */
export const proxyModes = ['userspace', 'iptables', 'nftables'] as const;
export type ProxyMode = (typeof proxyModes)[number];

/** Identifies one port of one Service (kube-proxy's ServicePortName). */
export interface ServicePortName {
  readonly namespace: string;
  readonly name: string;
  /** The port's name; '' for an unnamed (single) port. */
  readonly port: string;
  readonly protocol: Protocol;
}

/** Everything a data plane needs about one service port (kube-proxy's BaseServicePortInfo). */
export interface ServicePortInfo {
  readonly name: ServicePortName;
  /** `<ns>/<name>:<port>`, or `<ns>/<name>` for an unnamed port (ServicePortName.String()). */
  readonly nameString: string;
  /** Stable map key: nameString plus protocol (two protocols may share a port name). */
  readonly key: string;
  /** `<ns>/<name>`: the unit the change trackers report. */
  readonly serviceName: string;
  readonly clusterIP: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** 0 when the service has no NodePort. */
  readonly nodePort: number;
  readonly externalIPs: readonly string[];
  /** status.loadBalancer.ingress IPs (ipMode Proxy excluded). */
  readonly loadBalancerVIPs: readonly string[];
  /** Trimmed, valid IPv4 CIDRs. */
  readonly loadBalancerSourceRanges: readonly string[];
  /** ClientIP affinity timeout in seconds; 0 = no affinity. */
  readonly stickyMaxAgeSeconds: number;
  readonly externalPolicyLocal: boolean;
  readonly internalPolicyLocal: boolean;
  readonly healthCheckNodePort: number;
  /** `service.kubernetes.io/topology-mode` (or the older topology-aware-hints) annotation. */
  readonly hintsAnnotation: string;
  /** spec.trafficDistribution ('' when unset). */
  readonly trafficDistribution: string;
}

/** One backend address of a service port (kube-proxy's BaseEndpointInfo). */
export interface EndpointInfo {
  readonly ip: string;
  readonly port: number;
  /** `ip:port`. */
  readonly endpoint: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** nodeName equals this proxy's node. An endpoint without nodeName is never local. */
  readonly isLocal: boolean;
  readonly nodeName: string;
  readonly zone: string;
  readonly zoneHints: readonly string[];
  readonly nodeHints: readonly string[];
}

/** Node-level settings every backend shares (from flags or the KubeProxyConfiguration). */
export interface ProxyConfig {
  readonly nodeName: string;
  /** Addresses that accept NodePort traffic (and count as LOCAL in tracers). */
  readonly nodeIPs: readonly string[];
  /** The node's `topology.kubernetes.io/zone` label, '' when unknown. */
  readonly nodeZone: string;
  /** Pod CIDR used to tell pod traffic from off-cluster traffic ('' = no local detector). */
  readonly clusterCIDR: string;
  /** Service CIDRs (nftables drops traffic to unallocated addresses in them). */
  readonly serviceCIDRs: readonly string[];
  /** Bit of the packet mark that asks for masquerading (14 → 0x4000). */
  readonly masqueradeBit: number;
  readonly masqueradeAll: boolean;
}

/** The defaults kubeadm clusters run with, on a node with no name or addresses yet. */
export function defaultProxyConfig(overrides: Partial<ProxyConfig> = {}): ProxyConfig {
  return {
    nodeName: '',
    nodeIPs: [],
    nodeZone: '',
    clusterCIDR: '10.244.0.0/16',
    serviceCIDRs: ['10.96.0.0/12'],
    masqueradeBit: 14,
    masqueradeAll: false,
    ...overrides,
  };
}

/** The mark as kube-proxy prints it (`0x4000`). */
export function masqueradeMark(cfg: ProxyConfig): string {
  return `0x${(1 << cfg.masqueradeBit).toString(16)}`;
}

/** True when NodePort, external IPs or LoadBalancer IPs make the port reachable from outside. */
export function externallyAccessible(svc: ServicePortInfo): boolean {
  return svc.nodePort !== 0 || svc.loadBalancerVIPs.length > 0 || svc.externalIPs.length > 0;
}

/** True when some traffic to the port may use endpoints on any node. */
export function usesClusterEndpoints(svc: ServicePortInfo): boolean {
  return !svc.internalPolicyLocal || (externallyAccessible(svc) && !svc.externalPolicyLocal);
}

/** True when some traffic to the port may only use this node's endpoints. */
export function usesLocalEndpoints(svc: ServicePortInfo): boolean {
  return svc.internalPolicyLocal || (externallyAccessible(svc) && svc.externalPolicyLocal);
}

/** Lower-case protocol as iptables and nft spell it. */
export function protoLower(p: Protocol): 'tcp' | 'udp' | 'sctp' {
  return p === 'TCP' ? 'tcp' : p === 'UDP' ? 'udp' : 'sctp';
}

/** Read-only view of the proxy's state that backends render from. */
export interface ProxyStateView {
  /** Service ports by key. */
  readonly services: ReadonlyMap<string, ServicePortInfo>;
  /** Endpoints by service-port key (absent = none). */
  readonly endpoints: ReadonlyMap<string, readonly EndpointInfo[]>;
}
