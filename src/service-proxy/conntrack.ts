// Stale UDP conntrack clean-up, done as a reconciler (the lesson of k/k#126130 and its
// regressions): after each successful kernel sync, list UDP conntrack entries and delete every
// entry for a service frontend (ClusterIP, external IP, LB IP, NodePort) that is DNATed to an
// endpoint the frontend no longer uses, or was not DNATed although endpoints now exist (the
// "0 → N endpoints" black hole), or belongs to a deleted service in the service CIDR. TCP needs
// none of this (FIN/RST end its flows). Parsing and deciding are pure; `ConntrackClient` runs the tool.
import type { Executor } from './exec.ts';
import { ExecError } from './exec.ts';
import { categorizeEndpoints } from './categorize.ts';
import type { ProxyConfig, ProxyStateView, ServicePortInfo } from './types.ts';
import { cidrContains, parseCIDR, parseIP } from '../machinery/cidr.ts';

/** One conntrack flow: the original direction and the reply direction. */
export interface ConntrackEntry {
  readonly proto: string;
  /** TCP state (ESTABLISHED, TIME_WAIT, ...); '' for UDP. */
  readonly state: string;
  readonly origSrc: string;
  readonly origDst: string;
  readonly origSport: number;
  readonly origDport: number;
  readonly replySrc: string;
  readonly replySport: number;
}

/** Parses `conntrack -L` output (one flow per line). Lines it cannot read are skipped. */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const proto = words[0];
    if (proto === undefined || proto === '' || proto.startsWith('conntrack')) continue;
    const kv: Record<string, string>[] = [{}, {}];
    let dir = -1;
    let state = '';
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=');
      if (eq < 0) {
        if (/^[A-Z_]+$/.test(w) && dir < 0) state = w;
        continue;
      }
      const k = w.slice(0, eq);
      if (k === 'src') dir++;
      const slot = kv[dir];
      if (slot !== undefined && slot[k] === undefined) slot[k] = w.slice(eq + 1);
    }
    const [o, r] = kv;
    if (o?.['src'] === undefined || r?.['src'] === undefined) continue;
    out.push({
      proto,
      state,
      origSrc: o['src'],
      origDst: o['dst'] ?? '',
      origSport: Number(o['sport'] ?? 0),
      origDport: Number(o['dport'] ?? 0),
      replySrc: r['src'],
      replySport: Number(r['sport'] ?? 0),
    });
  }
  return out;
}

/** `ip:port` → endpoints (`ip:port`) that traffic to it may reach now. */
export function udpFrontends(state: ProxyStateView, cfg: ProxyConfig): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [key, svc] of state.services) {
    if (svc.protocol !== 'UDP') continue;
    const eps = new Set(categorizeEndpoints(state.endpoints.get(key) ?? [], svc, { nodeName: cfg.nodeName, zone: cfg.nodeZone }).allReachable.map((e) => e.endpoint));
    for (const f of frontendsOf(svc, cfg)) out.set(f, eps);
  }
  return out;
}

/** Every `ip:port` a service port accepts traffic on (NodePorts on each node IP). */
export function frontendsOf(svc: ServicePortInfo, cfg: ProxyConfig): string[] {
  const out = [`${svc.clusterIP}:${svc.port}`];
  for (const ip of [...svc.externalIPs, ...svc.loadBalancerVIPs]) out.push(`${ip}:${svc.port}`);
  if (svc.nodePort !== 0) for (const ip of cfg.nodeIPs) out.push(`${ip}:${svc.nodePort}`);
  return out;
}

/** The UDP entries that would keep sending packets to the wrong place. Pure. */
export function staleUDPEntries(entries: readonly ConntrackEntry[], state: ProxyStateView, cfg: ProxyConfig): ConntrackEntry[] {
  const frontends = udpFrontends(state, cfg);
  const cidrs = cfg.serviceCIDRs.map((c) => parseCIDR(c)).filter((c) => c !== undefined);
  const stale: ConntrackEntry[] = [];
  for (const e of entries) {
    if (e.proto !== 'udp') continue;
    const dnated = e.replySrc !== e.origDst || e.replySport !== e.origDport;
    const eps = frontends.get(`${e.origDst}:${e.origDport}`);
    if (eps === undefined) {
      const ip = parseIP(e.origDst);
      if (dnated && ip !== undefined && cidrs.some((c) => cidrContains(c, ip))) stale.push(e);
      continue;
    }
    if (dnated ? !eps.has(`${e.replySrc}:${e.replySport}`) : eps.size > 0) stale.push(e);
  }
  return stale;
}

/** The conntrack tool. */
export interface ConntrackClient {
  list(proto?: 'udp' | 'tcp'): Promise<ConntrackEntry[]>;
  /** Deletes exactly this flow. */
  delete(e: ConntrackEntry): Promise<void>;
}

/** The real conntrack(8), optionally inside a network namespace. */
export function realConntrack(ex: Executor): ConntrackClient {
  return {
    async list(proto) {
      const r = await ex.run('conntrack', ['-L', ...(proto === undefined ? [] : ['-p', proto])]);
      if (r.code !== 0 && !/0 flow entries/.test(r.stderr)) throw new ExecError('conntrack -L', r);
      return parseConntrack(r.stdout);
    },
    async delete(e) {
      // Exit code 1 with "0 flow entries" means it was gone already.
      await ex.run('conntrack', ['-D', '-p', e.proto, '--orig-src', e.origSrc, '--orig-dst', e.origDst, '--sport', String(e.origSport), '--dport', String(e.origDport)]);
    },
  };
}

/** In-memory conntrack for tests. */
export class FakeConntrack implements ConntrackClient {
  entries: ConntrackEntry[] = [];
  readonly deleted: ConntrackEntry[] = [];
  async list(proto?: 'udp' | 'tcp'): Promise<ConntrackEntry[]> {
    return this.entries.filter((e) => proto === undefined || e.proto === proto);
  }
  async delete(e: ConntrackEntry): Promise<void> {
    this.deleted.push(e);
    this.entries = this.entries.filter((x) => x !== e);
  }
}

/** Lists UDP flows and deletes the stale ones; returns how many were deleted. */
export async function reconcileConntrack(client: ConntrackClient, state: ProxyStateView, cfg: ProxyConfig): Promise<number> {
  const stale = staleUDPEntries(await client.list('udp'), state, cfg);
  for (const e of stale) await client.delete(e);
  return stale.length;
}

/** IPVS-style counters from conntrack: per `<PROTO ip:port>|<endpoint>`, TCP ESTABLISHED is active, anything else inactive. */
export function countersFromConntrack(entries: readonly ConntrackEntry[]): Map<string, { active: number; inactive: number }> {
  const out = new Map<string, { active: number; inactive: number }>();
  for (const e of entries) {
    if (e.replySrc === e.origDst && e.replySport === e.origDport) continue;
    const k = `${e.proto.toUpperCase()} ${e.origDst}:${e.origDport}|${e.replySrc}:${e.replySport}`;
    let c = out.get(k);
    if (c === undefined) out.set(k, (c = { active: 0, inactive: 0 }));
    if (e.proto === 'tcp' && e.state === 'ESTABLISHED') c.active++;
    else c.inactive++;
  }
  return out;
}
