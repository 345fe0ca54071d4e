// `switchboard proxy list`: the running proxy's virtual services in the layout of `ipvsadm -Ln`
// (one line per frontend with scheduler and persistence, one indented line per endpoint with
// forward method, weight, active and inactive connections), for every mode. Kernel modes take
// their counts from conntrack; userspace from its own sockets. Pure.
import { categorizeEndpoints } from './categorize.ts';
import type { EndpointCounters } from './backend.ts';
import type { ProxyConfig, ProxyMode, ProxyStateView } from './types.ts';
import { frontendsOfPort } from './backends/userspace/route.ts';
import { parseIP } from '../machinery/cidr.ts';

export interface RealServer {
  readonly address: string;
  readonly weight: number;
  readonly active: number;
  readonly inactive: number;
}

export interface VirtualServer {
  readonly protocol: string;
  readonly address: string;
  readonly service: string;
  readonly scheduler: string;
  /** ClientIP affinity timeout in seconds; 0 = none. */
  readonly persistent: number;
  readonly realServers: readonly RealServer[];
  /** Why the frontend is not served, when it is not (userspace bind errors). */
  readonly note?: string;
}

/** A listing snapshot, as the proxy's HTTP endpoint serves it (JSON). */
export interface ProxyListing {
  readonly mode: ProxyMode;
  readonly scheduler: string;
  readonly virtualServers: readonly VirtualServer[];
}

export interface ListingInput {
  readonly state: ProxyStateView;
  readonly cfg: ProxyConfig;
  readonly mode: ProxyMode;
  /** userspace: its scheduler; kernel modes: how they balance. */
  readonly scheduler: string;
  readonly nodePortAddresses: readonly string[];
  /** Per `<PROTO ip:port>|<endpoint>`. */
  readonly counters: ReadonlyMap<string, EndpointCounters>;
  /** userspace: frontend id → status other than listening. */
  readonly frontendNotes?: ReadonlyMap<string, string>;
}

function sortKey(proto: string, address: string): string {
  const [ip = '', port = '0'] = address.split(/:(?=\d+$)/);
  return `${proto} ${(parseIP(ip)?.value ?? 0n).toString().padStart(40, '0')} ${port.padStart(5, '0')}`;
}

/** The virtual servers of the current state. */
export function virtualServers(input: ListingInput): VirtualServer[] {
  const out: VirtualServer[] = [];
  for (const svc of input.state.services.values()) {
    const cats = categorizeEndpoints(input.state.endpoints.get(svc.key) ?? [], svc, { nodeName: input.cfg.nodeName, zone: input.cfg.nodeZone });
    for (const f of frontendsOfPort(svc, input.nodePortAddresses)) {
      const eps = f.kind === 'cluster' ? (svc.internalPolicyLocal ? cats.local : cats.cluster) : svc.externalPolicyLocal ? cats.local : cats.cluster;
      const note = input.frontendNotes?.get(f.id);
      out.push({
        protocol: f.protocol,
        address: `${f.ip}:${f.port}`,
        service: svc.nameString,
        scheduler: input.scheduler,
        persistent: svc.stickyMaxAgeSeconds,
        realServers: eps.map((e) => {
          const c = input.counters.get(`${f.id}|${e.endpoint}`);
          return { address: e.endpoint, weight: 1, active: c?.active ?? 0, inactive: c?.inactive ?? 0 };
        }),
        ...(note === undefined ? {} : { note }),
      });
    }
  }
  return out.sort((a, b) => (sortKey(a.protocol, a.address) < sortKey(b.protocol, b.address) ? -1 : 1));
}

/** Prints a listing like `ipvsadm -Ln`. */
export function formatListing(l: ProxyListing): string {
  const lines = [
    `Switchboard service proxy, ${l.mode} mode (layout of ipvsadm -Ln)`,
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
  ];
  for (const vs of l.virtualServers) {
    const flags = vs.persistent > 0 ? ` persistent ${vs.persistent}` : '';
    lines.push(`${vs.protocol.padEnd(4)} ${vs.address} ${vs.scheduler}${flags}${vs.note === undefined ? '' : `  (${vs.note})`}`);
    for (const rs of vs.realServers) {
      lines.push(`  -> ${rs.address.padEnd(28)} ${'Masq'.padEnd(7)} ${String(rs.weight).padEnd(6)} ${String(rs.active).padEnd(10)} ${rs.inactive}`);
    }
  }
  return lines.join('\n') + '\n';
}
