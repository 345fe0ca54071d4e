// The small files every Pod gets: /etc/resolv.conf (the kubelet's ClusterFirst policy), /etc/hosts
// (the kubelet-managed hosts file with hostAliases) and /etc/hostname. Pure: text from inputs.
import type { Pod } from '../api/types.ts';

/** What the node knows about cluster DNS (kubelet's --cluster-dns and --cluster-domain). */
export interface DnsSettings {
  /** The kube-dns ClusterIP(s), e.g. ['10.96.0.10']. */
  clusterDNS: readonly string[];
  clusterDomain: string;
  /** The host's resolver settings, parsed from its /etc/resolv.conf (for policy Default and the search tail). */
  host: HostResolvConf;
}

export interface HostResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** Parses resolv.conf text as the kubelet does: nameservers accumulate, the last search and options lines win. */
export function parseResolvConf(text: string): HostResolvConf {
  const out: HostResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (line === '') continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0] !== undefined) out.nameservers.push(rest[0]);
    else if (key === 'search') out.searches = rest.map((s) => s.replace(/\.$/, '')).filter((s) => s !== '');
    else if (key === 'options') out.options = rest;
  }
  return out;
}

const maxNameservers = 3;
const maxSearches = 32;
const maxSearchChars = 2048;

function dedupe(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/** Merges options by name, later ones winning (kubelet mergeDNSOptions). */
function mergeOptions(base: readonly string[], extra: readonly { name: string; value?: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const o of base) {
    const i = o.indexOf(':');
    byName.set(i < 0 ? o : o.slice(0, i), o);
  }
  for (const o of extra) byName.set(o.name, o.value === undefined ? o.name : `${o.name}:${o.value}`);
  return [...byName.values()];
}

/**
 * The Pod's resolv.conf as the kubelet writes it (pkg/kubelet/network/dns/dns.go): ClusterFirst gives the
 * cluster DNS IP, the search path `<ns>.svc.<domain> svc.<domain> <domain>` then the host's searches,
 * and `options ndots:5`; Default copies the host's; None takes only dnsConfig; dnsConfig merges in last.
 */
export function renderResolvConf(pod: Pod, dns: DnsSettings): string {
  const spec = pod.spec;
  const ns = pod.metadata.namespace ?? 'default';
  let policy = spec?.dnsPolicy ?? 'ClusterFirst';
  const hostNet = spec?.hostNetwork === true;
  if (policy === 'ClusterFirst' && hostNet) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && dns.clusterDNS.length === 0) policy = 'Default';
  let nameservers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  if (policy === 'ClusterFirst') {
    const d = dns.clusterDomain;
    nameservers = [...dns.clusterDNS];
    searches = [`${ns}.svc.${d}`, `svc.${d}`, d, ...dns.host.searches];
    options = ['ndots:5'];
  } else if (policy === 'Default') {
    nameservers = [...dns.host.nameservers];
    searches = [...dns.host.searches];
    options = [...dns.host.options];
  }
  const cfg = spec?.dnsConfig;
  if (cfg !== undefined) {
    nameservers = [...nameservers, ...(cfg.nameservers ?? [])];
    searches = [...searches, ...(cfg.searches ?? [])];
    options = mergeOptions(options, cfg.options ?? []);
  }
  nameservers = dedupe(nameservers).slice(0, maxNameservers);
  searches = dedupe(searches).filter((s) => s.length <= 253);
  const kept: string[] = [];
  let chars = 0;
  for (const s of searches) {
    if (kept.length >= maxSearches || chars + s.length + (kept.length > 0 ? 1 : 0) > maxSearchChars) break;
    chars += s.length + (kept.length > 0 ? 1 : 0);
    kept.push(s);
  }
  const lines: string[] = [];
  if (kept.length > 0) lines.push(`search ${kept.join(' ')}`);
  for (const n of nameservers) lines.push(`nameserver ${n}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** The Pod's hostname: spec.hostname or the Pod name, cut to 63 characters as the kubelet does. */
export function podHostname(pod: Pod): string {
  const h = pod.spec?.hostname ?? pod.metadata.name ?? 'pod';
  return h.length > 63 ? h.slice(0, 63).replace(/[-.]+$/, '') : h;
}

/** The Pod's fully qualified domain name when spec.subdomain is set, else undefined. */
export function podFQDN(pod: Pod, clusterDomain: string): string | undefined {
  const sub = pod.spec?.subdomain;
  if (sub === undefined || sub === '') return undefined;
  return `${podHostname(pod)}.${sub}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}`;
}

/**
 * The kubelet-managed hosts file (pkg/kubelet/kubelet_pods.go managedHostsFileContent): localhost
 * lines, the Pod's IPs with its hostname (and FQDN), then a block of hostAliases.
 */
export function renderHosts(pod: Pod, podIPs: readonly string[], clusterDomain: string): string {
  const out = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const host = podHostname(pod);
  const fqdn = podFQDN(pod, clusterDomain);
  for (const ip of podIPs) out.push(fqdn === undefined ? `${ip}\t${host}` : `${ip}\t${fqdn}\t${host}`);
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length > 0) {
    out.push('', '# Entries added by HostAliases.');
    for (const a of aliases) out.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return out.join('\n') + '\n';
}
