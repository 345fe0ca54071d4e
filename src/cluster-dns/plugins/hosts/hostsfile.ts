// /etc/hosts-format entries (`IP name [aliases...]`, `#` comments) as lookup maps: name → IPv4/IPv6
// addresses and address → names. Pure.
import { canonicalIP, ipFamily } from '../../dns/ip.ts';
import { fqdn, lower, matchZone, splitName } from '../../dns/names.ts';

export interface HostsMap {
  v4: Map<string, string[]>;
  v6: Map<string, string[]>;
  /** Canonical IP → FQDNs (for PTR). */
  addr: Map<string, string[]>;
  /** Number of (address, name) pairs. */
  size: number;
}

export function emptyHosts(): HostsMap {
  return { v4: new Map(), v6: new Map(), addr: new Map(), size: 0 };
}

function add(m: Map<string, string[]>, k: string, v: string): boolean {
  const l = m.get(k);
  if (l === undefined) {
    m.set(k, [v]);
    return true;
  }
  if (l.includes(v)) return false;
  l.push(v);
  return true;
}

/**
 * Parses hosts text. Names outside `zones` are skipped, as are lines whose first field is not an
 * IP or whose names are not valid domain names; an IPv6 zone (`%eth0`) is dropped.
 */
export function parseHosts(text: string, zones: readonly string[], into: HostsMap = emptyHosts()): HostsMap {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const ipText = (f[0] ?? '').replace(/%.*$/, '');
    const ip = canonicalIP(ipText);
    if (ip === undefined) continue;
    const fam = ipFamily(ip);
    for (const n of f.slice(1)) {
      const name = lower(fqdn(n));
      try {
        const labels = splitName(name);
        if (labels.some((l) => l.length === 0 || l.length > 63) || name.length > 254) continue;
      } catch {
        continue;
      }
      if (matchZone(zones, name) === undefined) continue;
      if (add(fam === 4 ? into.v4 : into.v6, name, ip)) into.size++;
      add(into.addr, ip, name);
    }
  }
  return into;
}

/** Addresses for a name (exact, else a `*.` entry for its first label). */
export function lookupHost(m: HostsMap, family: 4 | 6, name: string): string[] {
  const map = family === 4 ? m.v4 : m.v6;
  const exact = map.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf('.');
  if (dot < 0) return [];
  return map.get(`*${name.slice(dot)}`) ?? [];
}
