// The node agent: registers the Node, prepares the runtime, watches the Pods bound to this node and
// gives each one a PodWorker; writes their status and deletes them once terminated. Also answers
// logs and exec for them (podio.ts, server.ts). Its loops never throw outward.
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { networkInterfaces, hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConfigMap, KubeObject, Node, Pod, PodStatus, Secret, Service } from '../api/types.ts';
import { builtin, type ApiClient, type ResourceClient } from '../client/types.ts';
import { Informer } from '../client/informer.ts';
import { isNotFound } from '../client/errors.ts';
import { realClock, type Clock } from '../client/clock.ts';
import { parseResolvConf, type DnsSettings } from './files.ts';
import { PodIPAllocator, loopbackMirror, pickPodCIDR, shortHash } from './ipam.ts';
import { defaultRestartBackoff, type RestartBackoffOptions } from './backoff.ts';
import { PodWorker, type LogFn, type WorkerContext } from './pod-worker.ts';
import { ApiEventSink, type EventSink } from './events.ts';
import { NodeRegistrar, defaultRouteIPv4, machineFacts } from './node.ts';
import { NetnsRuntime } from './runtime/netns.ts';
import { HostRuntime } from './runtime/host.ts';
import { nodeNet } from './runtime/plan.ts';
import { runCommand } from './runtime/command.ts';
import type { Runtime } from './runtime/types.ts';

export interface AgentOptions {
  client: ApiClient;
  /** Where the agent keeps Pod directories and its records (e.g. <data-dir>/agent). */
  stateDir: string;
  /** Default: the machine's hostname, lowercased. */
  nodeName?: string;
  /** 'netns' (default when root) or 'host'. */
  network?: 'netns' | 'host';
  /** This node's Pod subnet; default: the Node's, else the first free /24 of clusterCIDR. */
  podCIDR?: string;
  clusterCIDR?: string;
  serviceCIDR?: string;
  clusterDNS?: string[];
  clusterDomain?: string;
  /** The Node's InternalIP; default: the address of the default route's device, else 127.0.0.1. */
  nodeIP?: string;
  /** Port of the agent's own HTTPS server, for Node.status.daemonEndpoints (0 when none). */
  kubeletPort?: number;
  backoff?: Partial<RestartBackoffOptions>;
  /** How long stop() lets containers end after SIGTERM before SIGKILL (default 2 s). */
  shutdownGraceMs?: number;
  /** Runtime to use instead of netns/host (tests). */
  runtime?: Runtime;
  events?: EventSink;
  clock?: Clock;
  log?: LogFn;
}

const agnhostMain = fileURLToPath(new URL('./agnhost/main.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** The host nginx's version (`nginx -v` prints `nginx version: nginx/1.22.1` on stderr). */
function nginxVersion(): string {
  const r = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return /nginx\/([\d.]+)/.exec(r.stderr ?? '')?.[1] ?? '1.22.1';
}

/** IPv4 prefixes routed on this machine (except on `ownDevice`), so two agents never share a subnet. */
async function hostRoutes(ownDevice: string): Promise<string[]> {
  try {
    const r = await runCommand(['ip', '-4', '-o', 'route', 'show', 'table', 'all']);
    return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[w.indexOf('dev') + 1] !== ownDevice)
      .map((w) => (w[0] === 'local' || w[0] === 'broadcast' || w[0] === 'unicast' ? w[1] : w[0]) ?? '')
      .filter((x) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(x));
  } catch {
    return [];
  }
}

export class NodeAgent {
  readonly opts: AgentOptions;
  readonly nodeName: string;
  readonly stateDir: string;
  readonly podsDir: string;
  readonly clock: Clock;
  readonly workers = new Map<string, PodWorker>();
  runtime!: Runtime;
  podCIDR = '';
  hostIP = '';
  private ipam!: PodIPAllocator;
  private registrar: NodeRegistrar | undefined;
  private pods: Informer<Pod> | undefined;
  private services: Informer<Service> | undefined;
  private events!: EventSink;
  private stopping = false;
  private readonly log: LogFn;

  constructor(opts: AgentOptions) {
    this.opts = opts;
    this.nodeName = (opts.nodeName ?? hostname()).toLowerCase() || 'switchboard';
    this.stateDir = resolve(opts.stateDir);
    this.podsDir = join(this.stateDir, 'pods');
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? (() => {});
  }

  /** 4 hex characters, stable for a state directory and node name, in every name the agent gives the kernel. */
  get instanceId(): string {
    return shortHash(`${this.stateDir}|${this.nodeName}`, 4);
  }

  /** The network mode in use. */
  get mode(): 'netns' | 'host' | 'fake' {
    return this.runtime.mode;
  }

  private async choosePodCIDR(existing: Node | undefined): Promise<string> {
    if (this.opts.podCIDR !== undefined) return this.opts.podCIDR;
    const mine = existing?.spec?.podCIDR;
    if (mine !== undefined && mine !== '') return mine;
    const nodes = await this.opts.client.resource<Node>(builtin('nodes')).list('');
    const taken = nodes.items.filter((n) => n.metadata.name !== this.nodeName).map((n) => n.spec?.podCIDR ?? '').filter((s) => s !== '');
    const routes = this.runtimeMode() === 'netns' ? await hostRoutes(nodeNet(this.instanceId, '10.244.0.0/24', '', '').bridge) : [];
    const cidr = pickPodCIDR(this.opts.clusterCIDR ?? '10.244.0.0/16', 24, taken, routes);
    if (cidr === undefined) throw new Error(`no free /24 left in ${this.opts.clusterCIDR ?? '10.244.0.0/16'}`);
    return cidr;
  }

  private runtimeMode(): 'netns' | 'host' {
    if (this.opts.network !== undefined) return this.opts.network;
    return process.getuid?.() === 0 ? 'netns' : 'host';
  }

  /** Registers the node, sets up the runtime and starts watching Pods. */
  async start(): Promise<void> {
    mkdirSync(this.podsDir, { recursive: true });
    const client = this.opts.client;
    let existing: Node | undefined;
    try {
      existing = await client.resource<Node>(builtin('nodes')).get('', this.nodeName);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.podCIDR = await this.choosePodCIDR(existing);
    this.hostIP = this.opts.nodeIP ?? defaultRouteIPv4(networkInterfaces()) ?? '127.0.0.1';
    const mode = this.runtimeMode();
    if (this.opts.runtime !== undefined) {
      this.runtime = this.opts.runtime;
      this.ipam = new PodIPAllocator(this.podCIDR);
    } else if (mode === 'netns') {
      if (process.getuid?.() !== 0) throw new Error('--network netns needs root (run as root, or use --network host)');
      this.ipam = new PodIPAllocator(this.podCIDR);
      this.runtime = new NetnsRuntime(nodeNet(this.instanceId, this.podCIDR, this.ipam.gateway, this.opts.serviceCIDR ?? '10.96.0.0/12'), this.stateDir, this.log);
    } else {
      this.ipam = new PodIPAllocator(loopbackMirror(this.podCIDR));
      this.runtime = new HostRuntime(this.stateDir);
      this.log('info', this.runtime.limitations);
    }
    await this.runtime.setupNode();
    this.events = this.opts.events ?? new ApiEventSink(client, this.nodeName, (m) => this.log('warn', m));
    this.registrar = new NodeRegistrar(client, machineFacts(this.nodeName, this.podCIDR, this.hostIP, this.stateDir, this.opts.kubeletPort ?? 0), (l, m) => this.log(l, m));
    await this.registrar.register();
    this.registrar.start();

    this.services = new Informer<Service>(client.resource<Service>(builtin('services')), { name: 'services', log: (l, m) => this.log(l, m) });
    this.services.start();
    this.pods = new Informer<Pod>(client.resource<Pod>(builtin('pods')), {
      name: 'pods', fieldSelector: `spec.nodeName=${this.nodeName}`, log: (l, m) => this.log(l, m),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.onPod(p),
      onUpdate: (_o, p) => this.onPod(p),
      onDelete: (p) => this.onPodDeleted(p),
    });
    await this.services.waitForSync();
    this.pods.start();
    await this.pods.waitForSync();
    this.log('info', `node agent ${this.nodeName} ready (${this.runtime.mode}, pod CIDR ${this.podCIDR})`);
  }

  private dnsSettings(): DnsSettings {
    let host = { nameservers: [] as string[], searches: [] as string[], options: [] as string[] };
    try {
      if (existsSync('/etc/resolv.conf')) host = parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8'));
    } catch { /* none */ }
    return { clusterDNS: this.opts.clusterDNS ?? ['10.96.0.10'], clusterDomain: this.opts.clusterDomain ?? 'cluster.local', host };
  }

  private context(): WorkerContext {
    const client = this.opts.client;
    const facts = this.registrar?.facts;
    return {
      runtime: this.runtime,
      nodeName: this.nodeName,
      hostIP: this.hostIP,
      dns: this.dnsSettings(),
      catalog: { node: process.execPath, agnhost: agnhostMain, root: packageRoot, nginxVersion: nginxVersion() },
      podsDir: this.podsDir,
      events: this.events,
      clock: this.clock,
      backoff: { ...defaultRestartBackoff, ...(this.opts.backoff ?? {}) },
      allocateIP: () => this.ipam.allocate(),
      releaseIP: (ip) => this.ipam.release(ip),
      services: () => this.services?.cache.list() ?? [],
      configMap: (ns, name) => getIfExists(client.resource<ConfigMap>(builtin('configmaps')), ns, name),
      secret: (ns, name) => getIfExists(client.resource<Secret>(builtin('secrets')), ns, name),
      serviceAccountToken: async (pod, audience, expirationSeconds) => {
        const ns = pod.metadata.namespace ?? 'default';
        const sa = pod.spec?.serviceAccountName ?? 'default';
        const r = await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`, {
          apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
          spec: {
            ...(audience !== '' ? { audiences: [audience] } : {}), expirationSeconds,
            boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
          },
        });
        if (r.statusCode !== 201 && r.statusCode !== 200) throw new Error(`TokenRequest for ${ns}/${sa}: HTTP ${r.statusCode}: ${r.body.slice(0, 200)}`);
        return r.json<{ status?: { token?: string } }>().status?.token;
      },
      writeStatus: (pod, status) => this.writeStatus(pod, status),
      deletePod: async (pod) => {
        try {
          await client.resource<Pod>(builtin('pods')).delete(pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
            gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid ?? '' },
          });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      },
      nodeAllocatable: { cpu: facts?.cpu ?? 1, memoryBytes: (facts?.memoryKi ?? 1024 * 1024) * 1024 },
      ipv6: existsSync('/proc/sys/net/ipv6'),
      log: this.log,
      onDone: (uid) => { this.workers.delete(uid); },
    };
  }

  private async writeStatus(pod: Pod, status: PodStatus): Promise<void> {
    const prev = pod.status ?? {};
    const patch: Record<string, unknown> = { ...status };
    // JSON merge patch: fields we no longer set must be removed explicitly.
    for (const k of Object.keys(prev)) if (!(k in patch) && k !== 'nominatedNodeName' && k !== 'resize') patch[k] = null;
    await this.opts.client.resource<Pod>(builtin('pods')).patchStatus(pod.metadata.namespace ?? '', pod.metadata.name ?? '', { status: patch }, 'merge');
  }

  private onPod(pod: Pod): void {
    if (this.stopping) return;
    const uid = pod.metadata.uid ?? '';
    let w = this.workers.get(uid);
    if (w === undefined) {
      const phase = pod.status?.phase;
      // A Pod that finished before this agent started needs nothing but its final deletion.
      if ((phase === 'Succeeded' || phase === 'Failed') && pod.metadata.deletionTimestamp === undefined) return;
      w = new PodWorker(pod, this.context());
      this.workers.set(uid, w);
    }
    w.update(pod);
  }

  private onPodDeleted(pod: Pod): void {
    this.workers.get(pod.metadata.uid ?? '')?.vanish();
  }

  /** The worker of a Pod by namespace and name. */
  worker(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values()) {
      if (w.pod.metadata.namespace === namespace && w.pod.metadata.name === name) return w;
    }
    return undefined;
  }

  /** Stops everything: containers, sandboxes, node network, loops. Leaves API objects as they are. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.registrar?.stop();
    await Promise.all([this.pods?.stop(), this.services?.stop()]);
    const grace = this.opts.shutdownGraceMs ?? 2000;
    await Promise.all([...this.workers.values()].map((w) => w.shutdown(grace).catch((err: unknown) => {
      this.log('warn', `pod ${w.name}: shutdown: ${err instanceof Error ? err.message : String(err)}`);
    })));
    this.workers.clear();
    if (this.runtime !== undefined) {
      try {
        await this.runtime.teardownNode();
      } catch (err) {
        this.log('warn', `node teardown: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (this.events instanceof ApiEventSink) await this.events.flush();
  }
}

/** The object, or undefined when it does not exist. */
async function getIfExists<T extends KubeObject>(res: ResourceClient<T>, ns: string, name: string): Promise<T | undefined> {
  try {
    return await res.get(ns, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
