// The nftables ruleset as a value, in kube-proxy's nftables layout (KEP-3866): one table
// `ip kube-proxy`, dispatch through verdict maps (service-ips, service-nodeports, firewall-ips,
// no-endpoint-*), numgen random balancing, affinity sets with timeouts. `desiredState` computes
// chains and map elements from Services and endpoints; `renderTransaction` turns the difference
// from what was applied into one `nft -f` transaction: everything on a full sync, only changed
// services' chains and changed elements otherwise. Pure.
import { categorizeEndpoints } from '../../categorize.ts';
import { nftEndpointBase, nftServiceBase } from '../../hash.ts';
import type { EndpointInfo, ProxyConfig, ProxyStateView, ServicePortInfo } from '../../types.ts';
import { externallyAccessible, masqueradeMark, protoLower, usesClusterEndpoints, usesLocalEndpoints } from '../../types.ts';
import { parseCIDR, parseIP, cidrContains } from '../../../machinery/cidr.ts';

export const family = 'ip';
export const tableName = 'kube-proxy';
const T = `${family} ${tableName}`;

/** Verdict maps and sets whose elements the proxier manages (affinity sets are separate). */
export const elementSets = {
  clusterIPs: 'cluster-ips',
  nodePortIPs: 'nodeport-ips',
  serviceIPs: 'service-ips',
  serviceNodePorts: 'service-nodeports',
  firewallIPs: 'firewall-ips',
  noEndpointServices: 'no-endpoint-services',
  noEndpointNodePorts: 'no-endpoint-nodeports',
} as const;

const ipProtoPort = `${family === 'ip' ? 'ipv4_addr' : 'ipv6_addr'} . inet_proto . inet_service`;

/** Set and map declarations (kind, name, body). */
const setDecls: readonly [string, string, string][] = [
  ['set', elementSets.clusterIPs, `{ type ipv4_addr ; comment "Active ClusterIPs" ; }`],
  ['set', elementSets.nodePortIPs, `{ type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`],
  ['map', elementSets.firewallIPs, `{ type ${ipProtoPort} : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`],
  ['map', elementSets.noEndpointNodePorts, `{ type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`],
  ['map', elementSets.noEndpointServices, `{ type ${ipProtoPort} : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`],
  ['map', elementSets.serviceIPs, `{ type ${ipProtoPort} : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`],
  ['map', elementSets.serviceNodePorts, `{ type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`],
];

/** Base chains with their hooks, in declaration order. */
export const baseChains: readonly [string, string][] = [
  ['cluster-ips-check', ''],
  ['filter-prerouting-pre-dnat', '{ type filter hook prerouting priority -110 ; }'],
  ['filter-output-pre-dnat', '{ type filter hook output priority -110 ; }'],
  ['filter-forward', '{ type filter hook forward priority 0 ; }'],
  ['filter-input', '{ type filter hook input priority 0 ; }'],
  ['filter-output', '{ type filter hook output priority 0 ; }'],
  ['firewall-check', ''],
  ['mark-for-masquerade', ''],
  ['masquerading', ''],
  ['nat-output', '{ type nat hook output priority -100 ; }'],
  ['nat-postrouting', '{ type nat hook postrouting priority 100 ; }'],
  ['nat-prerouting', '{ type nat hook prerouting priority -100 ; }'],
  ['nodeport-endpoints-check', ''],
  ['reject-chain', '{ comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }'],
  ['services', ''],
  ['service-endpoints-check', ''],
];

/** Rules of the base chains. */
function baseRules(cfg: ProxyConfig): string[] {
  const mark = masqueradeMark(cfg);
  const r = (chain: string, rule: string) => `add rule ${T} ${chain} ${rule}`;
  const out = [r('cluster-ips-check', `ip daddr @${elementSets.clusterIPs} reject comment "Reject traffic to invalid ports of ClusterIPs"`)];
  if (cfg.serviceCIDRs.length > 0) out.push(r('cluster-ips-check', `ip daddr { ${cfg.serviceCIDRs.join(', ')} } drop comment "Drop traffic to unallocated ClusterIPs"`));
  out.push(
    r('filter-prerouting-pre-dnat', 'ct state new jump firewall-check'),
    r('filter-forward', 'ct state new jump service-endpoints-check'),
    r('filter-forward', 'ct state new jump cluster-ips-check'),
    r('filter-input', 'ct state new jump nodeport-endpoints-check'),
    r('filter-input', 'ct state new jump service-endpoints-check'),
    // Not in kube-proxy: the service CIDR is routed locally here, so unDNATed ClusterIP traffic
    // arrives on input and must meet the same checks as on forward.
    r('filter-input', 'ct state new jump cluster-ips-check'),
    r('filter-output', 'ct state new jump service-endpoints-check'),
    r('filter-output-pre-dnat', 'ct state new jump firewall-check'),
    r('filter-output', 'ct state new jump cluster-ips-check'),
    r('firewall-check', `ip daddr . meta l4proto . th dport vmap @${elementSets.firewallIPs}`),
    r('mark-for-masquerade', `mark set mark or ${mark}`),
    r('masquerading', `mark and ${mark} == 0 return`),
    r('masquerading', `mark set mark xor ${mark}`),
    r('masquerading', 'masquerade fully-random'),
    r('nat-output', 'jump services'),
    r('nat-postrouting', 'jump masquerading'),
    r('nat-prerouting', 'jump services'),
    r('nodeport-endpoints-check', `ip daddr @${elementSets.nodePortIPs} meta l4proto . th dport vmap @${elementSets.noEndpointNodePorts}`),
    r('reject-chain', 'reject'),
    r('services', `ip daddr . meta l4proto . th dport vmap @${elementSets.serviceIPs}`),
    r('services', `ip daddr @${elementSets.nodePortIPs} meta l4proto . th dport vmap @${elementSets.serviceNodePorts}`),
    r('service-endpoints-check', `ip daddr . meta l4proto . th dport vmap @${elementSets.noEndpointServices}`),
  );
  return out;
}

/** What the table should hold. */
export interface NftDesired {
  /** Per-service chain → owning service (`ns/name`) and its rules (undefined when not rendered this time). */
  readonly chains: Map<string, { service: string; rules: string[] | undefined }>;
  /** Affinity set → timeout seconds. */
  readonly affinitySets: Map<string, number>;
  /** Set/map → element key → element text (`key [comment ".."] [: verdict]`). */
  readonly elements: Map<string, Map<string, string>>;
  readonly noLocalEndpoints: { internal: number; external: number };
}

/** What was last applied to the kernel (kept by the backend to diff against). */
export interface NftApplied {
  readonly chains: ReadonlySet<string>;
  readonly affinitySets: ReadonlySet<string>;
  readonly elements: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

class DesiredBuilder implements NftDesired {
  readonly chains = new Map<string, { service: string; rules: string[] | undefined }>();
  readonly affinitySets = new Map<string, number>();
  readonly elements = new Map<string, Map<string, string>>(Object.values(elementSets).map((s) => [s, new Map<string, string>()]));
  readonly noLocalEndpoints = { internal: 0, external: 0 };
  element(set: string, key: string, comment: string | undefined, verdict: string | undefined): void {
    const text = `${key}${comment === undefined ? '' : ` comment "${comment}"`}${verdict === undefined ? '' : ` : ${verdict}`}`;
    this.elements.get(set)?.set(key, text);
  }
}

function chainNames(svc: ServicePortInfo) {
  const base = nftServiceBase(svc);
  return { service: `service-${base}`, local: `local-${base}`, external: `external-${base}`, firewall: `firewall-${base}` };
}

/** Builds the desired chains and elements of one service port. */
function desiredServicePort(d: DesiredBuilder, svc: ServicePortInfo, eps: readonly EndpointInfo[], cfg: ProxyConfig, withRules: boolean): void {
  const proto = protoLower(svc.protocol);
  const name = svc.nameString;
  const n = chainNames(svc);
  const cats = categorizeEndpoints(eps, svc, { nodeName: cfg.nodeName, zone: cfg.nodeZone });
  const hasEndpoints = cats.hasAny;
  const usesCluster = cats.cluster.length > 0 && usesClusterEndpoints(svc);
  const usesLocal = cats.local.length > 0 && usesLocalEndpoints(svc);
  let internalChain = n.service;
  let hasInternal = hasEndpoints;
  if (svc.internalPolicyLocal) {
    internalChain = n.local;
    if (cats.local.length === 0) hasInternal = false;
  }
  let externalPolicyChain = n.service;
  let hasExternal = hasEndpoints;
  if (svc.externalPolicyLocal) {
    externalPolicyChain = n.local;
    if (cats.local.length === 0) hasExternal = false;
  }
  const usesExternal = hasEndpoints && externallyAccessible(svc);
  const usesFirewall = hasEndpoints && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  let internalVerdict = '';
  let externalVerdict = '';
  if (!hasEndpoints) {
    internalVerdict = externalVerdict = 'goto reject-chain';
  } else {
    if (!hasInternal) {
      internalVerdict = 'drop';
      d.noLocalEndpoints.internal++;
    }
    if (!hasExternal) {
      externalVerdict = 'drop';
      d.noLocalEndpoints.external++;
    }
  }
  const key = (ip: string, port: number) => `${ip} . ${proto} . ${port}`;
  // Elements.
  d.element(elementSets.clusterIPs, svc.clusterIP, undefined, undefined);
  if (hasInternal) d.element(elementSets.serviceIPs, key(svc.clusterIP, svc.port), undefined, `goto ${internalChain}`);
  else d.element(elementSets.noEndpointServices, key(svc.clusterIP, svc.port), name, internalVerdict);
  for (const ip of svc.externalIPs) {
    if (hasEndpoints) d.element(elementSets.serviceIPs, key(ip, svc.port), undefined, `goto ${n.external}`);
    if (!hasExternal) d.element(elementSets.noEndpointServices, key(ip, svc.port), name, externalVerdict);
  }
  for (const ip of svc.loadBalancerVIPs) {
    if (hasEndpoints) d.element(elementSets.serviceIPs, key(ip, svc.port), undefined, `goto ${n.external}`);
    if (usesFirewall) d.element(elementSets.firewallIPs, key(ip, svc.port), undefined, `goto ${n.firewall}`);
    if (!hasExternal) d.element(elementSets.noEndpointServices, key(ip, svc.port), name, externalVerdict);
  }
  if (svc.nodePort !== 0) {
    const k = `${proto} . ${svc.nodePort}`;
    if (hasEndpoints) d.element(elementSets.serviceNodePorts, k, undefined, `goto ${n.external}`);
    if (!hasExternal) d.element(elementSets.noEndpointNodePorts, k, name, externalVerdict);
  }

  // Chains.
  const chain = (c: string): string[] | undefined => {
    const rules = withRules ? [] : undefined;
    d.chains.set(c, { service: svc.serviceName, rules });
    return rules;
  };
  const internalRules: string[] = [];
  if (hasInternal) {
    if (cfg.masqueradeAll) internalRules.push(`ip daddr ${svc.clusterIP} ${proto} dport ${svc.port} jump mark-for-masquerade`);
    else if (cfg.clusterCIDR !== '') internalRules.push(`ip daddr ${svc.clusterIP} ip saddr != ${cfg.clusterCIDR} jump mark-for-masquerade`);
  }
  const balance = (c: string, list: readonly EndpointInfo[]) => {
    const rules = chain(c);
    if (rules === undefined) return;
    if (c === internalChain) rules.push(...internalRules);
    if (svc.stickyMaxAgeSeconds > 0) {
      for (const ep of list) {
        const b = nftEndpointBase(svc, ep);
        rules.push(`ip saddr @affinity-${b} goto endpoint-${b}`);
      }
    }
    rules.push(`numgen random mod ${list.length} vmap { ${list.map((ep, i) => `${i} : goto endpoint-${nftEndpointBase(svc, ep)}`).join(' , ')} }`);
  };
  if (usesCluster) balance(n.service, cats.cluster);
  if (usesLocal) balance(n.local, cats.local);
  if (usesExternal) {
    const rules = chain(n.external);
    if (rules !== undefined) {
      if (!svc.externalPolicyLocal) {
        rules.push('jump mark-for-masquerade');
      } else {
        if (cfg.clusterCIDR !== '') rules.push(`ip saddr ${cfg.clusterCIDR} goto ${n.service} comment "short-circuit pod traffic"`);
        rules.push('fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"');
        rules.push(`fib saddr type local goto ${n.service} comment "short-circuit local traffic"`);
      }
      if (hasExternal) rules.push(`goto ${externalPolicyChain}`);
    }
  }
  if (usesFirewall) {
    const rules = chain(n.firewall);
    if (rules !== undefined) {
      const allowed = [...svc.loadBalancerSourceRanges];
      const nodeInRange = svc.loadBalancerSourceRanges.some((r) => {
        const c = parseCIDR(r);
        return c !== undefined && cfg.nodeIPs.some((ip) => { const a = parseIP(ip); return a !== undefined && cidrContains(c, a); });
      });
      if (nodeInRange) allowed.push(...svc.loadBalancerVIPs);
      rules.push(`ip saddr != { ${allowed.join(', ')} } drop`);
    }
  }
  for (const ep of cats.allReachable) {
    const b = nftEndpointBase(svc, ep);
    if (svc.stickyMaxAgeSeconds > 0) d.affinitySets.set(`affinity-${b}`, svc.stickyMaxAgeSeconds);
    const rules = chain(`endpoint-${b}`);
    if (rules === undefined) continue;
    rules.push(`ip saddr ${ep.ip} jump mark-for-masquerade`);
    if (svc.stickyMaxAgeSeconds > 0) rules.push(`update @affinity-${b} { ip saddr }`);
    rules.push(`meta l4proto ${proto} dnat to ${ep.endpoint}`);
  }
}

/**
 * The desired table. Rules are rendered only for services in `renderRulesFor` (all when
 * undefined); other chains are named (so stale ones can be found) but left as they are.
 */
export function desiredState(state: ProxyStateView, cfg: ProxyConfig, renderRulesFor?: ReadonlySet<string>): NftDesired {
  const d = new DesiredBuilder();
  for (const ip of cfg.nodeIPs) d.element(elementSets.nodePortIPs, ip, undefined, undefined);
  for (const key of [...state.services.keys()].sort()) {
    const svc = state.services.get(key);
    if (svc === undefined) continue;
    desiredServicePort(d, svc, state.endpoints.get(key) ?? [], cfg, renderRulesFor === undefined || renderRulesFor.has(svc.serviceName));
  }
  return d;
}

/** The applied picture after a transaction built from `desired`. */
export function appliedFrom(desired: NftDesired): NftApplied {
  return {
    chains: new Set(desired.chains.keys()),
    affinitySets: new Set(desired.affinitySets.keys()),
    elements: new Map([...desired.elements].map(([k, v]) => [k, new Map(v)])),
  };
}

export interface TransactionInput {
  readonly desired: NftDesired;
  readonly cfg: ProxyConfig;
  /** What is in the kernel now; undefined = unknown (the table is rewritten in full). */
  readonly applied: NftApplied | undefined;
  /** On a full sync: per-service chains and affinity sets found in the kernel (from an earlier run). */
  readonly existing?: { readonly chains: ReadonlySet<string>; readonly sets: ReadonlySet<string> };
}

/**
 * The work of one sync in four phases, each a list of line groups that must stay together:
 * setup (table, maps, base chains and rules on a full sync; every chain to be written is added
 * empty; affinity sets), chains (each written chain flushed and refilled), elements (a full sync
 * flushes and refills each map; a partial one deletes/adds changed keys), teardown (stale chains
 * flushed then deleted, stale affinity sets deleted). In this order the phases are valid as one
 * transaction and also as consecutive ones: nothing refers to a chain before it exists or after
 * it is deleted, and a map is only ever empty inside its own refill.
 */
function phases(input: TransactionInput): string[][][] {
  const { desired, cfg, applied } = input;
  const full = applied === undefined;
  const staleChains = new Set<string>(full ? (input.existing?.chains ?? []) : applied.chains);
  for (const c of desired.chains.keys()) staleChains.delete(c);
  const staleSets = new Set<string>(full ? (input.existing?.sets ?? []) : applied.affinitySets);
  for (const s of desired.affinitySets.keys()) staleSets.delete(s);

  const setup: string[][] = [];
  if (full) {
    const g = [`add table ${T} { comment "rules for kube-proxy" ; }`];
    for (const [kind, name, body] of setDecls) g.push(`add ${kind} ${T} ${name} ${body}`);
    for (const [name, hook] of baseChains) g.push(`add chain ${T} ${name}${hook === '' ? '' : ` ${hook}`}`, `flush chain ${T} ${name}`);
    for (const r of baseRules(cfg)) g.push(r);
    setup.push(g);
  }
  for (const [name, timeout] of desired.affinitySets) {
    if (full || !applied.affinitySets.has(name)) setup.push([`add set ${T} ${name} { type ipv4_addr ; flags dynamic,timeout ; timeout ${timeout}s ; }`]);
  }
  const chains: string[][] = [];
  for (const [name, c] of desired.chains) {
    if (c.rules === undefined) continue;
    setup.push([`add chain ${T} ${name}`]);
    const g = [`flush chain ${T} ${name}`];
    for (const r of c.rules) g.push(`add rule ${T} ${name} ${r}`);
    chains.push(g);
  }
  const elements: string[][] = [];
  for (const [set, want] of desired.elements) {
    if (full) {
      const kind = setDecls.find(([, n]) => n === set)?.[0] ?? 'map';
      const g = [`flush ${kind} ${T} ${set}`];
      for (const text of want.values()) g.push(`add element ${T} ${set} { ${text} }`);
      elements.push(g);
      continue;
    }
    const have = applied.elements.get(set) ?? new Map<string, string>();
    for (const [k, text] of have) {
      const now = want.get(k);
      if (now === undefined) elements.push([`delete element ${T} ${set} { ${k} }`]);
      else if (now !== text) elements.push([`delete element ${T} ${set} { ${k} }`, `add element ${T} ${set} { ${now} }`]);
    }
    for (const [k, text] of want) if (!have.has(k)) elements.push([`add element ${T} ${set} { ${text} }`]);
  }
  const teardown: string[][] = [];
  for (const c of staleChains) teardown.push([`flush chain ${T} ${c}`]);
  for (const c of staleChains) teardown.push([`delete chain ${T} ${c}`]);
  for (const s of staleSets) teardown.push([`delete set ${T} ${s}`]);
  return [setup, chains, elements, teardown];
}

/** One `nft -f` transaction taking the kernel from `applied` (or anything) to `desired`. */
export function renderTransaction(input: TransactionInput): string {
  const lines: string[] = [];
  for (const phase of phases(input)) for (const g of phase) for (const l of g) lines.push(l);
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

/**
 * The same work as consecutive transactions of about `maxLines` lines each (one when it fits).
 * nft 1.0.6 takes time quadratic in the size of one transaction (measured here: 46k lines 1.8 s,
 * 92k 10.5 s, 184k 42 s; the 184k in 20k-line pieces 6.5 s), so large syncs are cut at group
 * boundaries; phases never share a transaction when cut.
 */
export function renderTransactions(input: TransactionInput, maxLines: number): string[] {
  const ps = phases(input);
  let total = 0;
  for (const phase of ps) for (const g of phase) total += g.length;
  if (total === 0) return [];
  if (total <= maxLines) return [renderTransaction(input)];
  const out: string[] = [];
  for (const phase of ps) {
    let cur: string[] = [];
    const flush = () => {
      if (cur.length > 0) out.push(cur.join('\n') + '\n');
      cur = [];
    };
    for (const g of phase) {
      if (cur.length > 0 && cur.length + g.length > maxLines) flush();
      for (let i = 0; i < g.length; i += maxLines) {
        for (const l of g.slice(i, i + maxLines)) cur.push(l);
        if (g.length > maxLines) flush();
      }
    }
    flush();
  }
  return out;
}

/** Element counts per set, for metrics. */
export function elementCounts(d: NftDesired): Record<string, number> {
  const out: Record<string, number> = { chains: d.chains.size };
  for (const [k, v] of d.elements) out[k] = v.size;
  return out;
}
