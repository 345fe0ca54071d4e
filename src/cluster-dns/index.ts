// Cluster DNS: the Kubernetes DNS schema served by a CoreDNS-style plugin chain configured by the
// coredns Corefile. `startClusterDns` is the entry point `switchboard up` and `switchboard dns`
// call; the rest is exported for tests, the benchmark and tools.
import { builtin, Client, InformerFactory, loadClientConfig, type ApiClient } from '../client/index.ts';
import { kubernetesMetrics } from './metrics/coredns.ts';
import type { Logger } from './plugin/controller.ts';
import { InformerClusterView, configMapSource } from './plugins/kubernetes/informer.ts';
import type { ClusterView } from './plugins/kubernetes/view.ts';
import { DnsServer, staticSource, type CorefileSource } from './server/server.ts';
import { kubeadmCorefile } from './corefile/default.ts';
import { publishKubeDns, unpublishKubeDns } from './plugins/kubernetes/endpoints.ts';

export { DnsServer, staticSource, fileSource, type CorefileSource, type DnsServerOptions } from './server/server.ts';
export type { ClusterView } from './plugins/kubernetes/view.ts';
export { StaticClusterView, makeEndpoint, makeNamespace, makePod, makeService, makeSlice } from './plugins/kubernetes/fake.ts';
export { InformerClusterView, configMapSource } from './plugins/kubernetes/informer.ts';
export { kubeadmCorefile } from './corefile/default.ts';
export { kubeDnsEndpointSlice, publishKubeDns, unpublishKubeDns, type PublishTarget } from './plugins/kubernetes/endpoints.ts';
export { parseCorefile, CorefileError } from './corefile/parse.ts';
export { parseMessage, serializeMessage } from './dns/wire.ts';
export type { Logger, LogLevel } from './plugin/controller.ts';

export interface ClusterDnsOptions {
  /** Read the cluster (and the coredns ConfigMap) through this kubeconfig. */
  kubeconfig?: string;
  /** Or through this client (switchboard up shares its own). */
  client?: ApiClient;
  /** Share informers with the other components of the process. */
  factory?: InformerFactory;
  /** Or answer from a fixed view (tests, the benchmark); no ConfigMap then. */
  cluster?: ClusterView;
  /**
   * The Corefile: text, or a changing source. Default: the `coredns` ConfigMap in kube-system when
   * there is a cluster connection (kubeadm's default Corefile until it is there), else kubeadm's
   * default Corefile.
   */
  corefile?: string | CorefileSource;
  /** DNS listener address for server blocks on port 53: default 127.0.0.1, port 0 (a free one). */
  host?: string;
  port?: number;
  /**
   * One address for /health, /ready and /metrics instead of the Corefile's own (`:8080`,
   * `:8181`, `:9153`); `127.0.0.1:0` picks a free port. switchboard up should set it.
   */
  httpAddress?: string;
  /** Read this file where the Corefile says /etc/resolv.conf (forward's upstreams; kubelet's resolvConf). */
  resolvConf?: string;
  /** How long start waits for the first sync before serving (CoreDNS's startup_timeout, 5 s). */
  startupTimeoutMs?: number;
  /**
   * Publish this server as the kube-dns Service's endpoints (EndpointSlice kube-system/
   * kube-dns-switchboard): `address` is where pods reach it; removed again on stop.
   */
  publish?: { address: string; nodeName?: string };
  /** Post a Warning Event on the coredns ConfigMap when a changed Corefile is refused (default true with a cluster connection). */
  events?: boolean;
  log?: Logger;
  /** Where the log plugin writes (default stdout). */
  queryLog?: (line: string) => void;
}

export interface ClusterDns {
  /** `host:port` of the UDP listener (blocks on port 53 or none). */
  udpAddress: string;
  /** `host:port` of the TCP listener (same port). */
  tcpAddress: string;
  /** `host:port` serving /metrics (undefined when the Corefile has no prometheus plugin). */
  metricsAddress: string | undefined;
  /** `host:port` serving /health and /ready (undefined without those plugins). */
  healthAddress: string | undefined;
  readyAddress: string | undefined;
  server: DnsServer;
  /** True once the kubernetes plugin (if any) has synced. */
  ready(): boolean;
  /** Stops listening and watching; `lameduck` waits the health plugin's lameduck time first. */
  stop(opts?: { lameduck?: boolean }): Promise<void>;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Starts the cluster DNS server. Rejects when it cannot listen or the Corefile cannot be set up. */
export async function startClusterDns(opts: ClusterDnsOptions = {}): Promise<ClusterDns> {
  const log: Logger = opts.log ?? ((level, msg) => {
    if (level === 'error' || level === 'warn') process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} dns: ${msg}\n`);
  });
  let client = opts.client;
  let ownsClient = false;
  if (client === undefined && opts.cluster === undefined && opts.kubeconfig !== undefined) {
    client = new Client(loadClientConfig({ kubeconfig: opts.kubeconfig }));
    ownsClient = true;
  }
  let factory = opts.factory;
  let ownsFactory = false;
  if (factory === undefined && client !== undefined && opts.cluster === undefined) {
    factory = new InformerFactory(client, { log: (level, msg) => log(level, msg) });
    ownsFactory = true;
  }
  let informerView: InformerClusterView | undefined;
  let cluster = opts.cluster;
  const server: { s?: DnsServer } = {};
  if (cluster === undefined && factory !== undefined) {
    informerView = new InformerClusterView(factory, {
      log: (level, msg) => log(level, msg),
      programmed: (kind, secs) => {
        if (server.s !== undefined) kubernetesMetrics(server.s.registry).programmingDuration.observe({ service_kind: kind }, secs);
      },
    });
    cluster = informerView;
  }
  let source: CorefileSource;
  let cmSource: ReturnType<typeof configMapSource> | undefined;
  if (typeof opts.corefile === 'string') source = staticSource(opts.corefile);
  else if (opts.corefile !== undefined) source = opts.corefile;
  else if (factory !== undefined) {
    cmSource = configMapSource(factory);
    source = cmSource;
  } else source = staticSource(kubeadmCorefile, 'the default Corefile');

  const startup = opts.startupTimeoutMs ?? 5000;
  informerView?.start();
  cmSource?.informer.start();
  if (cmSource !== undefined) {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), startup);
    await cmSource.informer.waitForSync(ac.signal).catch(() => log('warn', `the coredns ConfigMap was not read within ${startup} ms; serving kubeadm's default Corefile until it is`));
    clearTimeout(t);
  }
  if (informerView !== undefined && !(await informerView.waitForSync(startup))) {
    log('warn', `the cluster was not listed within ${startup} ms; cluster names get SERVFAIL until it is`);
  }

  const postEvent = async (reason: string) => {
    if (client === undefined || opts.events === false || cmSource === undefined) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await client.resource(builtin('events')).create('kube-system', {
      apiVersion: 'v1', kind: 'Event',
      metadata: { generateName: 'coredns.', namespace: 'kube-system' },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'coredns' },
      reason: 'CorefileRejected', type: 'Warning',
      message: `Corefile not applied, the previous one keeps serving: ${reason}`,
      source: { component: 'switchboard-dns' },
      firstTimestamp: now, lastTimestamp: now, count: 1,
    }).catch((e: unknown) => log('warn', `could not post an Event about the refused Corefile: ${e instanceof Error ? e.message : String(e)}`));
  };

  const s = new DnsServer({
    source,
    fallbackCorefile: kubeadmCorefile,
    ...(cluster !== undefined ? { cluster } : {}),
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    ...(opts.httpAddress !== undefined ? { httpAddress: opts.httpAddress } : {}),
    log,
    ...(opts.queryLog !== undefined ? { queryLog: opts.queryLog } : {}),
    ...(opts.resolvConf !== undefined ? { resolvConf: opts.resolvConf } : {}),
    onReloadError: (reason) => { void postEvent(reason); },
    version: 'switchboard-0.1.0',
  });
  server.s = s;
  const cleanup = async () => {
    informerView?.stop();
    if (ownsFactory) await factory?.stop();
    if (ownsClient) client?.close();
  };
  try {
    await s.start();
  } catch (e) {
    await cleanup();
    throw e;
  }
  const addr = s.address;
  if (addr === undefined) {
    await s.stop();
    await cleanup();
    throw new Error('the Corefile has no server block on port 53 (or without a port): nothing to serve on the DNS address');
  }
  const httpFor = (path: string): string | undefined => {
    for (const [k, v] of s.httpAddresses()) if (s.routeAt(k, path)) return v;
    return undefined;
  };
  let published = false;
  if (opts.publish !== undefined) {
    if (client === undefined) log('warn', 'publish needs a cluster connection; the kube-dns endpoints were not written');
    else {
      const metrics = httpFor('/metrics');
      try {
        await publishKubeDns(client, {
          address: opts.publish.address,
          dnsPort: addr.port,
          ...(metrics !== undefined ? { metricsPort: Number(metrics.slice(metrics.lastIndexOf(':') + 1)) } : {}),
          ...(opts.publish.nodeName !== undefined ? { nodeName: opts.publish.nodeName } : {}),
        });
        published = true;
      } catch (e) {
        log('error', `could not write the kube-dns EndpointSlice: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return {
    udpAddress: hostPort(addr.host, addr.port),
    tcpAddress: hostPort(addr.host, addr.port),
    get metricsAddress() { return httpFor('/metrics'); },
    get healthAddress() { return httpFor('/health'); },
    get readyAddress() { return httpFor('/ready'); },
    server: s,
    ready: () => s.notReady().length === 0,
    stop: async (o = {}) => {
      if (published && client !== undefined) {
        await unpublishKubeDns(client).catch((e: unknown) => log('warn', `could not remove the kube-dns EndpointSlice: ${e instanceof Error ? e.message : String(e)}`));
      }
      await s.stop(o);
      await cleanup();
    },
  };
}
