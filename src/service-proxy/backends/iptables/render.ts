// The iptables ruleset as a value: Services and endpoints in, `iptables-restore --noflush` input
// out, in kube-proxy's chain layout and wording (see README "iptables"). A full render writes every
// chain; a partial render (KEP-3453) writes the top-level chains in full but per-service chains
// (SVC/SVL/EXT/FW/SEP) only for services that changed, and deletes chains no longer used. Pure.
import { categorizeEndpoints } from '../../categorize.ts';
import { iptablesEndpointChain, iptablesServiceChain } from '../../hash.ts';
import type { EndpointInfo, ProxyConfig, ProxyStateView, ServicePortInfo } from '../../types.ts';
import { externallyAccessible, masqueradeMark, protoLower, usesClusterEndpoints, usesLocalEndpoints } from '../../types.ts';
import { parseCIDR, parseIP, cidrContains } from '../../../machinery/cidr.ts';

export const chains = {
  services: 'KUBE-SERVICES',
  externalServices: 'KUBE-EXTERNAL-SERVICES',
  nodePorts: 'KUBE-NODEPORTS',
  postrouting: 'KUBE-POSTROUTING',
  markMasq: 'KUBE-MARK-MASQ',
  forward: 'KUBE-FORWARD',
  proxyFirewall: 'KUBE-PROXY-FIREWALL',
  canary: 'KUBE-PROXY-CANARY',
} as const;

/** Above this many endpoints, comments are left out of per-service rules (kube-proxy's largeClusterMode). */
export const largeClusterEndpointsThreshold = 1000;

/** A rule hooking one of our chains into a built-in chain (ensured with `iptables -C/-I`, not restore). */
export interface JumpRule {
  readonly table: 'filter' | 'nat';
  readonly from: string;
  readonly to: string;
  /** Match arguments before `-j`, comment included. */
  readonly args: readonly string[];
}

/** The jumps from built-in chains into ours, in kube-proxy's order. */
export const jumpRules: readonly JumpRule[] = [
  { table: 'filter', from: 'INPUT', to: chains.nodePorts, args: ['-m', 'comment', '--comment', 'kubernetes health check service ports'] },
  { table: 'filter', from: 'INPUT', to: chains.externalServices, args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes externally-visible service portals'] },
  { table: 'filter', from: 'FORWARD', to: chains.externalServices, args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes externally-visible service portals'] },
  { table: 'filter', from: 'FORWARD', to: chains.services, args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals'] },
  // Not in kube-proxy: the service CIDR is routed locally here (DESIGN.md), so a ClusterIP packet
  // nobody DNATs arrives on INPUT rather than FORWARD; it must meet the same REJECT/DROP rules.
  { table: 'filter', from: 'INPUT', to: chains.services, args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals'] },
  { table: 'filter', from: 'OUTPUT', to: chains.services, args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals'] },
  { table: 'filter', from: 'FORWARD', to: chains.forward, args: ['-m', 'comment', '--comment', 'kubernetes forwarding rules'] },
  { table: 'filter', from: 'INPUT', to: chains.proxyFirewall, args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes load balancer firewall'] },
  { table: 'filter', from: 'OUTPUT', to: chains.proxyFirewall, args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes load balancer firewall'] },
  { table: 'filter', from: 'FORWARD', to: chains.proxyFirewall, args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes load balancer firewall'] },
  { table: 'nat', from: 'OUTPUT', to: chains.services, args: ['-m', 'comment', '--comment', 'kubernetes service portals'] },
  { table: 'nat', from: 'PREROUTING', to: chains.services, args: ['-m', 'comment', '--comment', 'kubernetes service portals'] },
  { table: 'nat', from: 'POSTROUTING', to: chains.postrouting, args: ['-m', 'comment', '--comment', 'kubernetes postrouting rules'] },
];

/** Top-level chains declared (and so rewritten) in every restore, per table, in kube-proxy's order. */
export const topLevelChains = {
  filter: [chains.nodePorts, chains.services, chains.externalServices, chains.forward, chains.proxyFirewall],
  nat: [chains.nodePorts, chains.services, chains.markMasq, chains.postrouting],
} as const;

export interface RenderInput {
  readonly state: ProxyStateView;
  readonly cfg: ProxyConfig;
  /**
   * Services (`ns/name`) whose per-service chains must be written; undefined = full render
   * (every chain written).
   */
  readonly changedServices?: ReadonlySet<string>;
  /** Per-service nat chains that exist in the kernel now (deleted when no longer used). */
  readonly existingChains?: ReadonlySet<string>;
  /** Drop the KUBE-FORWARD ctstate INVALID rule (nf_conntrack_tcp_be_liberal is set). */
  readonly conntrackTCPBeLiberal?: boolean;
}

export interface RenderOutput {
  /** `iptables-restore --noflush` input: `*filter … COMMIT` then `*nat … COMMIT`. */
  readonly text: string;
  /** Every per-service nat chain in use after this render. */
  readonly activeChains: Set<string>;
  /** Chains deleted by this render. */
  readonly deletedChains: string[];
  /** Rules in each table after applying (written or skipped), for `sync_proxy_rules_iptables_total`. */
  readonly ruleCounts: { readonly filter: number; readonly nat: number };
  readonly noLocalEndpoints: { readonly internal: number; readonly external: number };
  /** Services whose chains were written. */
  readonly writtenServices: number;
  /**
   * The same changes as `text`, split for large syncs: when the per-service part exceeds
   * `maxLines`, per-service chains go first in transactions of about `maxLines` lines (a service
   * port's chains never split), then one transaction with the filter table, the top-level nat
   * chains and the deletions. Otherwise `[text]`.
   */
  transactions(maxLines: number): string[];
}

/** Collects lines for one table: chain declarations and rules. */
class TableBuffer {
  readonly chainLines: string[] = [];
  readonly rules: string[] = [];
  declare(chain: string): void {
    this.chainLines.push(`:${chain} - [0:0]`);
  }
  write(...words: readonly (string | readonly string[])[]): void {
    this.rules.push(words.flat().join(' '));
  }
}

/** A comment argument as kube-proxy writes it: quoted when it has spaces. */
function q(s: string): string {
  return s.includes(' ') ? `"${s}"` : s;
}

/** `%0.10f` of 1/n, the statistic probability for the rule with n endpoints left. */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

/** Static rules written on every sync (masquerade, forward). */
function renderStaticRules(filter: TableBuffer, nat: TableBuffer, cfg: ProxyConfig, beLiberal: boolean): void {
  const mark = masqueradeMark(cfg);
  if (!beLiberal) filter.write('-A', chains.forward, '-m conntrack --ctstate INVALID -j DROP');
  filter.write('-A', chains.forward, '-m comment --comment "kubernetes forwarding rules"', `-m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.write('-A', chains.forward, '-m comment --comment "kubernetes forwarding conntrack rule"', '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  nat.write('-A', chains.postrouting, `-m mark ! --mark ${mark}/${mark} -j RETURN`);
  nat.write('-A', chains.postrouting, `-j MARK --xor-mark ${mark}`);
  nat.write('-A', chains.postrouting, '-m comment --comment "kubernetes service traffic requiring SNAT"', '-j MASQUERADE --random-fully');
  nat.write('-A', chains.markMasq, `-j MARK --or-mark ${mark}`);
}

interface ServiceBuffers {
  /** Top-level rules (always written). */
  natServices: string[];
  natNodePorts: string[];
  filter: TableBuffer;
  /** Per-service chains (written only when the service changed). */
  perService: TableBuffer;
  active: Set<string>;
}

/** The per-service part of kube-proxy's syncProxyRules for one service port. */
function renderServicePort(svc: ServicePortInfo, eps: readonly EndpointInfo[], cfg: ProxyConfig, comments: boolean, out: ServiceBuffers, counts: { internal: number; external: number }): void {
  const proto = protoLower(svc.protocol);
  const name = svc.nameString;
  const cats = categorizeEndpoints(eps, svc, { nodeName: cfg.nodeName, zone: cfg.nodeZone });
  const hasEndpoints = cats.hasAny;
  const svcChain = iptablesServiceChain('SVC', svc);
  const svlChain = iptablesServiceChain('SVL', svc);
  const extChain = iptablesServiceChain('EXT', svc);
  const fwChain = iptablesServiceChain('FW', svc);
  const usesClusterChain = cats.cluster.length > 0 && usesClusterEndpoints(svc);
  const usesLocalChain = cats.local.length > 0 && usesLocalEndpoints(svc);

  let internalChain = svcChain;
  let hasInternal = hasEndpoints;
  if (svc.internalPolicyLocal) {
    internalChain = svlChain;
    if (cats.local.length === 0) hasInternal = false;
  }
  let externalPolicyChain = svcChain;
  let hasExternal = hasEndpoints;
  if (svc.externalPolicyLocal) {
    externalPolicyChain = svlChain;
    if (cats.local.length === 0) hasExternal = false;
  }
  const usesExtChain = hasEndpoints && externallyAccessible(svc);
  const usesFwChain = hasEndpoints && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  const lbChain = usesFwChain ? fwChain : extChain;

  let internalTarget = '';
  let internalComment = '';
  let externalTarget = '';
  let externalComment = '';
  if (!hasEndpoints) {
    internalTarget = externalTarget = 'REJECT';
    internalComment = externalComment = q(`${name} has no endpoints`);
  } else {
    if (!hasInternal) {
      internalTarget = 'DROP';
      internalComment = q(`${name} has no local endpoints`);
      counts.internal++;
    }
    if (!hasExternal) {
      externalTarget = 'DROP';
      externalComment = q(`${name} has no local endpoints`);
      counts.external++;
    }
  }
  const match = (ip: string, port: number) => `-m ${proto} -p ${proto} -d ${ip} --dport ${port}`;

  // Cluster IP.
  if (hasInternal) out.natServices.push(`-A ${chains.services} -m comment --comment ${q(`${name} cluster IP`)} ${match(svc.clusterIP, svc.port)} -j ${internalChain}`);
  else out.filter.write('-A', chains.services, '-m comment --comment', internalComment, match(svc.clusterIP, svc.port), '-j', internalTarget);

  // External IPs.
  for (const ip of svc.externalIPs) {
    if (hasEndpoints) out.natServices.push(`-A ${chains.services} -m comment --comment ${q(`${name} external IP`)} ${match(ip, svc.port)} -j ${extChain}`);
    if (!hasExternal) out.filter.write('-A', chains.externalServices, '-m comment --comment', externalComment, match(ip, svc.port), '-j', externalTarget);
  }
  // LoadBalancer IPs.
  for (const ip of svc.loadBalancerVIPs) {
    if (hasEndpoints) out.natServices.push(`-A ${chains.services} -m comment --comment ${q(`${name} loadbalancer IP`)} ${match(ip, svc.port)} -j ${lbChain}`);
    if (usesFwChain) out.filter.write('-A', chains.proxyFirewall, '-m comment --comment', q(`${name} traffic not accepted by ${fwChain}`), match(ip, svc.port), '-j DROP');
  }
  if (!hasExternal) {
    for (const ip of svc.loadBalancerVIPs) out.filter.write('-A', chains.externalServices, '-m comment --comment', externalComment, match(ip, svc.port), '-j', externalTarget);
  }
  // NodePort.
  if (svc.nodePort !== 0) {
    if (hasEndpoints) out.natNodePorts.push(`-A ${chains.nodePorts} -m comment --comment ${q(name)} -m ${proto} -p ${proto} --dport ${svc.nodePort} -j ${extChain}`);
    if (!hasExternal) out.filter.write('-A', chains.externalServices, '-m comment --comment', externalComment, `-m addrtype --dst-type LOCAL -m ${proto} -p ${proto} --dport ${svc.nodePort}`, '-j', externalTarget);
  }
  // Health-check NodePort.
  if (svc.healthCheckNodePort !== 0) {
    out.filter.write('-A', chains.nodePorts, '-m comment --comment', q(`${name} health check node port`), `-m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`);
  }

  const nat = out.perService;
  const c = (text: string) => (comments ? `-m comment --comment ${q(text)} ` : '');
  // Internal traffic: masquerade off-cluster sources.
  if (hasInternal) {
    const args = `${c(`${name} cluster IP`)}${match(svc.clusterIP, svc.port)}`;
    if (cfg.masqueradeAll) nat.write('-A', internalChain, args, '-j', chains.markMasq);
    else if (cfg.clusterCIDR !== '') nat.write('-A', internalChain, args, `! -s ${cfg.clusterCIDR}`, '-j', chains.markMasq);
  }
  // External traffic chain.
  if (usesExtChain) {
    nat.declare(extChain);
    out.active.add(extChain);
    if (!svc.externalPolicyLocal) {
      nat.write(`-A ${extChain} ${c(`masquerade traffic for ${name} external destinations`)}-j ${chains.markMasq}`);
    } else {
      if (cfg.clusterCIDR !== '') nat.write(`-A ${extChain} ${c(`pod traffic for ${name} external destinations`)}-s ${cfg.clusterCIDR} -j ${svcChain}`);
      nat.write(`-A ${extChain} ${c(`masquerade LOCAL traffic for ${name} external destinations`)}-m addrtype --src-type LOCAL -j ${chains.markMasq}`);
      nat.write(`-A ${extChain} ${c(`route LOCAL traffic for ${name} external destinations`)}-m addrtype --src-type LOCAL -j ${svcChain}`);
    }
    if (hasExternal) nat.write(`-A ${extChain} -j ${externalPolicyChain}`);
  }
  // Firewall chain for loadBalancerSourceRanges.
  if (usesFwChain) {
    nat.declare(fwChain);
    out.active.add(fwChain);
    const head = `-A ${fwChain} ${c(`${name} loadbalancer IP`)}`;
    let allowFromNode = false;
    for (const cidr of svc.loadBalancerSourceRanges) {
      nat.write(`${head}-s ${cidr} -j ${extChain}`);
      const parsed = parseCIDR(cidr);
      if (parsed !== undefined && cfg.nodeIPs.some((n) => { const ip = parseIP(n); return ip !== undefined && cidrContains(parsed, ip); })) allowFromNode = true;
    }
    if (allowFromNode) for (const ip of svc.loadBalancerVIPs) nat.write(`${head}-s ${ip} -j ${extChain}`);
    nat.write(`-A ${fwChain} ${c(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`)}`.trimEnd());
  }
  if (usesClusterChain) {
    nat.declare(svcChain);
    out.active.add(svcChain);
    renderLoadBalancing(nat, svc, svcChain, cats.cluster, c);
  }
  if (usesLocalChain) {
    nat.declare(svlChain);
    out.active.add(svlChain);
    renderLoadBalancing(nat, svc, svlChain, cats.local, c);
  }
  for (const ep of cats.allReachable) {
    const sep = iptablesEndpointChain(svc, ep.endpoint);
    nat.declare(sep);
    out.active.add(sep);
    const head = `-A ${sep} ${c(name)}`;
    nat.write(`${head}-s ${ep.ip} -j ${chains.markMasq}`);
    const recent = svc.stickyMaxAgeSeconds > 0 ? `-m recent --name ${sep} --set ` : '';
    nat.write(`${head}${recent}-m ${proto} -p ${proto} -j DNAT --to-destination ${ep.endpoint}`);
  }
}

/** Affinity checks, then `statistic --mode random` rules with probability 1/(n-i), last unconditional. */
function renderLoadBalancing(nat: TableBuffer, svc: ServicePortInfo, chain: string, eps: readonly EndpointInfo[], c: (s: string) => string): void {
  if (svc.stickyMaxAgeSeconds > 0) {
    for (const ep of eps) {
      const sep = iptablesEndpointChain(svc, ep.endpoint);
      nat.write(`-A ${chain} ${c(`${svc.nameString} -> ${ep.endpoint}`)}-m recent --name ${sep} --rcheck --seconds ${svc.stickyMaxAgeSeconds} --reap -j ${sep}`);
    }
  }
  eps.forEach((ep, i) => {
    const sep = iptablesEndpointChain(svc, ep.endpoint);
    const stat = i < eps.length - 1 ? `-m statistic --mode random --probability ${probability(eps.length - i)} ` : '';
    nat.write(`-A ${chain} ${c(`${svc.nameString} -> ${ep.endpoint}`)}${stat}-j ${sep}`);
  });
}

/** Renders the whole restore input for one sync (full or partial). */
export function renderIptables(input: RenderInput): RenderOutput {
  const { state, cfg } = input;
  const filter = new TableBuffer();
  const nat = new TableBuffer();
  for (const ch of topLevelChains.filter) filter.declare(ch);
  for (const ch of topLevelChains.nat) nat.declare(ch);
  renderStaticRules(filter, nat, cfg, input.conntrackTCPBeLiberal ?? false);

  let totalEndpoints = 0;
  for (const eps of state.endpoints.values()) totalEndpoints += eps.length;
  const comments = totalEndpoints <= largeClusterEndpointsThreshold;

  const filterRules = new TableBuffer();
  const groups: TableBuffer[] = [];
  const skipped = new TableBuffer();
  const natServices: string[] = [];
  const natNodePorts: string[] = [];
  const active = new Set<string>();
  const counts = { internal: 0, external: 0 };
  let writtenServices = 0;
  const keys = [...state.services.keys()].sort();
  for (const key of keys) {
    const svc = state.services.get(key);
    if (svc === undefined) continue;
    const write = input.changedServices === undefined || input.changedServices.has(svc.serviceName);
    let perService = skipped;
    if (write) {
      writtenServices++;
      perService = new TableBuffer();
      groups.push(perService);
    }
    renderServicePort(svc, state.endpoints.get(key) ?? [], cfg, comments, {
      natServices, natNodePorts, filter: filterRules, perService, active,
    }, counts);
  }

  // Chains no longer used are flushed and deleted (their chain line flushes, -X deletes).
  const deleted: string[] = [];
  for (const ch of [...(input.existingChains ?? [])].sort()) {
    if (!active.has(ch)) deleted.push(ch);
  }
  // A changed service's chains are declared (flushed) above; an unchanged one's are left alone.
  const tail = `-A ${chains.services} -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j ${chains.nodePorts}`;

  // (Loops, not push(...spread): at 10k services these arrays exceed the call-stack limit.)
  const lines: string[] = [];
  const add = (xs: readonly string[]) => {
    for (const x of xs) lines.push(x);
  };
  lines.push('*filter');
  add(filter.chainLines);
  add(filterRules.rules);
  add(filter.rules);
  const filterEnd = lines.length;
  lines.push('COMMIT', '*nat');
  add(nat.chainLines);
  for (const g of groups) add(g.chainLines);
  const topNat: string[] = [];
  for (const ch of deleted) topNat.push(`:${ch} - [0:0]`);
  for (const x of natNodePorts) topNat.push(x);
  for (const x of natServices) topNat.push(x);
  topNat.push(tail);
  add(topNat);
  for (const g of groups) add(g.rules);
  add(nat.rules);
  for (const ch of deleted) lines.push(`-X ${ch}`);
  lines.push('COMMIT', '');
  let groupLines = 0;
  for (const g of groups) groupLines += g.chainLines.length + g.rules.length;

  const transactions = (maxLines: number): string[] => {
    if (groupLines <= maxLines) return [text];
    const out: string[] = [];
    let cur: string[] = [];
    const flush = () => {
      if (cur.length > 0) out.push(['*nat', ...cur, 'COMMIT', ''].join('\n'));
      cur = [];
    };
    for (const g of groups) {
      if (cur.length > 0 && cur.length + g.chainLines.length + g.rules.length > maxLines) flush();
      for (const x of g.chainLines) cur.push(x);
      for (const x of g.rules) cur.push(x);
    }
    flush();
    const last: string[] = lines.slice(0, filterEnd);
    last.push('COMMIT', '*nat');
    for (const x of nat.chainLines) last.push(x);
    for (const x of topNat) last.push(x);
    for (const x of nat.rules) last.push(x);
    for (const ch of deleted) last.push(`-X ${ch}`);
    last.push('COMMIT', '');
    out.push(last.join('\n'));
    return out;
  };
  const text = lines.join('\n');

  return {
    text,
    transactions,
    activeChains: active,
    deletedChains: deleted,
    ruleCounts: {
      filter: filter.rules.length + filterRules.rules.length,
      nat: nat.rules.length + natNodePorts.length + natServices.length + 1 + groups.reduce((n, g) => n + g.rules.length, 0) + skipped.rules.length,
    },
    noLocalEndpoints: counts,
    writtenServices,
  };
}
