// The EndpointSlice controller's shell: informers for Services, Pods, EndpointSlices and Nodes feed
// a work queue of Service keys; each sync reads the caches, asks the pure reconciler for a plan and
// applies it (creates, updates, deletes). Level-triggered: a restart lists everything and converges;
// our slices are found by the managed-by label and owner reference, so no duplicates appear after a
// restart. A sync never acts on a cache that has not seen our own last writes (SliceTracker).
import type { EndpointSlice, Node, Pod, Service } from '../../api/types.ts';
import {
  builtin, Controller, isAlreadyExists, isConflict, isNotFound, splitKey,
  type ApiClient, type Clock, type Informer, type InformerFactory, type LogFn, type ReconcileResult, type ResourceClient,
} from '../../client/index.ts';
import { StatusError } from '../../machinery/status.ts';
import { reconcileEndpointSlices, type SlicePlan } from './reconcile.ts';
import { managesService, serviceSelectsPod } from './pods.ts';
import { QuietRetry, SliceTracker } from './tracker.ts';
import { TriggerTimeTracker } from './triggertime.ts';
import { controllerName, managedByLabel, serviceNameLabel, zoneLabel } from './wellknown.ts';

/** Cache index of our slices by `namespace/service`. */
export const sliceServiceIndex = 'endpointslice-controller.k8s.io/service';
/** Cache index of Pods by `spec.nodeName`. */
export const podNodeIndex = 'endpointslice-controller.k8s.io/node';

export interface EndpointSliceControllerOptions {
  client: ApiClient;
  /** Informers (shared with other controllers of the process). */
  informers: InformerFactory;
  log?: LogFn;
  /** Default 100 (upstream `--max-endpoints-per-slice`). */
  maxEndpointsPerSlice?: number;
  /** Concurrent Service syncs (default 5, upstream `--concurrent-service-endpoint-syncs`). */
  workers?: number;
  clock?: Clock;
}

/** Counters, for tests, benchmarks and metrics (upstream's `endpoint_slice_controller_changes`). */
export interface EndpointSliceStats {
  syncs: number;
  creates: number;
  updates: number;
  deletes: number;
  /** Syncs put off because the slice cache had not seen our writes yet. */
  staleCache: number;
  /** Writes that lost a race (409, 404 or AlreadyExists) and were retried. */
  conflicts: number;
  /** Syncs that failed otherwise (logged, retried with back-off). */
  errors: number;
}

function managedSliceServiceKeys(s: EndpointSlice): string[] {
  const l = s.metadata.labels ?? {};
  const svc = l[serviceNameLabel];
  if (l[managedByLabel] !== controllerName || svc === undefined || svc === '') return [];
  return [`${s.metadata.namespace ?? ''}/${svc}`];
}

/** The fields of a Pod the slices depend on, to skip updates that change none of them. */
function podEndpointState(p: Pod): string {
  const st = p.status ?? {};
  return JSON.stringify([
    p.metadata.labels ?? {}, p.metadata.deletionTimestamp ?? '', p.metadata.uid ?? '', st.phase ?? '', st.podIP ?? '', st.podIPs ?? [],
    (st.conditions ?? []).find((c) => c.type === 'Ready') ?? null, p.spec?.nodeName ?? '', p.spec?.hostname ?? '', p.spec?.subdomain ?? '',
    (p.spec?.containers ?? []).map((c) => c.ports ?? []), (p.spec?.initContainers ?? []).map((c) => [c.restartPolicy ?? '', c.ports ?? []]),
  ]);
}

function tryAddIndexers<T extends Service | Pod | EndpointSlice | Node>(inf: Informer<T>, indexers: Record<string, (o: T) => readonly string[]>): void {
  for (const [name, fn] of Object.entries(indexers)) {
    try {
      inf.addIndexers({ [name]: fn });
    } catch {
      // Already added by another instance sharing the informer: same function, same name.
    }
  }
}

/** Keeps every selector Service's EndpointSlices in step with its Pods. */
export class EndpointSliceController {
  readonly controller: Controller;
  readonly stats: EndpointSliceStats = { syncs: 0, creates: 0, updates: 0, deletes: 0, staleCache: 0, conflicts: 0, errors: 0 };
  readonly #services: Informer<Service>;
  readonly #pods: Informer<Pod>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #nodes: Informer<Node>;
  readonly #api: ResourceClient<EndpointSlice>;
  readonly #tracker = new SliceTracker();
  readonly #triggers = new TriggerTimeTracker();
  readonly #retry = new QuietRetry();
  /** Services whose sync waits for the slice cache to catch up with our writes. */
  readonly #waitingForCache = new Set<string>();
  readonly #max: number | undefined;
  readonly #log: LogFn;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(opts: EndpointSliceControllerOptions) {
    this.#log = opts.log ?? (() => undefined);
    this.#max = opts.maxEndpointsPerSlice;
    this.#api = opts.client.resource<EndpointSlice>(builtin('endpointslices', 'discovery.k8s.io'));
    this.#services = opts.informers.informerFor<Service>(builtin('services'));
    this.#pods = opts.informers.informerFor<Pod>(builtin('pods'));
    this.#slices = opts.informers.informerFor<EndpointSlice>(builtin('endpointslices', 'discovery.k8s.io'));
    this.#nodes = opts.informers.informerFor<Node>(builtin('nodes'));
    tryAddIndexers(this.#slices, { [sliceServiceIndex]: managedSliceServiceKeys });
    tryAddIndexers(this.#pods, { [podNodeIndex]: (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []) });
    this.controller = new Controller({
      name: 'endpointslice',
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
      ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
      log: this.#log,
      waitFor: [this.#services, this.#pods, this.#slices, this.#nodes],
    });
    this.#subscribe();
  }

  #subscribe(): void {
    const q = this.controller;
    this.#unsubscribe.push(this.#services.addEventHandler(q.handler<Service>()));
    this.#unsubscribe.push(this.#pods.addEventHandler({
      onAdd: (p) => this.#enqueueForPod(p),
      onUpdate: (old, p) => {
        if (old !== p && podEndpointState(old) === podEndpointState(p)) return;
        this.#enqueueForPod(p);
        if (old !== p && JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(p.metadata.labels ?? {})) this.#enqueueForPod(old);
      },
      onDelete: (p) => this.#enqueueForPod(p),
    }));
    // Our own writes echo back here: they need no sync, except for a sync that waits for them.
    const echo = (k: string): void => {
      if (this.#waitingForCache.delete(k)) q.enqueue(k);
    };
    this.#unsubscribe.push(this.#slices.addEventHandler({
      onAdd: (s) => {
        for (const k of managedSliceServiceKeys(s)) {
          if (this.#tracker.shouldSync(k, s)) q.enqueue(k);
          else echo(k);
        }
      },
      onUpdate: (old, s) => {
        for (const k of managedSliceServiceKeys(s)) {
          if (old === s || this.#tracker.shouldSync(k, s)) q.enqueue(k);
          else echo(k);
        }
        for (const k of managedSliceServiceKeys(old)) if (!managedSliceServiceKeys(s).includes(k)) q.enqueue(k);
      },
      onDelete: (s) => {
        for (const k of managedSliceServiceKeys(s)) {
          if (this.#tracker.handleDeletion(k, s)) q.enqueue(k);
          else echo(k);
        }
      },
    }));
    this.#unsubscribe.push(this.#nodes.addEventHandler({
      onAdd: (n, initial) => {
        if (!initial) this.#enqueueForNode(n);
      },
      onUpdate: (old, n) => {
        if (old.metadata.labels?.[zoneLabel] !== n.metadata.labels?.[zoneLabel]) this.#enqueueForNode(n);
      },
      onDelete: (n) => this.#enqueueForNode(n),
    }));
  }

  #enqueueForPod(p: Pod): void {
    for (const svc of this.#services.cache.byIndex('namespace', p.metadata.namespace ?? '')) {
      if (serviceSelectsPod(svc, p)) this.controller.enqueue(svc);
    }
  }

  #enqueueForNode(n: Node): void {
    for (const p of this.#pods.cache.byIndex(podNodeIndex, n.metadata.name ?? '')) this.#enqueueForPod(p);
  }

  /** Runs the workers (after the caches sync) until `stop()`. */
  run(): Promise<void> {
    return this.controller.run();
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    await this.controller.stop();
  }

  /** Whether every cache the controller reads has synced. */
  hasSynced(): boolean {
    return this.#services.hasSynced() && this.#pods.hasSynced() && this.#slices.hasSynced() && this.#nodes.hasSynced();
  }

  /** Resolves once every cache the controller reads has synced. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.#services, this.#pods, this.#slices, this.#nodes].map((i) => i.waitForSync(signal)));
  }

  /** One sync of a Service key (`namespace/name`). */
  async sync(key: string): Promise<ReconcileResult | void> {
    this.stats.syncs++;
    const { namespace } = splitKey(key);
    const slices = this.#slices.cache.byIndex(sliceServiceIndex, key).filter((s) => s.metadata.deletionTimestamp === undefined);
    const svc = this.#services.cache.getByKey(key);
    if (svc === undefined) return this.#serviceGone(key, slices);
    if (!managesService(svc)) return;
    if (this.#tracker.stale(key, slices)) {
      // Synced again as soon as the echo of our write arrives; the delay is only a fallback.
      this.stats.staleCache++;
      this.#waitingForCache.add(key);
      return { requeueAfterMs: this.#retry.next(key) };
    }
    this.#waitingForCache.delete(key);
    const pods = this.#pods.cache.byIndex('namespace', namespace);
    const triggerTime = this.#triggers.compute(key, svc, pods.filter((p) => serviceSelectsPod(svc, p)));
    const plan = reconcileEndpointSlices({
      service: svc, pods, slices,
      nodes: (name) => this.#nodes.cache.get('', name),
      ...(this.#max !== undefined ? { maxEndpointsPerSlice: this.#max } : {}),
      ...(triggerTime !== undefined ? { triggerTime } : {}),
    });
    try {
      await this.#apply(key, plan);
    } catch (err) {
      if (isConflict(err) || isNotFound(err) || isAlreadyExists(err)) {
        this.stats.conflicts++;
        return { requeueAfterMs: this.#retry.next(key) };
      }
      this.stats.errors++;
      throw err;
    }
    this.#retry.forget(key);
  }

  /**
   * Prometheus text with upstream's metric names (`endpoint_slice_controller_changes`,
   * `endpoint_slice_controller_syncs`), for the component that serves metrics.
   */
  metricsText(): string {
    const st = this.stats;
    const success = st.syncs - st.staleCache - st.conflicts - st.errors;
    return [
      '# HELP endpoint_slice_controller_changes Number of EndpointSlice changes',
      '# TYPE endpoint_slice_controller_changes counter',
      `endpoint_slice_controller_changes{operation="create"} ${st.creates}`,
      `endpoint_slice_controller_changes{operation="update"} ${st.updates}`,
      `endpoint_slice_controller_changes{operation="delete"} ${st.deletes}`,
      '# HELP endpoint_slice_controller_syncs Number of EndpointSlice syncs',
      '# TYPE endpoint_slice_controller_syncs counter',
      `endpoint_slice_controller_syncs{result="success"} ${success}`,
      `endpoint_slice_controller_syncs{result="stale"} ${st.staleCache + st.conflicts}`,
      `endpoint_slice_controller_syncs{result="error"} ${st.errors}`,
      '',
    ].join('\n');
  }

  /**
   * The Service is gone: its slices go too. Upstream leaves this to the garbage collector through
   * the owner reference; deleting here as well keeps Switchboard correct with or without one.
   */
  async #serviceGone(key: string, slices: readonly EndpointSlice[]): Promise<void> {
    this.#triggers.delete(key);
    for (const s of slices) {
      try {
        await this.#api.delete(s.metadata.namespace ?? '', s.metadata.name ?? '', s.metadata.uid !== undefined ? { preconditions: { uid: s.metadata.uid } } : {});
        this.stats.deletes++;
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    this.#tracker.deleteService(key);
  }

  async #apply(key: string, plan: SlicePlan): Promise<void> {
    for (const s of plan.create) {
      try {
        const created = await this.#api.create(s.metadata.namespace ?? '', s);
        this.#tracker.update(key, created);
        this.stats.creates++;
      } catch (err) {
        // A namespace being deleted refuses new objects: nothing to do (as upstream).
        if (err instanceof StatusError && err.status.code === 403) {
          this.#log('info', `endpointslice: ${key}: ${err.message}`);
          return;
        }
        throw err;
      }
    }
    for (const s of plan.update) {
      const updated = await this.#api.update(s);
      this.#tracker.update(key, updated);
      this.stats.updates++;
    }
    for (const s of plan.delete) {
      try {
        await this.#api.delete(s.metadata.namespace ?? '', s.metadata.name ?? '');
        this.stats.deletes++;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.#tracker.expectDeletion(key, s);
    }
  }
}
