// One sync of a StatefulSet, as stateful_set_control.go's updateStatefulSet: create missing
// ordinals, replace failed pods, fix identities, remove ordinals beyond the range from the highest
// down, then roll pods to the new revision from the highest ordinal down to the partition.
// OrderedReady ("monotonic") stops at the first pod that is not yet Running and Ready; Parallel
// acts on every pod at once. The result is a list of phases: the actions inside a phase may run
// concurrently, phases run in order, and a failure stops the rest. Pure.
import type { Pod, StatefulSet, StatefulSetStatus } from '../../api/types.ts';
import {
  endOrdinal, identityMatches, isHealthy, isRunningAndAvailable, isRunningAndReady, isTerminating, newStatefulSetPod, ordinalOf,
  podRevision, revisionName, startOrdinal, updateIdentity,
} from './identity.ts';

export type StatefulSetAction =
  | { kind: 'create'; pod: Pod }
  | { kind: 'delete'; pod: Pod }
  /** Put back the identity (name labels) of an existing pod. */
  | { kind: 'update'; pod: Pod };

export interface StatefulSetPlan {
  phases: StatefulSetAction[][];
  status: StatefulSetStatus;
}

interface Slot {
  pod: Pod;
  /** False for a pod this plan is about to create. */
  created: boolean;
}

/** True when the status differs where upstream's inconsistentStatus looks. */
export function statusChanged(set: StatefulSet, s: StatefulSetStatus): boolean {
  const c = set.status ?? {};
  return (s.observedGeneration ?? 0) > (c.observedGeneration ?? 0) ||
    (s.replicas ?? 0) !== (c.replicas ?? 0) ||
    (s.currentReplicas ?? 0) !== (c.currentReplicas ?? 0) ||
    (s.readyReplicas ?? 0) !== (c.readyReplicas ?? 0) ||
    (s.updatedReplicas ?? 0) !== (c.updatedReplicas ?? 0) ||
    (s.currentRevision ?? '') !== (c.currentRevision ?? '') ||
    (s.availableReplicas ?? 0) !== (c.availableReplicas ?? 0) ||
    (s.updateRevision ?? '') !== (c.updateRevision ?? '');
}

/** Plans one sync of `set` over the pods it owns. */
export function planStatefulSet(set: StatefulSet, pods: readonly Pod[], now: number): StatefulSetPlan {
  const replicaCount = set.spec?.replicas ?? 1;
  const start = startOrdinal(set);
  const end = endOrdinal(set);
  const minReady = set.spec?.minReadySeconds ?? 0;
  const updateRevision = revisionName(set);
  const currentRevision = set.status?.currentRevision !== undefined && set.status.currentRevision !== '' ? set.status.currentRevision : updateRevision;
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation ?? 0,
    currentRevision,
    updateRevision,
    collisionCount: set.status?.collisionCount ?? 0,
    availableReplicas: 0,
  };

  const replicas: (Slot | undefined)[] = Array.from({ length: Math.max(0, replicaCount) }, () => undefined);
  const condemned: Pod[] = [];
  for (const pod of pods) {
    const ord = ordinalOf(pod);
    if (ord >= start && ord <= end) replicas[ord - start] = { pod, created: true };
    else if (ord >= 0) condemned.push(pod);
  }
  const slots: Slot[] = replicas.map((s, i) => s ?? { pod: newStatefulSetPod(set, start + i, updateRevision), created: false });
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));

  let firstUnhealthy: Pod | undefined;
  for (const s of slots) if (firstUnhealthy === undefined && !(s.created && isHealthy(s.pod))) firstUnhealthy = s.pod;
  for (let i = condemned.length - 1; i >= 0 && firstUnhealthy === undefined; i--) {
    const p = condemned[i];
    if (p !== undefined && !isHealthy(p)) firstUnhealthy = p;
  }

  const finish = (phases: StatefulSetAction[][]): StatefulSetPlan => {
    countStatus(status, minReady, now, [...slots.filter((s) => s.created).map((s) => s.pod), ...condemned]);
    completeRollingUpdate(set, status);
    return { phases: phases.filter((p) => p.length > 0), status };
  };
  if (set.metadata.deletionTimestamp !== undefined) return finish([]);

  const monotonic = (set.spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
  const phases: StatefulSetAction[][] = [];
  const burst: StatefulSetAction[] = [];
  const act = (a: StatefulSetAction): void => {
    if (monotonic) phases.push([a]);
    else burst.push(a);
  };

  // Every wanted ordinal: replace finished pods, create missing ones, wait for readiness in order.
  for (const s of slots) {
    const pod = s.pod;
    const phase = pod.status?.phase;
    if (s.created && (phase === 'Failed' || phase === 'Succeeded')) {
      if (!isTerminating(pod)) act({ kind: 'delete', pod });
      if (monotonic) return finish(phases);
      continue;
    }
    if (!s.created) {
      act({ kind: 'create', pod });
      if (monotonic) return finish(phases);
      continue;
    }
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return finish(phases);
    if (!identityMatches(set, pod)) {
      const fixed = structuredClone(pod);
      updateIdentity(set, fixed);
      act({ kind: 'update', pod: fixed });
    }
  }
  if (!monotonic) phases.push(burst.splice(0));

  // Ordinals beyond the range, highest first; OrderedReady waits for each to be gone.
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return finish(phases);
      continue;
    }
    if (monotonic && pod !== firstUnhealthy && (!isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return finish(phases);
    act({ kind: 'delete', pod });
    if (monotonic) return finish(phases);
  }
  if (!monotonic) phases.push(burst.splice(0));

  const plan = finish(phases);
  if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'OnDelete') return plan;

  // Rolling update: replace the highest ordinal that is not at the update revision, one at a time.
  const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let target = slots.length - 1; target >= partition; target--) {
    const s = slots[target];
    if (s === undefined) continue;
    if (s.created && podRevision(s.pod) !== updateRevision && !isTerminating(s.pod)) {
      plan.phases.push([{ kind: 'delete', pod: s.pod }]);
      plan.status.currentReplicas = (plan.status.currentReplicas ?? 0) - 1;
      return plan;
    }
    if (!(s.created && isHealthy(s.pod))) return plan;
  }
  return plan;
}

/** computeReplicaStatus over the pods that exist. Mutates `status`. */
function countStatus(status: StatefulSetStatus, minReady: number, now: number, pods: readonly Pod[]): void {
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let current = 0;
  let updated = 0;
  for (const p of pods) {
    replicas++;
    if (isRunningAndReady(p)) {
      ready++;
      if (isRunningAndAvailable(p, minReady, now)) available++;
    }
    if (!isTerminating(p)) {
      const rev = podRevision(p);
      if (rev === status.currentRevision) current++;
      if (rev === status.updateRevision) updated++;
    }
  }
  status.replicas = replicas;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  status.currentReplicas = current;
  status.updatedReplicas = updated;
}

/** completeRollingUpdate: once every pod is updated and ready, the update revision becomes current. */
function completeRollingUpdate(set: StatefulSet, status: StatefulSetStatus): void {
  if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
  if ((status.updatedReplicas ?? 0) === (status.replicas ?? 0) && (status.readyReplicas ?? 0) === (status.replicas ?? 0)) {
    status.currentReplicas = status.updatedReplicas ?? 0;
    status.currentRevision = status.updateRevision ?? '';
  }
}
