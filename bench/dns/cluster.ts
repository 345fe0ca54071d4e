// The benchmark's cluster and query mix (the workload of reference/dns.md §4.4): Services across
// namespaces (ClusterIP with two named ports, headless with four endpoints), the same records as
// unbound local-data, and a shuffled dnsperf query file with a realistic NXDOMAIN share.
import type { EndpointSlice, Namespace, Service } from '../../src/api/types.ts';
import { makeEndpoint, makeNamespace, makeService, makeSlice } from '../../src/cluster-dns/index.ts';

export interface BenchCluster {
  namespaces: Namespace[];
  services: Service[];
  slices: EndpointSlice[];
}

export interface Sizes {
  namespaces: number;
  clusterIP: number;
  headless: number;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ns = (i: number) => `ns${i}`;
const clusterIP = (i: number) => `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const podIP = (h: number, e: number) => `10.244.${h >> 6}.${((h & 63) << 2) + e}`;

/** Builds the objects. */
export function makeCluster(s: Sizes): BenchCluster {
  const namespaces = Array.from({ length: s.namespaces }, (_, i) => makeNamespace(ns(i)));
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  for (let i = 0; i < s.clusterIP; i++) {
    services.push(makeService(ns(i % s.namespaces), `svc${i}`, clusterIP(i + 100), (x) => {
      x.spec!.ports = [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'grpc', port: 9090, protocol: 'TCP' }];
    }));
  }
  for (let h = 0; h < s.headless; h++) {
    const n = ns(h % s.namespaces);
    services.push(makeService(n, `hl${h}`, 'None'));
    slices.push(makeSlice(n, `hl${h}`, `hl${h}-a`, [0, 1, 2, 3].map((e) => makeEndpoint(podIP(h, e), (x) => { x.hostname = `hl${h}-${e}`; }))));
  }
  return { namespaces, services, slices };
}

/** unbound.conf serving the same names (A, SRV, headless A + hostnames) as static local data. */
export function unboundConfig(s: Sizes, port: number, dir: string): string {
  const lines = [
    'server:',
    '  num-threads: 1',
    `  interface: 127.0.0.1@${port}`,
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 0',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${dir}/unbound.pid"`,
    '  access-control: 127.0.0.0/8 allow',
    '  do-ip6: no',
    '  module-config: "iterator"',
    '  msg-cache-size: 32m',
    '  rrset-cache-size: 64m',
    '  local-zone: "cluster.local." static',
    '  local-data: "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30"',
  ];
  for (let i = 0; i < s.clusterIP; i++) {
    const name = `svc${i}.${ns(i % s.namespaces)}.svc.cluster.local.`;
    lines.push(`  local-data: "${name} 30 IN A ${clusterIP(i + 100)}"`);
    lines.push(`  local-data: "_http._tcp.${name} 30 IN SRV 0 100 80 ${name}"`);
    lines.push(`  local-data: "_grpc._tcp.${name} 30 IN SRV 0 100 9090 ${name}"`);
  }
  for (let h = 0; h < s.headless; h++) {
    const name = `hl${h}.${ns(h % s.namespaces)}.svc.cluster.local.`;
    for (let e = 0; e < 4; e++) {
      lines.push(`  local-data: "${name} 30 IN A ${podIP(h, e)}"`);
      lines.push(`  local-data: "hl${h}-${e}.${name} 30 IN A ${podIP(h, e)}"`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The query file: 45 % service A, 10 % headless A, 10 % AAAA (NODATA), 5 % SRV, 15 % search-path
 * misses (`svc.ns.otherns.svc...`), 15 % external names through the search path — 70 % NOERROR,
 * 30 % NXDOMAIN.
 */
export function queryFile(s: Sizes, count: number, seed = 42): string {
  const r = rng(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const out: string[] = [];
  for (let q = 0; q < count; q++) {
    const x = r();
    const i = pick(s.clusterIP);
    const svc = `svc${i}.${ns(i % s.namespaces)}`;
    if (x < 0.45) out.push(`${svc}.svc.cluster.local A`);
    else if (x < 0.55) { const h = pick(s.headless); out.push(`hl${h}.${ns(h % s.namespaces)}.svc.cluster.local A`); }
    else if (x < 0.65) out.push(`${svc}.svc.cluster.local AAAA`);
    else if (x < 0.70) out.push(`_http._tcp.${svc}.svc.cluster.local SRV`);
    else if (x < 0.85) out.push(`${svc}.${ns((i + 1) % s.namespaces)}.svc.cluster.local A`);
    else out.push(`www.site${pick(1000)}.com.${ns(pick(s.namespaces))}.svc.cluster.local A`);
  }
  return `${out.join('\n')}\n`;
}
