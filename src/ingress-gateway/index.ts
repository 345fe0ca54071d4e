// The ingress controller: `startIngress()` runs the data plane (HTTP, HTTPS with h2, metrics,
// tcp/udp-services) and the sync loop that compiles Ingresses into its route table, writes
// status.loadBalancer and records Events. Used by `switchboard up` (kubeconfig from the data dir)
// and `switchboard ingress --kubeconfig K`.
import { createWriteStream, type WriteStream } from 'node:fs';
import { hostname } from 'node:os';
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Writable } from 'node:stream';
import { Client, loadClientConfig, type ApiClient, type InformerFactory } from '../client/index.ts';
import { IngressController } from './controller.ts';
import { DataPlane, type DataPlaneOptions } from './data-plane/server.ts';
import { switchboardController } from './route-table/ingress-class.ts';
import { InformerSource, type IngressSource } from './source.ts';
import { loadBalancerEntries } from './status/status.ts';
import { EventRecorder, StatusWriter } from './status/writer.ts';
import { GatewayStatusWriter } from './status/gateway-writer.ts';
import { gatewayController } from './gateway/compile.ts';
import type { FullCompileOptions } from './compile-all.ts';

export { IngressController } from './controller.ts';
export { DataPlane } from './data-plane/server.ts';
export { InformerSource, type IngressSource } from './source.ts';
export { StaticSource } from './fake.ts';
export { compile, type ClusterState, type CompileOptions } from './route-table/compile.ts';
export { compileAll, type FullState, type FullCompileOptions } from './compile-all.ts';
export { gatewayController } from './gateway/compile.ts';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

export interface IngressOptions {
  /** Kubeconfig path (`switchboard up`: `<data-dir>/kubeconfig`); $KUBECONFIG / ~/.kube/config / in-cluster otherwise. */
  kubeconfig?: string;
  /** A client to use instead of one made from the kubeconfig. */
  client?: ApiClient;
  /** Share informers with other components of the process. */
  factory?: InformerFactory;
  /** Inputs from somewhere else than informers (tests). Status and events are written only with a client. */
  source?: IngressSource;
  /** Listen address of the HTTP, HTTPS and tcp/udp-services ports (default 127.0.0.1). */
  host?: string;
  /** 0 (default) picks a free port; ingress-nginx's are 80 and 443. */
  httpPort?: number;
  httpsPort?: number;
  /** Metrics (/metrics, /healthz, /readyz); 0 (default) picks a free port, null for none. */
  metricsPort?: number | null;
  /** The address written to status.loadBalancer (default: the listen host; 127.0.0.1 for 0.0.0.0). */
  publishAddress?: string;
  /** Access log file path or stream (ingress-nginx's log format); none by default. */
  accessLog?: string | Writable;
  /** IngressClass spec.controller we serve (default switchboard.dev/ingress, the bootstrap classes' value). */
  controllerClass?: string;
  /** GatewayClass spec.controllerName we serve (default switchboard.dev/gateway-controller); Gateway API objects are watched once their CRDs exist. */
  gatewayController?: string;
  /** Watch and serve Gateway API objects (default true). */
  gatewayAPI?: boolean;
  /** `namespace/name` (defaults ingress-nginx/tcp-services and ingress-nginx/udp-services). */
  tcpServicesConfigMap?: string;
  udpServicesConfigMap?: string;
  /** `namespace/service:port` for requests no rule matches (a built-in 404 otherwise). */
  defaultBackendService?: string;
  /** A DNS server (`127.0.0.1:PORT`, e.g. state.json's `dns`) for ExternalName Services and auth-url hosts; the system resolver otherwise. */
  dnsServer?: string;
  /** Write status.loadBalancer (default true with a client). */
  updateStatus?: boolean;
  /** Clear our address from Ingress statuses on stop (ingress-nginx update-status-on-shutdown; default true). */
  clearStatusOnStop?: boolean;
  /** Trust X-Forwarded-* from clients (ingress-nginx use-forwarded-headers; default false). */
  useForwardedHeaders?: boolean;
  /** Wait for the first sync before resolving (default true, up to `syncTimeoutMs`, 15 s). */
  waitForSync?: boolean;
  syncTimeoutMs?: number;
  log?: Log;
}

export interface RunningIngress {
  /** `127.0.0.1:PORT` as state.json's `ingress.http`. */
  http: string;
  /** `127.0.0.1:PORT` as state.json's `ingress.https`. */
  https: string;
  /** `127.0.0.1:PORT` of /metrics, or undefined. */
  metrics: string | undefined;
  httpPort: number;
  httpsPort: number;
  dataPlane: DataPlane;
  controller: IngressController;
  stop(): Promise<void>;
}

/** A lookup function that asks one DNS server first and the system resolver after it. */
export function dnsServerLookup(server: string): LookupFunction {
  const r = new dns.Resolver({ timeout: 2_000, tries: 2 });
  r.setServers([server]);
  return (host, options, cb) => {
    const wantAll = typeof options === 'object' && options !== null && (options as dns.LookupOptions).all === true;
    r.resolve4(host, (err, addrs) => {
      const first = addrs?.[0];
      if (err !== null || first === undefined) {
        dns.lookup(host, options as dns.LookupOptions, cb as unknown as (e: NodeJS.ErrnoException | null, a: string | dns.LookupAddress[], f?: number) => void);
        return;
      }
      if (wantAll) (cb as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addrs.map((a) => ({ address: a, family: 4 })));
      else cb(null, first, 4);
    });
  };
}

const displayHost = (h: string) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);

/** Starts the ingress controller. */
export async function startIngress(opts: IngressOptions = {}): Promise<RunningIngress> {
  const log: Log = opts.log ?? (() => {});
  const host = opts.host ?? '127.0.0.1';
  let client = opts.client;
  let ownsClient = false;
  if (client === undefined && opts.source === undefined) {
    client = new Client(loadClientConfig(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}));
    ownsClient = true;
  }
  let accessLog: Writable | undefined;
  let ownedLog: WriteStream | undefined;
  if (typeof opts.accessLog === 'string') accessLog = ownedLog = createWriteStream(opts.accessLog, { flags: 'a' });
  else if (opts.accessLog !== undefined) accessLog = opts.accessLog;
  const controllerClass = opts.controllerClass ?? switchboardController;
  const dpOpts: DataPlaneOptions = {
    host, httpPort: opts.httpPort ?? 0, httpsPort: opts.httpsPort ?? 0, metricsPort: opts.metricsPort === undefined ? 0 : opts.metricsPort,
    controllerClass, controllerPod: hostname(), log,
  };
  if (accessLog !== undefined) dpOpts.accessLog = accessLog;
  if (opts.useForwardedHeaders !== undefined) dpOpts.useForwardedHeaders = opts.useForwardedHeaders;
  if (opts.dnsServer !== undefined && opts.dnsServer !== '') dpOpts.lookup = dnsServerLookup(opts.dnsServer);
  const dataPlane = await DataPlane.start(dpOpts);
  const httpPort = dataPlane.httpAddress.port;
  const httpsPort = dataPlane.httpsAddress.port;
  const source = opts.source ?? new InformerSource(client as ApiClient, {
    configMapNamespaces: [opts.tcpServicesConfigMap ?? 'ingress-nginx/tcp-services', opts.udpServicesConfigMap ?? 'ingress-nginx/udp-services'].map((r) => r.split('/')[0] ?? 'ingress-nginx'),
    ...(opts.factory !== undefined ? { factory: opts.factory } : {}),
    ...(opts.gatewayAPI !== undefined ? { gatewayAPI: opts.gatewayAPI } : {}),
    log: (level, msg) => log(level, `ingress informer: ${msg}`),
  });
  const publish = opts.publishAddress ?? displayHost(host);
  const compileOpts: FullCompileOptions = { controller: controllerClass, gatewayAddress: publish, gatewayController: opts.gatewayController ?? gatewayController };
  if (opts.tcpServicesConfigMap !== undefined) compileOpts.tcpServicesConfigMap = opts.tcpServicesConfigMap;
  if (opts.udpServicesConfigMap !== undefined) compileOpts.udpServicesConfigMap = opts.udpServicesConfigMap;
  if (opts.defaultBackendService !== undefined) compileOpts.defaultBackendService = opts.defaultBackendService;
  const entries = loadBalancerEntries({ address: publish, httpPort, httpsPort });
  const writer = client !== undefined && opts.updateStatus !== false ? new StatusWriter(client, log) : undefined;
  const controller = new IngressController({
    source, dataPlane, compile: compileOpts, log,
    ...(writer !== undefined ? { status: { writer, entries }, gatewayStatus: new GatewayStatusWriter(client as ApiClient, compileOpts.gatewayController ?? gatewayController, log) } : {}),
    ...(client !== undefined ? { events: new EventRecorder(client, `${controllerClass}-${hostname()}`, log) } : {}),
  });
  controller.start();
  if (opts.waitForSync !== false) {
    const timeout = opts.syncTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      controller.waitForFirstSync().then(() => false),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(true), timeout); }),
    ]);
    clearTimeout(timer);
    if (timedOut) log('warn', `ingress: inputs not synced after ${timeout / 1000}s; serving 503 until they are`);
  }
  const h = displayHost(host);
  const m = dataPlane.metricsAddress;
  let stopped = false;
  return {
    http: `${h}:${httpPort}`,
    https: `${h}:${httpsPort}`,
    metrics: m === undefined ? undefined : `${displayHost(m.address)}:${m.port}`,
    httpPort, httpsPort, dataPlane, controller,
    async stop() {
      if (stopped) return;
      stopped = true;
      await controller.stop();
      if (writer !== undefined && opts.clearStatusOnStop !== false && source.hasSynced()) {
        await Promise.race([writer.clear(source.snapshot().ingresses, entries), new Promise((r) => setTimeout(r, 2_000).unref())]);
      }
      await source.stop();
      await dataPlane.stop();
      if (ownedLog !== undefined) await new Promise<void>((r) => ownedLog?.end(() => r()));
      if (ownsClient) client?.close();
    },
  };
}
