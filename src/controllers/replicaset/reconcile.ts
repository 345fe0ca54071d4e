// The ReplicaSet controller's decisions (pkg/controller/replicaset/replica_set.go): how many pods to
// create or which to delete, and the status to report. Pure.
import type { Condition, Pod, ReplicaSet, ReplicaSetStatus } from '../../api/types.ts';
import { selectorFromSet } from '../../machinery/labels.ts';
import { semanticEqual } from '../common/semantic.ts';
import { isPodAvailable, isPodReady, rfc3339 } from '../common/pods.ts';
import { podsToDelete } from './rank.ts';

/** Upstream's BurstReplicas: at most this many creations or deletions per sync. */
export const burstReplicas = 500;

/** What one sync does to the pods of a ReplicaSet. */
export type ReplicaAction =
  | { kind: 'none' }
  | { kind: 'create'; count: number }
  | { kind: 'delete'; pods: Pod[] };

/**
 * manageReplicas' decision: create the missing pods, or delete the extra ones ranked by
 * `podsToDelete`, at most `burst` per sync. `active` are the active pods the set owns; `related`
 * are the active pods of every ReplicaSet with the same owner (for the doubled-up-on-a-node rank).
 */
export function replicaAction(rs: ReplicaSet, active: readonly Pod[], related: readonly Pod[], now: number, burst = burstReplicas): ReplicaAction {
  const want = rs.spec?.replicas ?? 1;
  const diff = active.length - want;
  if (diff < 0) return { kind: 'create', count: Math.min(-diff, burst) };
  if (diff > 0) return { kind: 'delete', pods: podsToDelete(active, related, Math.min(diff, burst), now) };
  return { kind: 'none' };
}

/**
 * calculateStatus: replicas (active pods), fullyLabeledReplicas (pods carrying every template
 * label), ready and available (ready for minReadySeconds) counts, and the ReplicaFailure condition
 * while creating or deleting fails. `observedGeneration` is left to `statusUpdate`.
 */
export function calculateStatus(rs: ReplicaSet, active: readonly Pod[], manageError: Error | undefined, now: number): ReplicaSetStatus {
  const status: ReplicaSetStatus = structuredClone(rs.status ?? {});
  const template = selectorFromSet(rs.spec?.template?.metadata?.labels);
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of active) {
    if (template.matches(p.metadata.labels)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
  }
  const failure = status.conditions?.find((c) => c.type === 'ReplicaFailure');
  if (manageError !== undefined && failure === undefined) {
    const diff = active.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const cond: Condition = { type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339(now), reason, message: manageError.message };
    status.conditions = [...(status.conditions ?? []), cond];
  } else if (manageError === undefined && failure !== undefined) {
    status.conditions = (status.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
    if (status.conditions.length === 0) delete status.conditions;
  }
  status.replicas = active.length;
  status.fullyLabeledReplicas = fully;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  return status;
}

/**
 * updateReplicaSetStatus' test: the status to write (with observedGeneration = generation), or
 * undefined when the stored one already says it all.
 */
export function statusUpdate(rs: ReplicaSet, next: ReplicaSetStatus): ReplicaSetStatus | undefined {
  const cur = rs.status ?? {};
  const gen = rs.metadata.generation ?? 0;
  if (
    (cur.replicas ?? 0) === (next.replicas ?? 0) &&
    (cur.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
    (cur.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
    (cur.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
    gen === (cur.observedGeneration ?? 0) &&
    semanticEqual(cur.conditions, next.conditions)
  ) return undefined;
  return { ...next, observedGeneration: gen };
}

/**
 * When a ReplicaSet with minReadySeconds has ready pods that are not yet available, the time (ms)
 * after which to look again; undefined otherwise.
 */
export function availabilityRecheckMs(rs: ReplicaSet, status: ReplicaSetStatus): number | undefined {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const want = rs.spec?.replicas ?? 1;
  if (minReady > 0 && (status.readyReplicas ?? 0) === want && (status.availableReplicas ?? 0) !== want) return minReady * 1000;
  return undefined;
}
