// The Deployment controller (pkg/controller/deployment): claims the ReplicaSets a Deployment
// selects, asks the planner (sync.ts) for one sync's writes and applies them in order — creating
// `<name>-<pod-template-hash>`, scaling through rolling updates or Recreate, cleaning up history,
// setting the revision annotation and status — stopping at the first failure so the next sync
// starts from what really happened. Thin shell.
import type { Deployment, DeploymentStatus, Pod, ReplicaSet } from '../../api/types.ts';
import {
  Controller, builtin, isAlreadyExists, isNotFound, realClock, splitKey, type Clock, type Informer, type LogFn,
} from '../../client/index.ts';
import type { EventRecorder } from '../events.ts';
import { claimObjects } from '../common/claim.ts';
import {
  controllerSelector, errorMessage, matchingControllers, podsIn, resolveControllerRef, writeStatus, type ControllerDeps,
} from '../common/informers.ts';
import { controllerRefOf } from '../common/pods.ts';
import { semanticEqual } from '../common/semantic.ts';
import { planDeployment, type DeploymentPlan } from './sync.ts';
import { equalIgnoreHash, hasProgressDeadline, newCondition, reasons, revisionAnnotation, setCondition } from './util.ts';

export const deploymentComponent = 'deployment-controller';

const deployRef = builtin('deployments', 'apps');
const rsRef = builtin('replicasets', 'apps');
const podsRef = builtin('pods');

/** Rolls Deployments out through their ReplicaSets. */
export class DeploymentController {
  readonly controller: Controller;
  readonly deployInformer: Informer<Deployment>;
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
    this.#events = deps.recorder(deploymentComponent);
    this.deployInformer = deps.factory.informerFor<Deployment>(deployRef);
    this.rsInformer = deps.factory.informerFor<ReplicaSet>(rsRef);
    this.podInformer = deps.factory.informerFor<Pod>(podsRef);
    this.controller = new Controller({
      name: deploymentComponent, clock: this.#clock, log: this.#log, workers: deps.workers ?? 5,
      reconcile: (key) => this.sync(key),
      waitFor: [this.deployInformer, this.rsInformer, this.podInformer],
    });
    const q = this.controller;
    this.#unsubscribe.push(this.deployInformer.addEventHandler(q.handler()));
    this.#unsubscribe.push(this.rsInformer.addEventHandler({
      onAdd: (rs) => this.#rsChanged(undefined, rs),
      onUpdate: (old, rs) => this.#rsChanged(old, rs),
      onDelete: (rs) => {
        const d = this.#owner(rs);
        if (d !== undefined) q.enqueue(d);
      },
    }));
    this.#unsubscribe.push(this.podInformer.addEventHandler({
      onDelete: (pod) => {
        // Recreate waits for every old pod to be gone.
        const rs = resolveControllerRef(this.rsInformer, pod.metadata.namespace ?? '', pod, 'ReplicaSet');
        const d = rs === undefined ? undefined : this.#owner(rs);
        if (d !== undefined && d.spec?.strategy?.type === 'Recreate') q.enqueue(d);
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

  #owner(rs: ReplicaSet): Deployment | undefined {
    return resolveControllerRef(this.deployInformer, rs.metadata.namespace ?? '', rs, 'Deployment');
  }

  /** addReplicaSet / updateReplicaSet: wake the owner, or every Deployment that could adopt an orphan. */
  #rsChanged(old: ReplicaSet | undefined, rs: ReplicaSet): void {
    if (old !== undefined && old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
    const q = this.controller;
    const oldRef = old === undefined ? undefined : controllerRefOf(old);
    const curRef = controllerRefOf(rs);
    const refChanged = old !== undefined && !semanticEqual(oldRef, curRef);
    if (old !== undefined && refChanged && oldRef !== undefined) {
      const prev = this.#owner(old);
      if (prev !== undefined) q.enqueue(prev);
    }
    if (curRef !== undefined) {
      const d = this.#owner(rs);
      if (d !== undefined) q.enqueue(d);
      return;
    }
    const labelsChanged = old === undefined || !semanticEqual(old.metadata.labels, rs.metadata.labels);
    if (labelsChanged || refChanged) for (const d of matchingControllers(this.deployInformer, rs)) q.enqueue(d);
  }

  /** syncDeployment for one `namespace/name`. */
  async sync(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const { namespace, name } = splitKey(key);
    const d = this.deployInformer.cache.get(namespace, name);
    if (d === undefined) return undefined;
    const sel = d.spec?.selector;
    const selectsAll = sel !== undefined && sel !== null && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
    const selector = controllerSelector(sel);
    if (selector === undefined && !selectsAll) {
      this.#log('warn', `${deploymentComponent}: ${key}: invalid selector; skipping`);
      return undefined;
    }
    let owned: ReplicaSet[] = [];
    const podsByReplicaSet = new Map<string, Pod[]>();
    if (selector !== undefined) {
      owned = await claimObjects(this.rsInformer.cache.byIndex('namespace', namespace), (rs) => selector.matches(rs.metadata.labels), {
        client: this.#deps.client, resource: rsRef, controller: d, controllerResource: deployRef,
        controllerApiVersion: 'apps/v1', controllerKind: 'Deployment',
      });
      const uids = new Set(owned.map((rs) => rs.metadata.uid ?? ''));
      for (const uid of uids) podsByReplicaSet.set(uid, []);
      for (const p of podsIn(this.podInformer, namespace)) {
        if (!selector.matches(p.metadata.labels)) continue;
        const ref = controllerRefOf(p);
        if (ref !== undefined && uids.has(ref.uid)) podsByReplicaSet.get(ref.uid)?.push(p);
      }
    }
    const plan = planDeployment({ deployment: d, replicaSets: owned, podsByReplicaSet, now: this.#clock.now() });
    await this.#apply(d, plan);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }

  async #apply(d: Deployment, plan: DeploymentPlan): Promise<void> {
    const client = this.#deps.client;
    const rsClient = client.resource<ReplicaSet>(rsRef);
    const dClient = client.resource<Deployment>(deployRef);
    const ns = d.metadata.namespace ?? '';
    const rv = new Map<string, string>();
    let latest = d;
    for (const a of plan.actions) {
      switch (a.kind) {
        case 'createReplicaSet': {
          const name = a.rs.metadata.name ?? '';
          try {
            const created = await rsClient.create(ns, a.rs);
            rv.set(name, created.metadata.resourceVersion ?? '');
          } catch (err) {
            if (isAlreadyExists(err)) {
              const existing = await rsClient.get(ns, name);
              if (controllerRefOf(existing)?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, existing.spec?.template)) {
                rv.set(name, existing.metadata.resourceVersion ?? '');
                break;
              }
              // A hash collision: another object holds the name. Hash again with a higher count.
              const status: DeploymentStatus = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
              await writeStatus(dClient, latest, status);
              throw err;
            }
            const msg = `Failed to create new replica set "${name}": ${errorMessage(err)}`;
            if (hasProgressDeadline(d)) {
              const status: DeploymentStatus = structuredClone(d.status ?? {});
              setCondition(status, newCondition('Progressing', 'False', reasons.failedRSCreate, msg, this.#clock.now()));
              await writeStatus(dClient, latest, status).catch(() => undefined);
            }
            this.#events.event(d, 'Warning', 'FailedCreate', msg);
            throw err;
          }
          break;
        }
        case 'updateReplicaSet': {
          const name = a.rs.metadata.name ?? '';
          const obj = structuredClone(a.rs);
          const known = rv.get(name);
          if (known !== undefined) obj.metadata.resourceVersion = known;
          const updated = await rsClient.update(obj);
          rv.set(name, updated.metadata.resourceVersion ?? '');
          break;
        }
        case 'deleteReplicaSet':
          try {
            await rsClient.delete(ns, a.rs.metadata.name ?? '');
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
          break;
        case 'setRevision':
          latest = await dClient.patch(ns, d.metadata.name ?? '', { metadata: { annotations: { [revisionAnnotation]: a.revision } } }, 'merge');
          break;
        case 'event':
          this.#events.event(d, a.type, a.reason, a.message);
          break;
      }
    }
    if (plan.status !== undefined) {
      try {
        await writeStatus(dClient, latest, plan.status);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
