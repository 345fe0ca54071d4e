// The scheduler: binds pods that have no node and ask for `default-scheduler` to the least loaded
// node that fits (fit.ts), through the pods/binding subresource, and records `Scheduled`. A pod that
// fits nowhere gets a `FailedScheduling` event and the PodScheduled=False condition, and is retried
// when nodes change or pods go away (and every 5 minutes, as kube-scheduler's unschedulable queue).
// Bindings in flight count towards a node's load until the informer shows them ("assumed" pods,
// recorded before the binding request so concurrent workers see them).
import type { Node, Pod } from '../../api/types.ts';
import { Controller, builtin, isConflict, isNotFound, keyOf, realClock, splitKey, type Clock, type Informer, type LogFn } from '../../client/index.ts';
import type { EventRecorder } from '../events.ts';
import type { ControllerDeps } from '../common/informers.ts';
import { rfc3339 } from '../common/pods.ts';
import { needsScheduling, schedule } from './fit.ts';

export const schedulerComponent = 'default-scheduler';

/** kube-scheduler's podMaxInUnschedulablePodsDuration. */
const unschedulableRetryMs = 5 * 60 * 1000;

const podsRef = builtin('pods');
const nodesRef = builtin('nodes');

export class Scheduler {
  readonly controller: Controller;
  readonly podInformer: Informer<Pod>;
  readonly nodeInformer: Informer<Node>;
  /** Pods bound by us that the informer does not show bound yet: pod key → node. */
  readonly assumed = new Map<string, string>();
  /** Pods that fit nowhere on the last try. */
  readonly unschedulable = new Set<string>();
  readonly #deps: ControllerDeps;
  readonly #clock: Clock;
  readonly #events: EventRecorder;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? realClock;
    const log: LogFn = deps.log ?? (() => undefined);
    this.#events = deps.recorder(schedulerComponent);
    this.podInformer = deps.factory.informerFor<Pod>(podsRef);
    this.nodeInformer = deps.factory.informerFor<Node>(nodesRef);
    this.controller = new Controller({
      name: schedulerComponent, clock: this.#clock, log, workers: deps.workers ?? 4,
      reconcile: (key) => this.scheduleOne(key),
      waitFor: [this.podInformer, this.nodeInformer],
    });
    this.#unsubscribe.push(this.podInformer.addEventHandler({
      onAdd: (pod) => this.#podSeen(pod),
      onUpdate: (_old, pod) => this.#podSeen(pod),
      onDelete: (pod) => {
        const key = keyOf(pod);
        this.assumed.delete(key);
        this.unschedulable.delete(key);
        // Room may have been freed.
        if ((pod.spec?.nodeName ?? '') !== '') this.#retryUnschedulable();
      },
    }));
    this.#unsubscribe.push(this.nodeInformer.addEventHandler({
      onAdd: () => this.#retryUnschedulable(),
      onUpdate: (old, node) => {
        if (old !== node) this.#retryUnschedulable();
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

  #podSeen(pod: Pod): void {
    const key = keyOf(pod);
    if ((pod.spec?.nodeName ?? '') !== '') {
      this.assumed.delete(key);
      this.unschedulable.delete(key);
      return;
    }
    if (needsScheduling(pod) && !this.unschedulable.has(key)) this.controller.enqueue(key);
  }

  #retryUnschedulable(): void {
    for (const key of this.unschedulable) this.controller.enqueue(key);
  }

  /** Non-terminal pods per node, counting bindings in flight. */
  podCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const p of this.podInformer.cache.list()) {
      const node = p.spec?.nodeName ?? '';
      const phase = p.status?.phase;
      if (node === '' || phase === 'Succeeded' || phase === 'Failed') continue;
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    for (const [key, node] of this.assumed) {
      const p = this.podInformer.cache.getByKey(key);
      if (p !== undefined && (p.spec?.nodeName ?? '') === '') counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    return counts;
  }

  /** Schedules the pod `namespace/name` if it still needs it. */
  async scheduleOne(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const pod = this.podInformer.cache.getByKey(key);
    if (pod === undefined || !needsScheduling(pod)) {
      this.unschedulable.delete(key);
      return undefined;
    }
    if (this.assumed.has(key)) return undefined;
    const { namespace, name } = splitKey(key);
    const result = schedule(pod, this.nodeInformer.cache.list(), this.podCounts());
    const client = this.#deps.client;
    if ('node' in result) {
      const binding = {
        apiVersion: 'v1', kind: 'Binding',
        metadata: { name, namespace, ...(pod.metadata.uid !== undefined ? { uid: pod.metadata.uid } : {}) },
        target: { apiVersion: 'v1', kind: 'Node', name: result.node },
      };
      // Assume before binding (no await in between), so concurrent workers count this pod.
      this.assumed.set(key, result.node);
      try {
        await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/binding`, binding);
      } catch (err) {
        this.assumed.delete(key);
        if (isNotFound(err) || isConflict(err)) return undefined;
        throw err;
      }
      this.unschedulable.delete(key);
      // The binding itself sets PodScheduled=True (server side, as upstream).
      this.#events.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${result.node}`);
      return undefined;
    }
    this.unschedulable.add(key);
    this.#events.event(pod, 'Warning', 'FailedScheduling', result.message);
    const cur = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (cur?.status !== 'False' || cur.message !== result.message) await this.#setScheduledCondition(namespace, name, 'False', 'Unschedulable', result.message);
    return { requeueAfterMs: unschedulableRetryMs };
  }

  /** PodScheduled, merged by type into the pod's conditions. */
  async #setScheduledCondition(namespace: string, name: string, status: 'True' | 'False', reason: string | undefined, message: string | undefined): Promise<void> {
    const cond: Record<string, unknown> = { type: 'PodScheduled', status, lastProbeTime: null, lastTransitionTime: rfc3339(this.#clock.now()) };
    if (reason !== undefined) cond['reason'] = reason;
    if (message !== undefined) cond['message'] = message;
    try {
      await this.#deps.client.resource<Pod>(podsRef).patchStatus(namespace, name, { status: { conditions: [cond] } }, 'strategic');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
