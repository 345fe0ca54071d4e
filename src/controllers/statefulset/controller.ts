// The StatefulSet controller (pkg/controller/statefulset): claims the pods a set selects and whose
// names say they belong to it, asks the planner (plan.ts) for one sync and applies its phases, then
// writes status. A deleted pod comes back under the same name because its ordinal is missing on the
// next sync. Thin shell.
import type { Pod, StatefulSet } from '../../api/types.ts';
import { Controller, builtin, isAlreadyExists, isNotFound, realClock, splitKey, type Clock, type Informer, type LogFn } from '../../client/index.ts';
import type { EventRecorder } from '../events.ts';
import { claimObjects } from '../common/claim.ts';
import {
  controllerSelector, errorMessage, isNamespaceTerminating, matchingControllers, podsIn, resolveControllerRef, writeStatus,
  type ControllerDeps,
} from '../common/informers.ts';
import { controllerRefOf } from '../common/pods.ts';
import { semanticEqual } from '../common/semantic.ts';
import { slowStartBatch } from '../common/slowstart.ts';
import { isMemberOf } from './identity.ts';
import { planStatefulSet, statusChanged, type StatefulSetAction } from './plan.ts';

export const statefulSetComponent = 'statefulset-controller';

const stsRef = builtin('statefulsets', 'apps');
const podsRef = builtin('pods');

/** Keeps `<name>-0..N-1` in order for every StatefulSet. */
export class StatefulSetController {
  readonly controller: Controller;
  readonly setInformer: Informer<StatefulSet>;
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
    this.#events = deps.recorder(statefulSetComponent);
    this.setInformer = deps.factory.informerFor<StatefulSet>(stsRef);
    this.podInformer = deps.factory.informerFor<Pod>(podsRef);
    this.controller = new Controller({
      name: statefulSetComponent, clock: this.#clock, log: this.#log, workers: deps.workers ?? 5,
      reconcile: (key) => this.sync(key),
      waitFor: [this.setInformer, this.podInformer],
    });
    this.#unsubscribe.push(this.setInformer.addEventHandler(this.controller.handler()));
    this.#unsubscribe.push(this.podInformer.addEventHandler({
      onAdd: (pod) => this.#podChanged(undefined, pod),
      onUpdate: (old, pod) => this.#podChanged(old, pod),
      onDelete: (pod) => {
        const set = this.#owner(pod);
        if (set !== undefined) this.controller.enqueue(set);
      },
    }));
  }

  run(): Promise<void> {
    return this.controller.run();
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    await this.controller.stop();
  }

  #owner(pod: Pod): StatefulSet | undefined {
    return resolveControllerRef(this.setInformer, pod.metadata.namespace ?? '', pod, 'StatefulSet');
  }

  #podChanged(old: Pod | undefined, pod: Pod): void {
    if (old !== undefined && old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const q = this.controller;
    const oldRef = old === undefined ? undefined : controllerRefOf(old);
    const curRef = controllerRefOf(pod);
    const refChanged = old !== undefined && !semanticEqual(oldRef, curRef);
    if (old !== undefined && refChanged && oldRef !== undefined) {
      const prev = this.#owner(old);
      if (prev !== undefined) q.enqueue(prev);
    }
    if (curRef !== undefined) {
      const set = this.#owner(pod);
      if (set !== undefined) q.enqueue(set);
      return;
    }
    const labelsChanged = old === undefined || !semanticEqual(old.metadata.labels, pod.metadata.labels);
    if (labelsChanged || refChanged) for (const set of matchingControllers(this.setInformer, pod)) q.enqueue(set);
  }

  /** syncStatefulSet for one `namespace/name`. */
  async sync(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const { namespace, name } = splitKey(key);
    const set = this.setInformer.cache.get(namespace, name);
    if (set === undefined) return undefined;
    const selector = controllerSelector(set.spec?.selector);
    if (selector === undefined) {
      this.#log('warn', `${statefulSetComponent}: ${key}: invalid or empty selector; skipping`);
      return undefined;
    }
    const owned = await claimObjects(podsIn(this.podInformer, namespace), (p) => selector.matches(p.metadata.labels) && isMemberOf(set, p), {
      client: this.#deps.client, resource: podsRef, controller: set, controllerResource: stsRef,
      controllerApiVersion: 'apps/v1', controllerKind: 'StatefulSet',
    });
    const plan = planStatefulSet(set, owned, this.#clock.now());
    let failure: unknown;
    for (const phase of plan.phases) {
      const { error } = await slowStartBatch(phase.length, 1, (i) => {
        const a = phase[i];
        return a === undefined ? Promise.resolve() : this.#act(set, a);
      });
      if (error !== undefined) {
        failure = error;
        break;
      }
    }
    if (statusChanged(set, plan.status)) {
      try {
        await writeStatus(this.#deps.client.resource<StatefulSet>(stsRef), set, plan.status);
      } catch (err) {
        if (!isNotFound(err)) failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (plan.status.readyReplicas ?? 0) !== (plan.status.availableReplicas ?? 0)) return { requeueAfterMs: minReady * 1000 };
    return undefined;
  }

  async #act(set: StatefulSet, a: StatefulSetAction): Promise<void> {
    const pods = this.#deps.client.resource<Pod>(podsRef);
    const ns = set.metadata.namespace ?? '';
    const podName = a.pod.metadata.name ?? '';
    const setName = set.metadata.name ?? '';
    const verb = a.kind === 'create' ? 'Create' : a.kind === 'delete' ? 'Delete' : 'Update';
    try {
      if (a.kind === 'create') await pods.create(ns, a.pod);
      else if (a.kind === 'delete') await pods.delete(ns, podName);
      else await pods.update(a.pod);
      this.#events.event(set, 'Normal', `Successful${verb}`, `${verb.toLowerCase()} Pod ${podName} in StatefulSet ${setName} successful`);
    } catch (err) {
      // The informer has not shown our own creation yet, or the pod is already gone: the next sync sees it.
      if ((a.kind === 'create' && isAlreadyExists(err)) || (a.kind !== 'create' && isNotFound(err)) || isNamespaceTerminating(err)) return;
      this.#events.event(set, 'Warning', `Failed${verb}`, `${verb.toLowerCase()} Pod ${podName} in StatefulSet ${setName} failed error: ${errorMessage(err)}`);
      throw err;
    }
  }
}
