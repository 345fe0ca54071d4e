// The Switchboard side of the DNS benchmark, as its own process (so its CPU can be measured and
// pinned): the cluster DNS over a static view of the generated cluster, with the Corefile given in
// BENCH_COREFILE (a file). Prints `ready <host:port>` and runs until killed.
import { readFileSync } from 'node:fs';
import { startClusterDns, StaticClusterView } from '../../src/cluster-dns/index.ts';
import { makeCluster } from './cluster.ts';

const sizes = JSON.parse(process.env['BENCH_SIZES'] ?? '{"namespaces":20,"clusterIP":2000,"headless":200}') as { namespaces: number; clusterIP: number; headless: number };
const corefile = readFileSync(process.env['BENCH_COREFILE'] ?? '', 'utf8');
const c = makeCluster(sizes);
const dns = await startClusterDns({
  cluster: new StaticClusterView({ namespaces: c.namespaces, services: c.services, slices: c.slices }),
  corefile,
  port: Number(process.env['BENCH_PORT'] ?? 0),
  httpAddress: '127.0.0.1:0',
  queryLog: () => undefined,
});
process.stdout.write(`ready ${dns.udpAddress} ${dns.metricsAddress ?? ''}\n`);
process.on('SIGTERM', () => { void dns.stop().then(() => process.exit(0)); });
