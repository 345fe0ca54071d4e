// One sync of a Deployment, as pkg/controller/deployment (sync.go, rolling.go, recreate.go,
// progress.go) does it, computed as a plan: the ReplicaSet creations, updates and deletions to make,
// in order, the events to record after them, the revision annotation and the status to write. The
// planner simulates each write on its own copies so later steps see earlier ones, exactly where
// upstream uses the objects its writes return. Pure.
import type { Deployment, DeploymentStatus, Pod, ReplicaSet } from '../../api/types.ts';
import { computeHash } from '../common/hash.ts';
import { newControllerRef } from '../common/pods.ts';
import { semanticEqual } from '../common/semantic.ts';
import type { EventType } from '../events.ts';
import {
  activeReplicaSets, actualReplicaCount, availableReplicaCount, byCreation, byRevision, bySizeNewer, bySizeOlder, calculateStatus,
  deploymentComplete, deploymentProgressing, deploymentTimedOut, desiredReplicas, desiredReplicasOf, findNewReplicaSet,
  findOldReplicaSets, getCondition, hasProgressDeadline, hasRevisionHistoryLimit, isRollingUpdate, isSaturated, maxRevision, maxSurge,
  maxUnavailable, newCondition, newRSNewReplicas, podTemplateHashLabel, proportion, reasons, removeCondition, replicaCount,
  replicaFailures, replicasAnnotationsNeedUpdate, revisionAnnotation, rsReplicas, setCondition, setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './util.ts';
import { parseTime } from '../common/pods.ts';

/** One write (or event) of a sync, in the order to perform them. */
export type DeploymentAction =
  | { kind: 'createReplicaSet'; rs: ReplicaSet }
  /** A full object derived from a cached (or earlier planned) one; carry over the latest resourceVersion. */
  | { kind: 'updateReplicaSet'; rs: ReplicaSet }
  | { kind: 'deleteReplicaSet'; rs: ReplicaSet }
  /** Set the Deployment's `deployment.kubernetes.io/revision` annotation. */
  | { kind: 'setRevision'; revision: string }
  | { kind: 'event'; type: EventType; reason: string; message: string };

export interface DeploymentPlan {
  actions: DeploymentAction[];
  /** The status to write after the actions, when it differs from the stored one. */
  status?: DeploymentStatus;
  /** Look again after this long (progress deadline). */
  requeueAfterMs?: number;
}

export interface DeploymentSyncInput {
  deployment: Deployment;
  /** The ReplicaSets the Deployment owns (after adoption/release). */
  replicaSets: readonly ReplicaSet[];
  /** Pods by the uid of the ReplicaSet that owns them (Recreate waits for old ones to go). */
  podsByReplicaSet: ReadonlyMap<string, readonly Pod[]>;
  now: number;
}

/** Computes one sync of a Deployment. Throws (to retry) where upstream's sync returns an error. */
export function planDeployment(input: DeploymentSyncInput): DeploymentPlan {
  return new Planner(input).run();
}

class Planner {
  readonly d: Deployment;
  readonly stored: DeploymentStatus;
  readonly now: number;
  readonly podsByRS: ReadonlyMap<string, readonly Pod[]>;
  /** The ReplicaSets as this sync has left them (copies). */
  rsList: ReplicaSet[];
  readonly actions: DeploymentAction[] = [];
  requeueAfterMs: number | undefined;

  constructor(input: DeploymentSyncInput) {
    this.d = structuredClone(input.deployment);
    this.d.status = this.d.status ?? {};
    this.stored = structuredClone(this.d.status);
    this.now = input.now;
    this.podsByRS = input.podsByReplicaSet;
    this.rsList = input.replicaSets.map((rs) => structuredClone(rs));
  }

  get status(): DeploymentStatus {
    return (this.d.status ??= {});
  }

  event(type: EventType, reason: string, message: string): void {
    this.actions.push({ kind: 'event', type, reason, message });
  }

  run(): DeploymentPlan {
    const d = this.d;
    const sel = d.spec?.selector;
    if (sel !== undefined && sel !== null && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      this.event('Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((this.status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) this.status.observedGeneration = d.metadata.generation ?? 0;
      return this.finish();
    }
    if (d.metadata.deletionTimestamp !== undefined) {
      this.syncStatusOnly();
      return this.finish();
    }
    this.checkPausedConditions();
    if (d.spec?.paused === true || this.isScalingEvent()) {
      this.sync();
      return this.finish();
    }
    const type = d.spec?.strategy?.type ?? 'RollingUpdate';
    if (type === 'Recreate') this.rolloutRecreate();
    else if (type === 'RollingUpdate') this.rolloutRolling();
    else throw new Error(`unexpected deployment strategy type: ${type}`);
    return this.finish();
  }

  finish(): DeploymentPlan {
    const plan: DeploymentPlan = { actions: this.actions };
    if (!semanticEqual(this.stored, this.d.status)) plan.status = this.status;
    if (this.requeueAfterMs !== undefined) plan.requeueAfterMs = this.requeueAfterMs;
    return plan;
  }

  replace(rs: ReplicaSet): void {
    const i = this.rsList.findIndex((x) => x.metadata.name === rs.metadata.name);
    if (i >= 0) this.rsList[i] = rs;
    else this.rsList.push(rs);
  }

  // ---- sync.go ----

  syncStatusOnly(): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(false);
    this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  sync(): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(false);
    this.scale(newRS, oldRSs);
    if (this.d.spec?.paused === true) this.cleanupDeployment(oldRSs);
    this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  checkPausedConditions(): void {
    const d = this.d;
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(this.status, 'Progressing');
    if (cond !== undefined && cond.reason === reasons.timedOut) return;
    const pausedExists = cond !== undefined && cond.reason === reasons.paused;
    if (d.spec?.paused === true && !pausedExists) {
      setCondition(this.status, newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', this.now));
    } else if (d.spec?.paused !== true && pausedExists) {
      setCondition(this.status, newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', this.now));
    }
  }

  getAllReplicaSetsAndSyncRevision(create: boolean): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
    const { all } = findOldReplicaSets(this.d, this.rsList);
    const newRS = this.getNewReplicaSet(all, create);
    return { newRS, oldRSs: findOldReplicaSets(this.d, this.rsList).all };
  }

  setDeploymentRevision(revision: string): boolean {
    const a = (this.d.metadata.annotations ??= {});
    if (a[revisionAnnotation] === revision) return false;
    a[revisionAnnotation] = revision;
    this.actions.push({ kind: 'setRevision', revision });
    return true;
  }

  getNewReplicaSet(oldRSs: ReplicaSet[], create: boolean): ReplicaSet | undefined {
    const d = this.d;
    const existing = findNewReplicaSet(d, this.rsList);
    const newRevision = String(maxRevision(oldRSs) + 1);
    if (existing !== undefined) {
      const copy = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyChanged) {
        const spec = (copy.spec ??= {});
        if ((d.spec?.minReadySeconds ?? 0) === 0) delete spec.minReadySeconds;
        else spec.minReadySeconds = d.spec?.minReadySeconds ?? 0;
        this.actions.push({ kind: 'updateReplicaSet', rs: copy });
        this.replace(copy);
        return copy;
      }
      this.setDeploymentRevision(copy.metadata.annotations?.[revisionAnnotation] ?? '');
      if (hasProgressDeadline(d) && getCondition(this.status, 'Progressing') === undefined) {
        setCondition(this.status, newCondition('Progressing', 'True', reasons.foundNewRS, `Found new replica set "${copy.metadata.name ?? ''}"`, this.now));
      }
      return copy;
    }
    if (!create) return undefined;
    const rs = newReplicaSetFor(d);
    rs.spec = { ...(rs.spec ?? {}), replicas: newRSNewReplicas(d, [...oldRSs, rs], rs) };
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    this.actions.push({ kind: 'createReplicaSet', rs });
    this.rsList.push(rs);
    const n = rsReplicas(rs);
    if (n > 0) this.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata.name ?? ''} from 0 to ${n}`);
    this.setDeploymentRevision(newRevision);
    if (hasProgressDeadline(d)) {
      setCondition(this.status, newCondition('Progressing', 'True', reasons.newRSCreated, `Created new replica set "${rs.metadata.name ?? ''}"`, this.now));
    }
    return rs;
  }

  /** scaleReplicaSetAndRecordEvent: returns the set as it will be, and whether its size changes. */
  scaleAndRecord(rs: ReplicaSet, newScale: number): { scaled: boolean; rs: ReplicaSet } {
    if (rsReplicas(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale);
  }

  scaleReplicaSet(rs: ReplicaSet, newScale: number): { scaled: boolean; rs: ReplicaSet } {
    const d = this.d;
    const desired = desiredReplicas(d);
    const max = desired + maxSurge(d);
    const sizeChanges = rsReplicas(rs) !== newScale;
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    const oldScale = rsReplicas(rs);
    const copy = structuredClone(rs);
    copy.spec = { ...(copy.spec ?? {}), replicas: newScale };
    setReplicasAnnotations(copy, desired, max);
    this.actions.push({ kind: 'updateReplicaSet', rs: copy });
    this.replace(copy);
    if (sizeChanges) {
      const op = oldScale < newScale ? 'up' : 'down';
      this.event('Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${copy.metadata.name ?? ''} from ${oldScale} to ${newScale}`);
    }
    return { scaled: sizeChanges, rs: copy };
  }

  isScalingEvent(): boolean {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(false);
    for (const rs of activeReplicaSets([...oldRSs, newRS])) {
      const desired = desiredReplicasOf(rs);
      if (desired === undefined) continue;
      if (desired !== desiredReplicas(this.d)) return true;
    }
    return false;
  }

  /** scale: resize for a changed spec.replicas, proportionally across the active sets mid-rollout. */
  scale(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): void {
    const d = this.d;
    const want = desiredReplicas(d);
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest !== undefined) {
      if (rsReplicas(activeOrLatest) === want) return;
      this.scaleAndRecord(activeOrLatest, want);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) this.scaleAndRecord(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = activeReplicaSets([...oldRSs, newRS]);
    const allowed = want > 0 ? want + maxSurge(d) : 0;
    const toAdd = allowed - replicaCount(all);
    if (toAdd > 0) all.sort(bySizeNewer);
    else if (toAdd < 0) all.sort(bySizeOlder);
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = proportion(rs, d, toAdd, added);
        sizes.set(rs.metadata.name ?? '', rsReplicas(rs) + p);
        added += p;
      } else sizes.set(rs.metadata.name ?? '', rsReplicas(rs));
    }
    all.forEach((rs, i) => {
      const name = rs.metadata.name ?? '';
      let size = sizes.get(name) ?? 0;
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + (toAdd - added));
      this.scaleReplicaSet(rs, size);
    });
  }

  cleanupDeployment(oldRSs: ReplicaSet[]): void {
    const d = this.d;
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => rs.metadata.deletionTimestamp === undefined);
    const diff = cleanable.length - (d.spec?.revisionHistoryLimit ?? 0);
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i];
      if (rs === undefined) continue;
      if ((rs.status?.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata.deletionTimestamp !== undefined) continue;
      this.actions.push({ kind: 'deleteReplicaSet', rs });
    }
  }

  syncDeploymentStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): void {
    const next = calculateStatus(allRSs, newRS, this.d, this.now);
    if (!semanticEqual(this.d.status, next)) this.d.status = next;
  }

  // ---- rolling.go ----

  rolloutRolling(): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(true);
    if (newRS === undefined) throw new Error('no new replica set');
    const allRSs = [...oldRSs, newRS];
    if (this.reconcileNewReplicaSet(allRSs, newRS)) return this.syncRolloutStatus(allRSs, newRS);
    if (this.reconcileOldReplicaSets(allRSs, activeReplicaSets(oldRSs), newRS)) return this.syncRolloutStatus(allRSs, newRS);
    if (deploymentComplete(this.d, this.status)) this.cleanupDeployment(oldRSs);
    this.syncRolloutStatus(allRSs, newRS);
  }

  reconcileNewReplicaSet(allRSs: ReplicaSet[], newRS: ReplicaSet): boolean {
    const want = desiredReplicas(this.d);
    if (rsReplicas(newRS) === want) return false;
    if (rsReplicas(newRS) > want) return this.scaleAndRecord(newRS, want).scaled;
    return this.scaleAndRecord(newRS, newRSNewReplicas(this.d, allRSs, newRS)).scaled;
  }

  reconcileOldReplicaSets(allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): boolean {
    if (replicaCount(oldRSs) === 0) return false;
    const minAvailable = desiredReplicas(this.d) - maxUnavailable(this.d);
    const newUnavailable = rsReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = replicaCount(allRSs) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    const cleaned = this.cleanupUnhealthyReplicas(oldRSs, maxScaledDown);
    const scaledDown = this.scaleDownOldReplicaSetsForRollingUpdate([...cleaned.oldRSs, newRS], cleaned.oldRSs);
    return cleaned.count + scaledDown > 0;
  }

  cleanupUnhealthyReplicas(oldRSs: ReplicaSet[], maxCleanup: number): { oldRSs: ReplicaSet[]; count: number } {
    const sorted = [...oldRSs].sort(byCreation);
    let total = 0;
    for (let i = 0; i < sorted.length; i++) {
      const rs = sorted[i];
      if (rs === undefined) continue;
      if (total >= maxCleanup) break;
      const replicas = rsReplicas(rs);
      const available = rs.status?.availableReplicas ?? 0;
      if (replicas === 0 || available === replicas) continue;
      const down = Math.min(maxCleanup - total, replicas - available);
      const next = replicas - down;
      if (next > replicas) {
        throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace ?? ''}/${rs.metadata.name ?? ''} ${replicas} -> ${next}`);
      }
      sorted[i] = this.scaleAndRecord(rs, next).rs;
      total += down;
    }
    return { oldRSs: sorted, count: total };
  }

  scaleDownOldReplicaSetsForRollingUpdate(allRSs: ReplicaSet[], oldRSs: ReplicaSet[]): number {
    const minAvailable = desiredReplicas(this.d) - maxUnavailable(this.d);
    const available = availableReplicaCount(allRSs);
    if (available <= minAvailable) return 0;
    const total = available - minAvailable;
    let done = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (done >= total) break;
      const replicas = rsReplicas(rs);
      if (replicas === 0) continue;
      const down = Math.min(replicas, total - done);
      const next = replicas - down;
      if (next > replicas) throw new Error(`invalid request to scale down ${rs.metadata.namespace ?? ''}/${rs.metadata.name ?? ''} ${replicas} -> ${next}`);
      this.scaleAndRecord(rs, next);
      done += down;
    }
    return done;
  }

  // ---- recreate.go ----

  rolloutRecreate(): void {
    let { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(false);
    let allRSs: (ReplicaSet | undefined)[] = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) if (this.scaleAndRecord(rs, 0).scaled) scaledDown = true;
    if (scaledDown) return this.syncRolloutStatus(allRSs, newRS);
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(allRSs, newRS);
    if (newRS === undefined) {
      ({ newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(true));
      allRSs = [...oldRSs, newRS];
    }
    if (newRS !== undefined) this.scaleAndRecord(newRS, desiredReplicas(this.d));
    if (deploymentComplete(this.d, this.status)) this.cleanupDeployment(oldRSs);
    this.syncRolloutStatus(allRSs, newRS);
  }

  oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (actualReplicaCount(oldRSs) > 0) return true;
    for (const [uid, pods] of this.podsByRS) {
      if (newRS !== undefined && newRS.metadata.uid === uid) continue;
      for (const p of pods) {
        const phase = p.status?.phase;
        if (phase === 'Failed' || phase === 'Succeeded') continue;
        return true;
      }
    }
    return false;
  }

  // ---- progress.go ----

  syncRolloutStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): void {
    const d = this.d;
    const next = calculateStatus(allRSs, newRS, d, this.now);
    if (!hasProgressDeadline(d)) removeCondition(next, 'Progressing');
    const current = getCondition(this.status, 'Progressing');
    const complete = (next.replicas ?? 0) === (next.updatedReplicas ?? 0) && current !== undefined && current.reason === reasons.newRSAvailable;
    if (hasProgressDeadline(d) && !complete) {
      const rsName = newRS?.metadata.name;
      if (deploymentComplete(d, next)) {
        const msg = rsName !== undefined ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata.name ?? ''}" has successfully progressed.`;
        setCondition(next, newCondition('Progressing', 'True', reasons.newRSAvailable, msg, this.now));
      } else if (deploymentProgressing(d, next)) {
        const msg = rsName !== undefined ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata.name ?? ''}" is progressing.`;
        const cond = newCondition('Progressing', 'True', reasons.rsUpdated, msg, this.now);
        if (current !== undefined) {
          if (current.status === 'True' && current.lastTransitionTime !== undefined) cond.lastTransitionTime = current.lastTransitionTime;
          removeCondition(next, 'Progressing');
        }
        setCondition(next, cond);
      } else if (deploymentTimedOut(d, next, this.now)) {
        const msg = rsName !== undefined ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata.name ?? ''}" has timed out progressing.`;
        setCondition(next, newCondition('Progressing', 'False', reasons.timedOut, msg, this.now));
      }
    }
    const failures = replicaFailures(allRSs, newRS);
    const first = failures[0];
    if (first !== undefined) setCondition(next, first);
    else removeCondition(next, 'ReplicaFailure');
    if (next.conditions !== undefined && next.conditions.length === 0) delete next.conditions;
    if (semanticEqual(this.d.status, next)) {
      this.requeueAfterMs = this.stuckRequeueMs(next);
      return;
    }
    this.d.status = next;
  }

  /** requeueStuckDeployment: when to look again so a stalled rollout is marked timed out on time. */
  stuckRequeueMs(next: DeploymentStatus): number | undefined {
    const d = this.d;
    const current = getCondition(this.status, 'Progressing');
    if (!hasProgressDeadline(d) || current === undefined) return undefined;
    if (deploymentComplete(d, next) || current.reason === reasons.timedOut) return undefined;
    const from = parseTime(current.lastUpdateTime) ?? this.now;
    const after = from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - this.now;
    return after < 1000 ? 1000 : after + 1000;
  }
}

/** The ReplicaSet a Deployment's current template calls for: `<name>-<hash>`, selector and labels with the hash. */
export function newReplicaSetFor(d: Deployment): ReplicaSet {
  const template = structuredClone(d.spec?.template ?? {});
  const hash = computeHash(d.spec?.template, d.status?.collisionCount);
  const labels = { ...(template.metadata?.labels ?? {}), [podTemplateHashLabel]: hash };
  template.metadata = { ...(template.metadata ?? {}), labels };
  const selector = structuredClone(d.spec?.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [podTemplateHashLabel]: hash };
  const spec: NonNullable<ReplicaSet['spec']> = { replicas: 0, selector, template };
  if ((d.spec?.minReadySeconds ?? 0) !== 0) spec.minReadySeconds = d.spec?.minReadySeconds ?? 0;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name ?? ''}-${hash}`,
      namespace: d.metadata.namespace ?? '',
      labels: { ...labels },
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
    },
    spec,
  };
}

/** FindActiveOrLatest: the only active set, or the newest when none is active; undefined with several. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (newRS === undefined && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}
