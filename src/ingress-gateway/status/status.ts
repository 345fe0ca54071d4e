// status.loadBalancer of the Ingresses we serve: the address clients reach the controller on (as
// ingress-nginx publishes its Service's address; the seeds show `ingress: [{ip: ...}]`). Pure:
// what the status should be, and the merge patch that gets it there.
import type { Ingress } from '../../api/types.ts';

/** Where the controller is reachable. */
export interface PublishAddress {
  /** An IP (`ip`) or a DNS name (`hostname`). */
  address: string;
  httpPort: number;
  httpsPort: number;
}

/** One entry of status.loadBalancer.ingress. */
export interface LoadBalancerEntry {
  ip?: string;
  hostname?: string;
  ports?: { port: number; protocol: 'TCP' }[];
}

const ipLike = /^(\d+\.\d+\.\d+\.\d+|[0-9a-fA-F:]+:[0-9a-fA-F:.]*)$/;

/**
 * The status entries for an address. Ports are listed when they are not 80/443, since clients
 * cannot guess them (IngressLoadBalancerIngress.ports: the ports this load balancer exposes).
 */
export function loadBalancerEntries(p: PublishAddress): LoadBalancerEntry[] {
  const e: LoadBalancerEntry = ipLike.test(p.address) ? { ip: p.address } : { hostname: p.address };
  if (p.httpPort !== 80 || p.httpsPort !== 443) e.ports = [{ port: p.httpPort, protocol: 'TCP' }, { port: p.httpsPort, protocol: 'TCP' }];
  return [e];
}

function canonical(entries: readonly unknown[] | undefined): string {
  return JSON.stringify(entries ?? []);
}

/** The merge patch for `/status` that makes an Ingress show `want`, or undefined when it already does. */
export function statusPatch(ing: Ingress, want: readonly LoadBalancerEntry[]): { status: { loadBalancer: { ingress: LoadBalancerEntry[] | null } } } | undefined {
  const have = ing.status?.loadBalancer?.ingress ?? [];
  if (canonical(have) === canonical(want)) return undefined;
  return { status: { loadBalancer: { ingress: want.length === 0 ? null : [...want] } } };
}

/** True when an Ingress's status is exactly what we would write (so clearing it is ours to do). */
export function isOurStatus(ing: Ingress, ours: readonly LoadBalancerEntry[]): boolean {
  const have = ing.status?.loadBalancer?.ingress ?? [];
  return have.length > 0 && canonical(have) === canonical(ours);
}
