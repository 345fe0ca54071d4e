// The narrow interface between the cluster and the ingress controller: a snapshot of the objects the
// compiler reads, whether every input has synced once, and a change signal. `InformerSource` fills
// it from the client library's informers; `StaticSource` (fake.ts) from plain arrays in tests.
import type { ConfigMap, CustomResourceDefinition, EndpointSlice, Ingress, IngressClass, KubeObject, Namespace, Secret, Service } from '../api/types.ts';
import { builtin, type ApiClient, type Informer, InformerFactory } from '../client/index.ts';
import type { FullState } from './compile-all.ts';
import type { Gateway, GatewayClass, HTTPRoute, ReferenceGrant } from './gateway/api.ts';
import { gatewayRefs } from './status/gateway-writer.ts';

export interface IngressSource {
  /** The current objects (Gateway API ones when their CRDs are installed). */
  snapshot(): FullState;
  /** True once every input has been listed (nothing is served or written before). */
  hasSynced(): boolean;
  /** Calls `cb` after any change; returns an unsubscribe function. */
  onChange(cb: () => void): () => void;
  start(): void;
  stop(): Promise<void>;
}

export interface InformerSourceOptions {
  /** Namespaces of the tcp-services / udp-services ConfigMaps (watched, nothing else of ConfigMaps). */
  configMapNamespaces?: readonly string[];
  /** Share informers with other components of the process. */
  factory?: InformerFactory;
  /** Watch Gateway API objects once their CRDs exist (default true). */
  gatewayAPI?: boolean;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

interface GatewayInformers {
  gatewayClasses?: Informer<GatewayClass>;
  gateways?: Informer<Gateway>;
  httpRoutes?: Informer<HTTPRoute>;
  referenceGrants?: Informer<ReferenceGrant>;
  namespaces?: Informer<Namespace>;
}

const gatewayCRDs = {
  gatewayClasses: `gatewayclasses.${gatewayRefs.gatewayClasses.group}`,
  gateways: `gateways.${gatewayRefs.gateways.group}`,
  httpRoutes: `httproutes.${gatewayRefs.httpRoutes.group}`,
  referenceGrants: `referencegrants.${gatewayRefs.referenceGrants.group}`,
} as const;

/** Inputs from informers (list + watch + cache) on Ingresses, IngressClasses, Services, EndpointSlices, Secrets and the L4 ConfigMaps. */
export class InformerSource implements IngressSource {
  private readonly factory: InformerFactory;
  private readonly ownsFactory: boolean;
  private readonly ingresses: Informer<Ingress>;
  private readonly classes: Informer<IngressClass>;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly secrets: Informer<Secret>;
  private readonly configMaps: Informer<ConfigMap>[];
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly crds: Informer<CustomResourceDefinition> | undefined;
  private readonly gw: GatewayInformers = {};
  private readonly handler: { onAdd: () => void; onUpdate: (a: KubeObject, b: KubeObject) => void; onDelete: () => void };

  constructor(client: ApiClient, opts: InformerSourceOptions = {}) {
    this.ownsFactory = opts.factory === undefined;
    this.factory = opts.factory ?? new InformerFactory(client, opts.log !== undefined ? { log: opts.log } : {});
    this.ingresses = this.factory.informerFor<Ingress>(builtin('ingresses'));
    this.classes = this.factory.informerFor<IngressClass>(builtin('ingressclasses'));
    this.services = this.factory.informerFor<Service>(builtin('services'));
    this.slices = this.factory.informerFor<EndpointSlice>(builtin('endpointslices'));
    this.secrets = this.factory.informerFor<Secret>(builtin('secrets'));
    this.configMaps = [...new Set(opts.configMapNamespaces ?? ['ingress-nginx'])].map((ns) => this.factory.informerFor<ConfigMap>(builtin('configmaps'), { namespace: ns }));
    const fire = () => { for (const l of this.listeners) l(); };
    const h = { onAdd: fire, onUpdate: (a: KubeObject, b: KubeObject) => { if (a !== b) fire(); }, onDelete: fire };
    this.handler = h;
    for (const inf of [this.ingresses, this.classes, this.services, this.slices, this.secrets, ...this.configMaps] as Informer<KubeObject>[]) {
      this.unsubscribe.push(inf.addEventHandler(h));
    }
    if (opts.gatewayAPI !== false) {
      // Gateway API informers start once their CRDs exist (a list of an unknown resource would never sync).
      this.crds = this.factory.informerFor<CustomResourceDefinition>(builtin('customresourcedefinitions'));
      const check = () => this.ensureGatewayInformers();
      this.unsubscribe.push(this.crds.addEventHandler({ onAdd: check, onUpdate: check }));
    }
  }

  private ensureGatewayInformers(): void {
    const crds = this.crds;
    if (crds === undefined) return;
    const has = (name: string) => crds.cache.get('', name) !== undefined;
    if (!has(gatewayCRDs.gatewayClasses) || !has(gatewayCRDs.gateways) || !has(gatewayCRDs.httpRoutes)) return;
    let added = false;
    const add = <T extends KubeObject>(key: keyof GatewayInformers, make: () => Informer<T>) => {
      if (this.gw[key] !== undefined) return;
      const inf = make();
      (this.gw as Record<string, Informer<KubeObject>>)[key] = inf as unknown as Informer<KubeObject>;
      this.unsubscribe.push(inf.addEventHandler(this.handler as unknown as Parameters<Informer<T>['addEventHandler']>[0]));
      added = true;
    };
    add('gatewayClasses', () => this.factory.informerFor<GatewayClass>(gatewayRefs.gatewayClasses));
    add('gateways', () => this.factory.informerFor<Gateway>(gatewayRefs.gateways));
    add('httpRoutes', () => this.factory.informerFor<HTTPRoute>(gatewayRefs.httpRoutes));
    add('namespaces', () => this.factory.informerFor<Namespace>(builtin('namespaces')));
    if (has(gatewayCRDs.referenceGrants)) add('referenceGrants', () => this.factory.informerFor<ReferenceGrant>(gatewayRefs.referenceGrants));
    if (added) for (const l of this.listeners) l();
  }

  snapshot(): FullState {
    const s: FullState = {
      ingresses: this.ingresses.cache.list(),
      ingressClasses: this.classes.cache.list(),
      services: this.services.cache.list(),
      endpointSlices: this.slices.cache.list(),
      secrets: this.secrets.cache.list(),
      configMaps: this.configMaps.flatMap((i) => i.cache.list()),
    };
    const g = this.gw;
    if (g.gatewayClasses !== undefined) s.gatewayClasses = g.gatewayClasses.cache.list();
    if (g.gateways !== undefined) s.gateways = g.gateways.cache.list();
    if (g.httpRoutes !== undefined) s.httpRoutes = g.httpRoutes.cache.list();
    if (g.referenceGrants !== undefined) s.referenceGrants = g.referenceGrants.cache.list();
    if (g.namespaces !== undefined) s.namespaces = g.namespaces.cache.list();
    return s;
  }

  hasSynced(): boolean {
    const base = [this.ingresses, this.classes, this.services, this.slices, this.secrets, ...this.configMaps] as Informer<KubeObject>[];
    if (this.crds !== undefined) base.push(this.crds as unknown as Informer<KubeObject>);
    for (const inf of Object.values(this.gw) as Informer<KubeObject>[]) base.push(inf);
    return base.every((i) => i.hasSynced());
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  start(): void {
    this.factory.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe) u();
    this.listeners.clear();
    if (this.ownsFactory) await this.factory.stop();
  }
}
