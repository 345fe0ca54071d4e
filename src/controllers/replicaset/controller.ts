// The ReplicaSet controller (pkg/controller/replicaset): keeps `spec.replicas` active pods that match
// the selector — adopting orphans, releasing strays, creating from the template in slow-start
// batches, deleting the lowest-ranked extras — and reports status. Expectations keep it from acting
// again before its own creations and deletions show up in the pod informer. Thin shell over
// reconcile.ts.
import type { Pod, ReplicaSet } from '../../api/types.ts';
import { Controller, builtin, isNotFound, realClock, splitKey, keyOf, type Clock, type Informer, type LogFn } from '../../client/index.ts';
import type { EventRecorder } from '../events.ts';
import { claimObjects } from '../common/claim.ts';
import { Expectations } from '../common/expectations.ts';
import {
  controllerSelector, errorMessage, isNamespaceTerminating, matchingControllers, podsIn, resolveControllerRef, writeStatus,
  type ControllerDeps,
} from '../common/informers.ts';
import { controllerRefOf, isPodActive, isPodReady, isPodTerminating, newControllerRef, podFromTemplate, podKey } from '../common/pods.ts';
import { slowStartBatch, slowStartInitialBatchSize } from '../common/slowstart.ts';
import { semanticEqual } from '../common/semantic.ts';
import { availabilityRecheckMs, calculateStatus, replicaAction, statusUpdate } from './reconcile.ts';

export const replicaSetComponent = 'replicaset-controller';

const podsRef = builtin('pods');
const rsRef = builtin('replicasets', 'apps');

/** Keeps the pods of every ReplicaSet in line with its spec. */
export class ReplicaSetController {
  readonly controller: Controller;
  readonly expectations: Expectations;
  readonly rsInformer: Informer<ReplicaSet>;
  readonly podInformer: Informer<Pod>;
  readonly #deps: ControllerDeps;
  readonly #clock: Clock;
  readonly #log: LogFn;
  readonly #events: EventRecorder;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? realClock;
    this.#log = deps.log ?? (() => undefined);
    this.#events = deps.recorder(replicaSetComponent);
    this.expectations = new Expectations(this.#clock);
    this.rsInformer = deps.factory.informerFor<ReplicaSet>(rsRef);
    this.podInformer = deps.factory.informerFor<Pod>(podsRef);
    this.controller = new Controller({
      name: replicaSetComponent, clock: this.#clock, log: this.#log, workers: deps.workers ?? 5,
      reconcile: (key) => this.sync(key),
      waitFor: [this.rsInformer, this.podInformer],
    });
    const q = this.controller;
    this.#unsubscribe.push(this.rsInformer.addEventHandler({
      onAdd: (rs) => q.enqueue(rs),
      onUpdate: (_old, rs) => q.enqueue(rs),
      onDelete: (rs) => {
        this.expectations.delete(keyOf(rs));
        q.enqueue(rs);
      },
    }));
    this.#unsubscribe.push(this.podInformer.addEventHandler({
      onAdd: (pod) => this.#podAdded(pod),
      onUpdate: (old, pod) => this.#podUpdated(old, pod),
      onDelete: (pod) => this.#podDeleted(pod),
    }));
  }

  run(): Promise<void> {
    return this.controller.run();
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    await this.controller.stop();
  }

  // ---- event handlers (addPod, updatePod, deletePod) ----

  #owner(pod: Pod): ReplicaSet | undefined {
    return resolveControllerRef(this.rsInformer, pod.metadata.namespace ?? '', pod, 'ReplicaSet');
  }

  #podAdded(pod: Pod): void {
    if (isPodTerminating(pod)) {
      // A pod that shows up already being deleted (after a restart) counts as a deletion.
      this.#podDeleted(pod);
      return;
    }
    if (controllerRefOf(pod) !== undefined) {
      const rs = this.#owner(pod);
      if (rs === undefined) return;
      this.expectations.creationObserved(keyOf(rs));
      this.controller.enqueue(rs);
      return;
    }
    // An orphan: whoever matches may adopt it.
    for (const rs of matchingControllers(this.rsInformer, pod)) this.controller.enqueue(rs);
  }

  #podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const labelsChanged = !semanticEqual(old.metadata.labels, pod.metadata.labels);
    if (isPodTerminating(pod)) {
      // Graceful deletion: replace the pod now rather than when the node agent finishes.
      this.#podDeleted(pod);
      if (labelsChanged) this.#podDeleted(old);
      return;
    }
    const oldRef = controllerRefOf(old);
    const curRef = controllerRefOf(pod);
    const refChanged = !semanticEqual(oldRef, curRef);
    if (refChanged && oldRef !== undefined) {
      const prev = this.#owner(old);
      if (prev !== undefined) this.controller.enqueue(prev);
    }
    if (curRef !== undefined) {
      const rs = this.#owner(pod);
      if (rs === undefined) return;
      this.controller.enqueue(rs);
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(pod) && minReady > 0) this.controller.enqueueAfter(rs, minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of matchingControllers(this.rsInformer, pod)) this.controller.enqueue(rs);
  }

  #podDeleted(pod: Pod): void {
    const rs = this.#owner(pod);
    if (rs === undefined) return;
    const key = keyOf(rs);
    this.expectations.deletionObserved(key, podKey(pod));
    this.controller.enqueue(key);
  }

  // ---- sync ----

  /** syncReplicaSet: one pass for one `namespace/name`. */
  async sync(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const { namespace, name } = splitKey(key);
    const rs = this.rsInformer.cache.get(namespace, name);
    if (rs === undefined) {
      this.expectations.delete(key);
      return undefined;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = controllerSelector(rs.spec?.selector);
    if (selector === undefined) {
      this.#log('warn', `${replicaSetComponent}: ${key}: invalid or empty selector; skipping`);
      return undefined;
    }
    const active = podsIn(this.podInformer, namespace).filter(isPodActive);
    const owned = await claimObjects(active, (p) => selector.matches(p.metadata.labels), {
      client: this.#deps.client, resource: podsRef, controller: rs, controllerResource: rsRef,
      controllerApiVersion: 'apps/v1', controllerKind: 'ReplicaSet',
    });
    let manageError: Error | undefined;
    if (needsSync && rs.metadata.deletionTimestamp === undefined) {
      try {
        await this.#manageReplicas(key, rs, owned);
      } catch (err) {
        manageError = err instanceof Error ? err : new Error(String(err));
      }
    }
    const status = calculateStatus(rs, owned, manageError, this.#clock.now());
    const next = statusUpdate(rs, status);
    if (next !== undefined) {
      try {
        await writeStatus(this.#deps.client.resource<ReplicaSet>(rsRef), rs, next);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (manageError !== undefined) throw manageError;
    const recheck = availabilityRecheckMs(rs, status);
    return recheck === undefined ? undefined : { requeueAfterMs: recheck };
  }

  /** Pods of every ReplicaSet that shares this one's owner (for the deletion rank). */
  #relatedPods(rs: ReplicaSet): Pod[] {
    const ns = rs.metadata.namespace ?? '';
    const ownerUID = controllerRefOf(rs)?.uid;
    const uids = new Set<string>([rs.metadata.uid ?? '']);
    if (ownerUID !== undefined) {
      for (const other of this.rsInformer.cache.byIndex('namespace', ns)) if (controllerRefOf(other)?.uid === ownerUID) uids.add(other.metadata.uid ?? '');
    }
    return podsIn(this.podInformer, ns).filter((p) => uids.has(controllerRefOf(p)?.uid ?? ''));
  }

  async #manageReplicas(key: string, rs: ReplicaSet, owned: Pod[]): Promise<void> {
    const action = replicaAction(rs, owned, this.#relatedPods(rs), this.#clock.now());
    const pods = this.#deps.client.resource<Pod>(podsRef);
    const ns = rs.metadata.namespace ?? '';
    if (action.kind === 'create') {
      this.expectations.expectCreations(key, action.count);
      const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
      const { successes, error } = await slowStartBatch(action.count, slowStartInitialBatchSize, async () => {
        try {
          const created = await pods.create(ns, podFromTemplate(rs.spec?.template, rs.metadata.name ?? '', ref));
          this.#events.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name ?? ''}`);
        } catch (err) {
          if (isNamespaceTerminating(err)) return;
          this.#events.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
          throw err;
        }
      });
      // Creations that failed or were never attempted will not be observed.
      for (let i = successes; i < action.count; i++) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
    } else if (action.kind === 'delete') {
      this.expectations.expectDeletions(key, action.pods.map(podKey));
      const results = await Promise.allSettled(action.pods.map(async (p) => {
        try {
          await pods.delete(ns, p.metadata.name ?? '');
          this.#events.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name ?? ''}`);
        } catch (err) {
          // The deletion will not be observed: stop waiting for it.
          this.expectations.deletionObserved(key, podKey(p));
          if (isNotFound(err)) return;
          this.#events.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
          throw err;
        }
      }));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    }
  }
}
