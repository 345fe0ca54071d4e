// The legacy Endpoints controller's shell: Service and Pod informers (and Endpoints, to recreate a
// deleted object) feed a work queue of Service keys; each sync computes the Endpoints object with
// the pure reconciler and writes it only when it changed. A deleted Service's Endpoints are deleted
// (Endpoints carry no owner reference). Level-triggered: a restart converges.
import type { Endpoints, Pod, Service } from '../../api/types.ts';
import {
  builtin, Controller, isAlreadyExists, isConflict, isNotFound, splitKey,
  type ApiClient, type Clock, type Informer, type InformerFactory, type LogFn, type ReconcileResult, type ResourceClient,
} from '../../client/index.ts';
import { StatusError } from '../../machinery/status.ts';
import { managesService, serviceSelectsPod } from '../endpointslice/pods.ts';
import { QuietRetry } from '../endpointslice/tracker.ts';
import { TriggerTimeTracker } from '../endpointslice/triggertime.ts';
import { reconcileEndpoints } from './reconcile.ts';

export interface EndpointsControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: LogFn;
  /** Concurrent Service syncs (default 5, upstream `--concurrent-endpoint-syncs`). */
  workers?: number;
  /** Addresses per object before truncation (default 1000). */
  maxCapacity?: number;
  clock?: Clock;
}

export interface EndpointsStats {
  syncs: number;
  creates: number;
  updates: number;
  deletes: number;
  /** Writes that lost a race with a stale cache (409 / AlreadyExists) and were retried. */
  conflicts: number;
}

/** The fields of a Pod the Endpoints depend on. */
function podEndpointState(p: Pod): string {
  const st = p.status ?? {};
  return JSON.stringify([
    p.metadata.labels ?? {}, p.metadata.deletionTimestamp ?? '', p.metadata.uid ?? '', st.phase ?? '', st.podIP ?? '', st.podIPs ?? [],
    (st.conditions ?? []).find((c) => c.type === 'Ready')?.status ?? '', p.spec?.nodeName ?? '', p.spec?.hostname ?? '', p.spec?.subdomain ?? '',
    (p.spec?.containers ?? []).map((c) => c.ports ?? []), (p.spec?.initContainers ?? []).map((c) => [c.restartPolicy ?? '', c.ports ?? []]),
  ]);
}

/** Keeps each selector Service's Endpoints object in step with its Pods. */
export class EndpointsController {
  readonly controller: Controller;
  readonly stats: EndpointsStats = { syncs: 0, creates: 0, updates: 0, deletes: 0, conflicts: 0 };
  readonly #services: Informer<Service>;
  readonly #pods: Informer<Pod>;
  readonly #endpoints: Informer<Endpoints>;
  readonly #api: ResourceClient<Endpoints>;
  readonly #triggers = new TriggerTimeTracker();
  readonly #retry = new QuietRetry();
  readonly #maxCapacity: number | undefined;
  readonly #log: LogFn;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(opts: EndpointsControllerOptions) {
    this.#log = opts.log ?? (() => undefined);
    this.#maxCapacity = opts.maxCapacity;
    this.#api = opts.client.resource<Endpoints>(builtin('endpoints'));
    this.#services = opts.informers.informerFor<Service>(builtin('services'));
    this.#pods = opts.informers.informerFor<Pod>(builtin('pods'));
    this.#endpoints = opts.informers.informerFor<Endpoints>(builtin('endpoints'));
    this.controller = new Controller({
      name: 'endpoints',
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
      ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
      log: this.#log,
      waitFor: [this.#services, this.#pods, this.#endpoints],
    });
    const q = this.controller;
    this.#unsubscribe.push(this.#services.addEventHandler(q.handler<Service>()));
    this.#unsubscribe.push(this.#pods.addEventHandler({
      onAdd: (p) => this.#enqueueForPod(p),
      onUpdate: (old, p) => {
        if (old !== p && podEndpointState(old) === podEndpointState(p)) return;
        this.#enqueueForPod(p);
        if (old !== p) this.#enqueueForPod(old);
      },
      onDelete: (p) => this.#enqueueForPod(p),
    }));
    // As upstream: a deleted Endpoints object needs a sync (to recreate it), and every object is
    // checked once at start-up (checkLeftoverEndpoints: those of deleted Services go).
    this.#unsubscribe.push(this.#endpoints.addEventHandler({
      onAdd: (e, initial) => {
        if (initial) q.enqueue(e);
      },
      onDelete: (e) => q.enqueue(e),
    }));
  }

  #enqueueForPod(p: Pod): void {
    for (const svc of this.#services.cache.byIndex('namespace', p.metadata.namespace ?? '')) {
      if (serviceSelectsPod(svc, p)) this.controller.enqueue(svc);
    }
  }

  run(): Promise<void> {
    return this.controller.run();
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    await this.controller.stop();
  }

  hasSynced(): boolean {
    return this.#services.hasSynced() && this.#pods.hasSynced() && this.#endpoints.hasSynced();
  }

  /** Resolves once every cache the controller reads has synced. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.#services, this.#pods, this.#endpoints].map((i) => i.waitForSync(signal)));
  }

  /** One sync of a Service key (`namespace/name`). */
  async sync(key: string): Promise<ReconcileResult | void> {
    this.stats.syncs++;
    const { namespace, name } = splitKey(key);
    const svc = this.#services.cache.getByKey(key);
    try {
      if (svc === undefined) {
        this.#triggers.delete(key);
        // Only objects we would have written: a selector-less Service's Endpoints are the user's,
        // but once the Service is gone upstream deletes the object whatever it holds.
        if (this.#endpoints.cache.getByKey(key) === undefined) return;
        try {
          await this.#api.delete(namespace, name);
          this.stats.deletes++;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        this.#retry.forget(key);
        return;
      }
      if (!managesService(svc)) return;
      const pods = this.#pods.cache.byIndex('namespace', namespace);
      const triggerTime = this.#triggers.compute(key, svc, pods.filter((p) => serviceSelectsPod(svc, p)));
      const plan = reconcileEndpoints({
        service: svc, pods, current: this.#endpoints.cache.getByKey(key),
        ...(triggerTime !== undefined ? { triggerTime } : {}),
        ...(this.#maxCapacity !== undefined ? { maxCapacity: this.#maxCapacity } : {}),
      });
      if (plan.action === 'create') {
        try {
          await this.#api.create(namespace, plan.endpoints);
          this.stats.creates++;
        } catch (err) {
          if (err instanceof StatusError && err.status.code === 403) {
            // The namespace is being deleted: nothing to do (as upstream).
            this.#log('info', `endpoints: ${key}: ${err.message}`);
            return;
          }
          throw err;
        }
      } else if (plan.action === 'update') {
        await this.#api.update(plan.endpoints);
        this.stats.updates++;
      }
      this.#retry.forget(key);
    } catch (err) {
      // The cache had not caught up with a write (ours or another's): retry soon, quietly.
      if (isConflict(err) || isAlreadyExists(err) || isNotFound(err)) {
        this.stats.conflicts++;
        return { requeueAfterMs: this.#retry.next(key) };
      }
      throw err;
    }
  }
}
