// Where the userspace proxy sends a connection: which frontends (ClusterIP, external IP, LB IP,
// NodePort addresses) it listens on, and for a client arriving at one, which endpoints are
// allowed, with the same policy decisions the kernel backends make (traffic policies, the pod and
// node short-circuit of eTP Local, loadBalancerSourceRanges, serving-terminating fallback).
// A service port without endpoints gets no listener, so the kernel refuses the connection at once.
// Pure.
import { categorizeEndpoints, type Categorized } from '../../categorize.ts';
import type { FlowResult, Packet } from '../../flows.ts';
import type { EndpointInfo, ProxyConfig, ProxyStateView, Protocol, ServicePortInfo } from '../../types.ts';
import { cidrContains, parseCIDR, parseIP } from '../../../machinery/cidr.ts';

export type FrontendKind = 'cluster' | 'external' | 'loadbalancer' | 'nodeport';

/** One address the proxy listens on for one service port. */
export interface Frontend {
  /** `TCP 10.96.0.10:53`: unique per socket. */
  readonly id: string;
  readonly ip: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly servicePortKey: string;
  readonly kind: FrontendKind;
}

export function frontendId(protocol: Protocol, ip: string, port: number): string {
  return `${protocol} ${ip}:${port}`;
}

function inCIDR(ip: string, cidr: string): boolean {
  const c = parseCIDR(cidr.includes('/') ? cidr : `${cidr}/32`);
  const a = parseIP(ip);
  return c !== undefined && a !== undefined && cidrContains(c, a);
}

/** Every frontend of a service port (whether or not it has endpoints). */
export function frontendsOfPort(svc: ServicePortInfo, nodePortAddresses: readonly string[]): Frontend[] {
  const f = (ip: string, port: number, kind: FrontendKind): Frontend => ({ id: frontendId(svc.protocol, ip, port), ip, port, protocol: svc.protocol, servicePortKey: svc.key, kind });
  const out = [f(svc.clusterIP, svc.port, 'cluster')];
  for (const ip of svc.externalIPs) out.push(f(ip, svc.port, 'external'));
  for (const ip of svc.loadBalancerVIPs) out.push(f(ip, svc.port, 'loadbalancer'));
  if (svc.nodePort !== 0) for (const ip of nodePortAddresses) out.push(f(ip, svc.nodePort, 'nodeport'));
  return out;
}

/** The frontends to listen on: those of service ports with some usable endpoint. */
export function desiredFrontends(state: ProxyStateView, cfg: ProxyConfig, nodePortAddresses: readonly string[]): Map<string, Frontend> {
  const out = new Map<string, Frontend>();
  for (const key of [...state.services.keys()].sort()) {
    const svc = state.services.get(key);
    if (svc === undefined) continue;
    const cats = categorizeEndpoints(state.endpoints.get(key) ?? [], svc, { nodeName: cfg.nodeName, zone: cfg.nodeZone });
    if (!cats.hasAny) continue;
    for (const f of frontendsOfPort(svc, nodePortAddresses)) if (!out.has(f.id)) out.set(f.id, f);
  }
  return out;
}

/** What happens to a client arriving at a frontend. */
export type Decision =
  | { readonly verdict: 'forward'; readonly endpoints: readonly EndpointInfo[]; readonly svc: ServicePortInfo }
  | { readonly verdict: 'DROP' | 'REJECT' };

/**
 * Decides the allowed endpoints for `clientIP` at frontend `f`. `categorized` may hold the
 * categorisation of the service port already (the proxy computes it once per sync, not per connection).
 */
export function decide(state: ProxyStateView, cfg: ProxyConfig, f: Frontend, clientIP: string, categorized?: Categorized): Decision {
  const svc = state.services.get(f.servicePortKey);
  if (svc === undefined) return { verdict: 'REJECT' };
  const cats = categorized ?? categorizeEndpoints(state.endpoints.get(f.servicePortKey) ?? [], svc, { nodeName: cfg.nodeName, zone: cfg.nodeZone });
  if (!cats.hasAny) return { verdict: 'REJECT' };
  const isLocalSource = clientIP.startsWith('127.') || cfg.nodeIPs.includes(clientIP);
  let eps: readonly EndpointInfo[];
  if (f.kind === 'cluster') {
    eps = svc.internalPolicyLocal ? cats.local : cats.cluster;
  } else {
    if (f.kind === 'loadbalancer' && svc.loadBalancerSourceRanges.length > 0) {
      const nodeInRange = svc.loadBalancerSourceRanges.some((r) => cfg.nodeIPs.some((n) => inCIDR(n, r)));
      const allowed = svc.loadBalancerSourceRanges.some((r) => inCIDR(clientIP, r)) || (nodeInRange && svc.loadBalancerVIPs.includes(clientIP));
      if (!allowed) return { verdict: 'DROP' };
    }
    if (svc.externalPolicyLocal) {
      const shortCircuit = isLocalSource || (cfg.clusterCIDR !== '' && inCIDR(clientIP, cfg.clusterCIDR));
      eps = shortCircuit ? cats.cluster : cats.local;
    } else {
      eps = cats.cluster;
    }
  }
  if (eps.length === 0) return { verdict: 'DROP' };
  return { verdict: 'forward', endpoints: eps, svc };
}

/** Finds the frontend a packet arrives at, among every service port's frontends. */
export function findFrontend(state: ProxyStateView, nodePortAddresses: readonly string[], p: Packet): Frontend | undefined {
  for (const svc of state.services.values()) {
    if (svc.protocol !== p.protocol) continue;
    for (const f of frontendsOfPort(svc, nodePortAddresses)) if (f.ip === p.destIP && f.port === p.destPort) return f;
  }
  return undefined;
}

/**
 * The flow-table view of the userspace proxy: every endpoint the scheduler may pick, or REJECT
 * (nothing listens, and the locally routed service CIDR makes the kernel refuse), DROP, or ""
 * (not an address the proxy serves). Masquerading does not apply: every connection leaves from
 * the proxy's own socket.
 */
export function traceUserspace(state: ProxyStateView, cfg: ProxyConfig, nodePortAddresses: readonly string[], p: Packet): FlowResult {
  const f = findFrontend(state, nodePortAddresses, p);
  if (f === undefined) {
    const inServiceCIDR = cfg.serviceCIDRs.some((c) => inCIDR(p.destIP, c));
    return { output: inServiceCIDR ? 'REJECT' : '', masq: false };
  }
  const d = decide(state, cfg, f, p.sourceIP);
  if (d.verdict !== 'forward') return { output: d.verdict, masq: false };
  return { output: [...d.endpoints].map((e) => e.endpoint).sort().join(', '), masq: false };
}
