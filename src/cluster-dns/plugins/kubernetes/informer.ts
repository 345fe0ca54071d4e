// The ClusterView over informers (list + watch caches of Namespaces, Services, EndpointSlices and,
// only when `pods verified` asks for them, Pods), indexed by cluster IP, owning Service and
// endpoint IP; plus the coredns ConfigMap as a Corefile source.
import type { ConfigMap, EndpointSlice, KubeObject, Namespace, Pod, Service } from '../../../api/types.ts';
import { builtin, type Informer, type InformerFactory } from '../../../client/index.ts';
import { canonicalIP } from '../../dns/ip.ts';
import type { CorefileSource } from '../../server/server.ts';
import { clusterIPs, isHeadless } from './records.ts';
import { sliceService, type ClusterView } from './view.ts';

const byClusterIP = 'switchboard.dns/clusterIP';
const byService = 'switchboard.dns/service';
const byIP = 'switchboard.dns/ip';

function addIndexersOnce<T extends KubeObject>(inf: Informer<T>, indexers: Record<string, (o: T) => readonly string[]>): void {
  for (const [name, fn] of Object.entries(indexers)) {
    try {
      inf.addIndexers({ [name]: fn });
    } catch {
      // Already added by another view on the same shared informer.
    }
  }
}

export interface InformerViewOptions {
  /** Logs informer trouble. */
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** Observes `coredns_kubernetes_dns_programming_duration_seconds` (slice change → seen here). */
  programmed?: (serviceKind: string, seconds: number) => void;
  /** Wall clock in ms. */
  now?: () => number;
}

/** A ClusterView backed by shared informers. Call start(); stop() only stops what it started. */
export class InformerClusterView implements ClusterView {
  private readonly factory: InformerFactory;
  private readonly namespaces: Informer<Namespace>;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private pods: Informer<Pod> | undefined;
  private readonly opts: InformerViewOptions;
  private mod: number;
  private readonly unsubscribe: (() => void)[] = [];
  private started = false;

  constructor(factory: InformerFactory, opts: InformerViewOptions = {}) {
    this.factory = factory;
    this.opts = opts;
    this.mod = Math.floor((opts.now ?? Date.now)() / 1000);
    this.namespaces = factory.informerFor<Namespace>(builtin('namespaces'));
    this.services = factory.informerFor<Service>(builtin('services'));
    this.slices = factory.informerFor<EndpointSlice>(builtin('endpointslices', 'discovery.k8s.io'));
    addIndexersOnce(this.services, { [byClusterIP]: (s) => clusterIPs(s) });
    addIndexersOnce(this.slices, {
      [byService]: (s) => {
        const svc = sliceService(s);
        return svc === undefined ? [] : [`${s.metadata.namespace ?? ''}/${svc}`];
      },
      [byIP]: (s) => (s.endpoints ?? []).flatMap((e) => e.addresses.map((a) => canonicalIP(a) ?? a)),
    });
    const touch = () => { this.mod = Math.floor((this.opts.now ?? Date.now)() / 1000); };
    const h = { onAdd: touch, onUpdate: touch, onDelete: touch };
    this.unsubscribe.push(this.namespaces.addEventHandler(h), this.services.addEventHandler(h));
    this.unsubscribe.push(this.slices.addEventHandler({
      onAdd: (s, initial) => { touch(); if (!initial) this.programmed(s); },
      onUpdate: (_o, s) => { touch(); this.programmed(s); },
      onDelete: touch,
    }));
  }

  /** Starts the informers (idempotent; shared informers may already run). */
  start(): void {
    this.started = true;
    this.namespaces.start();
    this.services.start();
    this.slices.start();
    this.pods?.start();
  }

  /** Resolves when every informer has listed once, or after `timeoutMs` (CoreDNS's startup_timeout). */
  async waitForSync(timeoutMs: number): Promise<boolean> {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(new Error('timeout')), timeoutMs);
    try {
      const waits = [this.namespaces.waitForSync(ac.signal), this.services.waitForSync(ac.signal), this.slices.waitForSync(ac.signal)];
      if (this.pods !== undefined) waits.push(this.pods.waitForSync(ac.signal));
      await Promise.all(waits);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(t);
    }
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Watches Pods too (for `pods verified`). */
  requirePods(): void {
    if (this.pods !== undefined) return;
    this.pods = this.factory.informerFor<Pod>(builtin('pods'));
    addIndexersOnce(this.pods, {
      [byIP]: (p) => {
        const ips = (p.status?.podIPs ?? []).map((x) => x.ip);
        if (p.status?.podIP !== undefined) ips.push(p.status.podIP);
        return [...new Set(ips.map((ip) => canonicalIP(ip) ?? ip))];
      },
    });
    if (this.started) this.pods.start();
  }

  hasSynced(): boolean {
    return this.namespaces.hasSynced() && this.services.hasSynced() && this.slices.hasSynced() && (this.pods?.hasSynced() ?? true);
  }

  namespace(name: string): Namespace | undefined {
    return this.namespaces.cache.get('', name);
  }

  service(namespace: string, name: string): Service | undefined {
    return this.services.cache.get(namespace, name);
  }

  endpointSlices(namespace: string, service: string): readonly EndpointSlice[] {
    return this.slices.cache.byIndex(byService, `${namespace}/${service}`);
  }

  servicesByClusterIP(ip: string): readonly Service[] {
    return this.services.cache.byIndex(byClusterIP, ip);
  }

  endpointSlicesByIP(ip: string): readonly EndpointSlice[] {
    return this.slices.cache.byIndex(byIP, ip);
  }

  podsByIP(ip: string): readonly Pod[] {
    return this.pods?.cache.byIndex(byIP, ip) ?? [];
  }

  modified(): number {
    return this.mod;
  }

  private programmed(s: EndpointSlice): void {
    if (this.opts.programmed === undefined) return;
    const trigger = s.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'];
    if (trigger === undefined) return;
    const t = Date.parse(trigger);
    if (Number.isNaN(t)) return;
    const svcName = sliceService(s);
    const svc = svcName === undefined ? undefined : this.service(s.metadata.namespace ?? '', svcName);
    const kind = svc === undefined || !isHeadless(svc) ? 'cluster_ip' : svc.spec?.selector === undefined ? 'headless_without_selector' : 'headless_with_selector';
    this.opts.programmed(kind, Math.max(0, ((this.opts.now ?? Date.now)() - t) / 1000));
  }
}

/** The Corefile in a ConfigMap (kube-system/coredns, key Corefile), through a shared informer. */
export function configMapSource(factory: InformerFactory, namespace = 'kube-system', name = 'coredns', key = 'Corefile'): CorefileSource & { informer: Informer<ConfigMap> } {
  const informer = factory.informerFor<ConfigMap>(builtin('configmaps'), { namespace, fieldSelector: `metadata.name=${name}` });
  return {
    name: `ConfigMap ${namespace}/${name}`,
    informer,
    read: () => informer.cache.get(namespace, name)?.data?.[key],
    watch: (fn) => informer.addEventHandler({ onAdd: () => fn(), onUpdate: () => fn(), onDelete: () => fn() }),
  };
}
