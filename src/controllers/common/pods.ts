// Pod predicates the workload controllers share, as k8s.io/kubernetes pkg/api/v1/pod and
// pkg/controller: ready, available (ready for minReadySeconds), active, terminating; and the pod a
// controller makes from its template. Pure.
import type { Condition, KubeObject, OwnerReference, Pod, PodTemplateSpec } from '../../api/types.ts';

/** RFC 3339 with seconds, UTC, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Milliseconds since the epoch of an RFC 3339 time; undefined when absent or unparsable. */
export function parseTime(t: string | null | undefined): number | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

export function podReadyCondition(pod: Pod): Condition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/**
 * podutil.IsPodAvailable: ready, and (with minReadySeconds) ready since more than that long ago.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = parseTime(podReadyCondition(pod)?.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 < now;
}

/** When the pod became ready (undefined when not ready or unknown). */
export function podReadyTime(pod: Pod): number | undefined {
  if (!isPodReady(pod)) return undefined;
  return parseTime(podReadyCondition(pod)?.lastTransitionTime);
}

export function isPodTerminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
}

/** controller.IsPodActive: not Succeeded, not Failed, not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !isPodTerminating(pod);
}

/** The owner reference with `controller: true`, if any. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef: the reference a controller puts on what it makes. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/**
 * controller.GetPodFromTemplate: labels, annotations and finalizers of the template, generateName
 * `<owner>-`, the controller reference, and a copy of the template's spec.
 */
export function podFromTemplate(template: PodTemplateSpec | undefined, ownerName: string, ref: OwnerReference): Pod {
  const t = structuredClone(template ?? {});
  const meta: Pod['metadata'] = { generateName: `${ownerName}-` };
  if (t.metadata?.labels !== undefined) meta.labels = { ...t.metadata.labels };
  if (t.metadata?.annotations !== undefined) meta.annotations = { ...t.metadata.annotations };
  if (t.metadata?.finalizers !== undefined && t.metadata.finalizers.length > 0) meta.finalizers = [...t.metadata.finalizers];
  meta.ownerReferences = [{ ...ref }];
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: t.spec ?? { containers: [] } };
}

/** `namespace/name`: the key expectations and queues use for a pod. */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}
