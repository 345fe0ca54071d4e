// startServiceProxy: the service proxy as one running thing for `switchboard up` and
// `switchboard proxy`. It caches the latest Services and EndpointSlices, picks the data plane from
// the flag and the kube-proxy ConfigMap (switching when the ConfigMap changes, after removing the
// old mode's state), runs a Proxier for it, and serves /metrics, /healthz, /proxyMode and
// /proxy/list over HTTP. Errors never escape: they are logged and retried.
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { ConfigMap, EndpointSlice, Service } from '../api/types.ts';
import type { Backend } from './backend.ts';
import type { Clock } from './clock.ts';
import { realClock } from './clock.ts';
import { countersFromConntrack, realConntrack, type ConntrackClient } from './conntrack.ts';
import { hostExecutor, type Executor } from './exec.ts';
import { formatListing, virtualServers, type ProxyListing } from './list.ts';
import { ProxyMetrics } from './metrics.ts';
import { chooseMode, requestedMode, settingsFromConfigMap, type KubeProxySettings } from './mode.ts';
import { Proxier, type Logger } from './proxier.ts';
import type { ProxySource } from './source.ts';
import { informerSource } from './informers.ts';
import { Client, InformerFactory, loadClientConfig } from '../client/index.ts';
import type { ProxyConfig, ProxyMode } from './types.ts';
import { defaultProxyConfig, proxyModes } from './types.ts';
import { IptablesBackend } from './backends/iptables/backend.ts';
import { realIptables } from './backends/iptables/client.ts';
import { NftablesBackend } from './backends/nftables/backend.ts';
import { realNft } from './backends/nftables/client.ts';
import { UserspaceBackend } from './backends/userspace/backend.ts';
import type { Scheduler } from './backends/userspace/pick.ts';
import { HealthCheckServers, healthCheckTargets } from './health-check.ts';

export interface ServiceProxyOptions {
  /** Services, EndpointSlices and the kube-proxy ConfigMap; or give `kubeconfig` instead. */
  readonly source?: ProxySource;
  /** Watch an API server through this kubeconfig (informers made and stopped by the proxy). */
  readonly kubeconfig?: string;
  /** This node's name (endpoints with this nodeName are local). */
  readonly nodeName: string;
  /** Addresses accepting NodePorts; default: this host's non-loopback IPv4 addresses. */
  readonly nodeIPs?: readonly string[];
  readonly nodeZone?: string;
  /** Pod CIDR; default: the ConfigMap's clusterCIDR, else 10.244.0.0/16. */
  readonly clusterCIDR?: string;
  /** Default 10.96.0.0/12. */
  readonly serviceCIDRs?: readonly string[];
  /** `--proxy-mode` ('' or absent: the ConfigMap decides; its default is iptables). */
  readonly mode?: string;
  /** Run kernel tools in this network namespace (tests, bench). */
  readonly netns?: string;
  /** `host:port` for /metrics, /healthz, /proxyMode, /proxy/list; default 127.0.0.1:0; '' = no server. */
  readonly metricsAddress?: string;
  /**
   * Make each service CIDR a local route (`ip route add local <cidr> dev lo`) while running, so
   * userspace can bind ClusterIPs and no ClusterIP packet can leave the machine (root). A route
   * that already existed is left alone on stop.
   */
  readonly manageServiceRoute?: boolean;
  /**
   * Where the health check node ports of externalTrafficPolicy: Local Services listen (kube-proxy
   * answers them on every node address): default 0.0.0.0; '' = none. Never opened with `netns`.
   */
  readonly healthCheckAddress?: string;
  /** Userspace: where NodePorts are bound (default: node IPs and 127.0.0.1). */
  readonly nodePortAddresses?: readonly string[];
  readonly minSyncPeriodMs?: number;
  readonly syncPeriodMs?: number;
  /** Remove every rule, table, route and socket on stop (default true). */
  readonly cleanupOnStop?: boolean;
  /** Remove the other kernel mode's leftovers at start (default true when root). */
  readonly cleanupOtherModes?: boolean;
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Overrides for tests: why a kernel mode is unavailable (undefined = available). */
  readonly unavailable?: Partial<Record<'iptables' | 'nftables', string | undefined>>;
}

export interface RunningServiceProxy {
  /** The data plane in use ('' before the first sync decided it). */
  readonly mode: ProxyMode | '';
  /** `host:port` of the HTTP endpoint ('' when disabled). */
  readonly metricsAddress: string;
  readonly metrics: ProxyMetrics;
  /** The current virtual services with counters. */
  listing(): Promise<ProxyListing>;
  /** Resolves when the current proxier has nothing queued or running. */
  whenIdle(): Promise<void>;
  /** Stops, and (by default) removes everything the proxy installed. */
  stop(): Promise<void>;
}

/** This host's non-internal IPv4 addresses. */
export function hostNodeIPs(): string[] {
  const out: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  return out;
}

async function kernelAvailability(ex: Executor): Promise<Record<'iptables' | 'nftables', string | undefined>> {
  const root = process.getuid?.() === 0;
  const check = async (tool: string) => {
    if (!root) return 'needs root';
    const r = await ex.run(tool, ['--version']);
    return r.code === 127 ? `${tool} is not installed` : undefined;
  };
  return { iptables: await check('iptables-restore'), nftables: await check('nft') };
}

class ServiceProxy implements RunningServiceProxy {
  readonly metrics = new ProxyMetrics();
  metricsAddress = '';
  readonly #o: ServiceProxyOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #ex: Executor;
  readonly #services = new Map<string, Service>();
  readonly #slices = new Map<string, EndpointSlice>();
  #settings: KubeProxySettings = settingsFromConfigMap(undefined);
  #settingsAtStart: KubeProxySettings | undefined;
  #synced = false;
  #proxier: Proxier | undefined;
  #scheduler: Scheduler = 'rr';
  #unavailable: Partial<Record<'iptables' | 'nftables', string | undefined>> = {};
  #conntrack: ConntrackClient | undefined;
  #healthChecks: HealthCheckServers | undefined;
  #server: Server | undefined;
  #switching: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #addedRoutes: string[] = [];
  readonly #source: ProxySource;
  #ownClient: { client: Client; factory: InformerFactory } | undefined;

  constructor(o: ServiceProxyOptions) {
    this.#o = o;
    if (o.source !== undefined) {
      this.#source = o.source;
    } else if (o.kubeconfig !== undefined) {
      const client = new Client(loadClientConfig({ kubeconfig: o.kubeconfig }));
      const factory = new InformerFactory(client, { log: (level, msg) => o.log?.(level, `informers: ${msg}`) });
      this.#ownClient = { client, factory };
      this.#source = informerSource(factory);
    } else {
      throw new Error('startServiceProxy: give a source or a kubeconfig');
    }
    this.#log = o.log ?? (() => undefined);
    // A netns given for tests or bench is not where this process's sockets live: no listeners then.
    if (o.netns === undefined && (o.healthCheckAddress ?? '0.0.0.0') !== '') {
      this.#healthChecks = new HealthCheckServers({
        address: o.healthCheckAddress ?? '0.0.0.0',
        healthy: () => this.#proxier?.lastError === undefined,
        log: (level, msg) => this.#log(level, msg),
      });
    }
    this.#clock = o.clock ?? realClock;
    this.#ex = hostExecutor(o.netns);
  }

  get mode(): ProxyMode | '' {
    return this.#proxier?.backend.mode ?? '';
  }

  async start(): Promise<void> {
    this.#unavailable = this.#o.unavailable ?? (await kernelAvailability(this.#ex));
    if (this.#unavailable.iptables === undefined || this.#unavailable.nftables === undefined) {
      const has = await this.#ex.run('conntrack', ['--version']);
      if (has.code !== 127) this.#conntrack = realConntrack(this.#ex);
      else this.#log('warn', 'conntrack is not installed: stale UDP conntrack entries will not be cleaned');
    }
    if (this.#o.manageServiceRoute === true) await this.#ensureRoutes();
    if (this.#o.metricsAddress !== '') await this.#listen(this.#o.metricsAddress ?? '127.0.0.1:0');
    await this.#source.start({
      onService: (prev, cur) => this.#onService(prev, cur),
      onEndpointSlice: (s, removed) => this.#onSlice(s, removed),
      onKubeProxyConfig: (cm) => this.#onConfig(cm),
      onSynced: () => this.#onSynced(),
    });
  }

  async #ensureRoutes(): Promise<void> {
    for (const cidr of this.#o.serviceCIDRs ?? ['10.96.0.0/12']) {
      const have = await this.#ex.run('ip', ['route', 'show', 'table', 'local', 'type', 'local', cidr]);
      if (have.code === 0 && have.stdout.trim() !== '') continue;
      const r = await this.#ex.run('ip', ['route', 'add', 'local', cidr, 'dev', 'lo']);
      if (r.code === 0) this.#addedRoutes.push(cidr);
      else this.#log('warn', `cannot route ${cidr} locally (${r.stderr.trim()}): userspace cannot bind ClusterIPs`);
    }
  }

  #key(o: { metadata: { namespace?: string; name?: string } }): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  }

  #onService(prev: Service | undefined, cur: Service | undefined): void {
    const obj = cur ?? prev;
    if (obj === undefined) return;
    const k = this.#key(obj);
    const before = this.#services.get(k);
    if (cur === undefined) this.#services.delete(k);
    else this.#services.set(k, cur);
    this.#proxier?.onService(before ?? prev, cur);
  }

  #onSlice(s: EndpointSlice, removed: boolean): void {
    const k = this.#key(s);
    if (removed) this.#slices.delete(k);
    else this.#slices.set(k, s);
    this.#proxier?.onEndpointSlice(s, removed);
  }

  #onConfig(cm: ConfigMap | undefined): void {
    this.#settings = settingsFromConfigMap(cm);
    if (this.#settings.error !== undefined) this.#log('warn', `kube-proxy ConfigMap: ${this.#settings.error}`);
    if (this.#synced) this.#reconsider();
  }

  #onSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    this.#settingsAtStart = this.#settings;
    this.#reconsider();
  }

  /** Picks the mode for the current flag and ConfigMap; switches when it changed. */
  #reconsider(): void {
    this.#switching = this.#switching.then(async () => {
      if (this.#stopped) return;
      const req = requestedMode(this.#o.mode ?? '', this.#settings.mode, this.#settingsAtStart?.mode ?? '');
      const choice = chooseMode(req, this.#settings.ipvsScheduler, this.#unavailable);
      const current = this.#proxier;
      if (current !== undefined && current.backend.mode === choice.mode && (choice.mode !== 'userspace' || this.#scheduler === choice.scheduler)) return;
      for (const n of choice.notes) this.#log('info', n);
      if (current !== undefined) {
        this.#log('info', `switching proxy mode ${current.backend.mode} → ${choice.mode}: removing ${current.backend.mode} state`);
        current.stop();
        await current.whenIdle();
        await this.#safely(() => current.backend.cleanup(), `cleaning up ${current.backend.mode}`);
      } else if (this.#o.cleanupOtherModes ?? process.getuid?.() === 0) {
        await this.#cleanupOthers(choice.mode);
      }
      this.#scheduler = choice.scheduler;
      this.#proxier = this.#makeProxier(choice.mode, choice.scheduler);
      for (const m of proxyModes) this.metrics.mode.set(m === choice.mode ? 1 : 0, { mode: m });
      this.#log('info', `service proxy running in ${choice.mode} mode${choice.mode === 'userspace' ? ` (scheduler ${choice.scheduler})` : ''}`);
    });
  }

  async #cleanupOthers(mode: ProxyMode): Promise<void> {
    const others: Backend[] = [];
    if (mode !== 'iptables' && this.#unavailable.iptables === undefined) others.push(new IptablesBackend({ client: realIptables(this.#ex) }));
    if (mode !== 'nftables' && this.#unavailable.nftables === undefined) others.push(new NftablesBackend({ client: realNft(this.#ex) }));
    for (const b of others) await this.#safely(() => b.cleanup(), `removing leftover ${b.mode} state`);
  }

  async #safely(f: () => Promise<void>, what: string): Promise<void> {
    try {
      await f();
    } catch (err) {
      this.#log('warn', `${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #cfg(): ProxyConfig {
    return defaultProxyConfig({
      nodeName: this.#o.nodeName,
      nodeIPs: this.#o.nodeIPs ?? hostNodeIPs(),
      nodeZone: this.#o.nodeZone ?? '',
      clusterCIDR: this.#o.clusterCIDR ?? (this.#settings.clusterCIDR !== '' ? this.#settings.clusterCIDR : '10.244.0.0/16'),
      serviceCIDRs: this.#o.serviceCIDRs ?? ['10.96.0.0/12'],
      masqueradeAll: this.#settings.masqueradeAll,
    });
  }

  #makeProxier(mode: ProxyMode, scheduler: Scheduler): Proxier {
    const cfg = this.#cfg();
    let backend: Backend;
    switch (mode) {
      case 'iptables':
        backend = new IptablesBackend({ client: realIptables(this.#ex) });
        break;
      case 'nftables':
        backend = new NftablesBackend({ client: realNft(this.#ex) });
        break;
      case 'userspace':
        backend = new UserspaceBackend({
          cfg, clock: this.#clock, scheduler, metrics: this.metrics, log: this.#log,
          ...(this.#o.nodePortAddresses === undefined ? {} : { nodePortAddresses: this.#o.nodePortAddresses }),
        });
        break;
    }
    const p = new Proxier({
      cfg, backend, clock: this.#clock, metrics: this.metrics, log: this.#log,
      minSyncPeriodMs: this.#o.minSyncPeriodMs ?? this.#settings.minSyncPeriodMs ?? 1000,
      syncPeriodMs: this.#o.syncPeriodMs ?? this.#settings.syncPeriodMs ?? 30_000,
      ...(mode !== 'userspace' && this.#conntrack !== undefined ? { conntrack: this.#conntrack } : {}),
      onSynced: (state) => this.#healthChecks?.sync(healthCheckTargets(state)),
    });
    for (const s of this.#services.values()) p.onService(undefined, s);
    for (const s of this.#slices.values()) p.onEndpointSlice(s, false);
    p.setSynced();
    return p;
  }

  async whenIdle(): Promise<void> {
    await this.#switching;
    await this.#proxier?.whenIdle();
  }

  async listing(): Promise<ProxyListing> {
    await this.#switching;
    const p = this.#proxier;
    if (p === undefined) return { mode: 'userspace', scheduler: '', virtualServers: [] };
    const mode = p.backend.mode;
    let counters: ReadonlyMap<string, { active: number; inactive: number }> = new Map();
    let notes: Map<string, string> | undefined;
    let nodePortAddresses = p.cfg.nodeIPs;
    if (p.backend instanceof UserspaceBackend) {
      counters = await p.backend.counters();
      notes = new Map(p.backend.frontends().filter((f) => f.status !== 'listening').map((f) => [f.frontend.id, f.status]));
      nodePortAddresses = p.backend.nodePortAddresses;
    } else if (this.#conntrack !== undefined) {
      try {
        counters = countersFromConntrack(await this.#conntrack.list());
      } catch (err) {
        this.#log('debug', `conntrack list: ${String(err)}`);
      }
    }
    const scheduler = mode === 'userspace' ? this.#scheduler : mode === 'iptables' ? 'random' : 'numgen';
    return {
      mode, scheduler,
      virtualServers: virtualServers({ state: p.state, cfg: p.cfg, mode, scheduler, nodePortAddresses, counters, ...(notes === undefined ? {} : { frontendNotes: notes }) }),
    };
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#source.stop();
    if (this.#ownClient !== undefined) {
      await this.#ownClient.factory.stop();
      this.#ownClient.client.close();
    }
    await this.#switching;
    const p = this.#proxier;
    if (p !== undefined) {
      p.stop();
      await p.whenIdle();
      if (this.#o.cleanupOnStop ?? true) await this.#safely(() => p.backend.cleanup(), `cleaning up ${p.backend.mode}`);
      await p.backend.close();
    }
    await this.#healthChecks?.close();
    for (const cidr of this.#addedRoutes.splice(0)) await this.#ex.run('ip', ['route', 'del', 'local', cidr, 'dev', 'lo']);
    await new Promise<void>((r) => (this.#server === undefined ? r() : this.#server.close(() => r())));
  }

  async #listen(addr: string): Promise<void> {
    const i = addr.lastIndexOf(':');
    const host = addr.slice(0, i) || '127.0.0.1';
    const port = Number(addr.slice(i + 1));
    const server = createServer((req, res) => {
      void (async () => {
        const url = req.url ?? '/';
        if (url.startsWith('/metrics')) {
          res.setHeader('content-type', 'text/plain; version=0.0.4');
          res.end(this.metrics.render());
        } else if (url.startsWith('/healthz') || url.startsWith('/livez')) {
          const last = this.metrics.lastSync.get();
          const healthy = this.#proxier !== undefined && this.#proxier.lastError === undefined;
          res.statusCode = healthy || !this.#synced ? 200 : 503;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ lastUpdated: new Date(last * 1000).toISOString(), currentTime: new Date().toISOString(), mode: this.mode }));
        } else if (url.startsWith('/proxyMode')) {
          res.end(this.mode);
        } else if (url.startsWith('/proxy/list')) {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(await this.listing()));
        } else {
          res.statusCode = 404;
          res.end('not found\n');
        }
      })().catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    server.unref();
    this.#server = server;
    const a = server.address();
    this.metricsAddress = typeof a === 'object' && a !== null ? `${host}:${a.port}` : addr;
  }
}

/** Starts the service proxy; resolves once its HTTP endpoint listens and its source has started. */
export async function startServiceProxy(o: ServiceProxyOptions): Promise<RunningServiceProxy> {
  const sp = new ServiceProxy(o);
  await sp.start();
  return sp;
}

/** Fetches a running proxy's listing from its HTTP endpoint (`host:port` from state.json). */
export async function fetchListing(address: string): Promise<ProxyListing> {
  const res = await fetch(`http://${address}/proxy/list`);
  if (!res.ok) throw new Error(`proxy list: HTTP ${res.status} from ${address}`);
  return (await res.json()) as ProxyListing;
}

/**
 * `switchboard proxy list [--data-dir DIR]`: finds the running proxy through `DIR/state.json`
 * (`metrics.proxy`) and prints its virtual services like `ipvsadm -Ln`.
 */
export async function proxyListFromDataDir(dataDir: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let state: { metrics?: Record<string, string> };
  try {
    state = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8')) as typeof state;
  } catch (err) {
    throw new Error(`no running Switchboard in ${dataDir} (state.json: ${err instanceof Error ? err.message : String(err)})`);
  }
  const addr = state.metrics?.['proxy'];
  if (addr === undefined) throw new Error(`the Switchboard in ${dataDir} runs no service proxy (state.json has no metrics.proxy)`);
  return formatListing(await fetchListing(addr));
}
