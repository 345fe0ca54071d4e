// The stable identity of StatefulSet pods (pkg/controller/statefulset/stateful_set_utils.go):
// `<set>-<ordinal>` names, `hostname` and `subdomain` for DNS, the pod-name and pod-index labels,
// and the revision label that says which template a pod was made from. Pure.
import type { Pod, StatefulSet } from '../../api/types.ts';
import { computeHash } from '../common/hash.ts';
import { isPodReady, isPodAvailable, newControllerRef, podFromTemplate } from '../common/pods.ts';

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';
export const revisionLabel = 'controller-revision-hash';

const ordinalPattern = /^(.*)-([0-9]+)$/;

/** The parent name and ordinal of a pod name (`web-3` → web, 3); ordinal -1 when it has none. */
export function parentAndOrdinal(name: string): { parent: string; ordinal: number } {
  const m = ordinalPattern.exec(name);
  if (m === null) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return n > 2147483647 ? { parent: '', ordinal: -1 } : { parent: m[1] ?? '', ordinal: n };
}

export function ordinalOf(pod: Pod): number {
  return parentAndOrdinal(pod.metadata.name ?? '').ordinal;
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name ?? ''}-${ordinal}`;
}

/** The first ordinal (`spec.ordinals.start`, default 0). */
export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

/** The last ordinal of the wanted range (start + replicas − 1). */
export function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + (set.spec?.replicas ?? 1) - 1;
}

/** isMemberOf: the pod's name says it belongs to this set. */
export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return parentAndOrdinal(pod.metadata.name ?? '').parent === set.metadata.name;
}

/** identityMatches: name, namespace and pod-name label are the ones its ordinal calls for. */
export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata.name ?? '');
  return ordinal >= 0 && parent === set.metadata.name && pod.metadata.name === podName(set, ordinal) &&
    pod.metadata.namespace === set.metadata.namespace && pod.metadata.labels?.[podNameLabel] === pod.metadata.name;
}

/** updateIdentity: name, namespace, pod-name and pod-index labels from the ordinal. Mutates `pod`. */
export function updateIdentity(set: StatefulSet, pod: Pod): void {
  const ordinal = ordinalOf(pod);
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace ?? '';
  const labels = (pod.metadata.labels ??= {});
  labels[podNameLabel] = pod.metadata.name;
  labels[podIndexLabel] = String(ordinal);
}

/**
 * The revision name a template maps to: `<set>-<hash>` (the `controller-revision-hash` label). The
 * collision count is always hashed (0 when unset), as getStatefulSetRevisions does.
 */
export function revisionName(set: StatefulSet): string {
  return `${set.metadata.name ?? ''}-${computeHash(set.spec?.template, set.status?.collisionCount ?? 0)}`;
}

export function podRevision(pod: Pod): string {
  return pod.metadata.labels?.[revisionLabel] ?? '';
}

/**
 * newStatefulSetPod: the template's pod named `<set>-<ordinal>`, with hostname = its name,
 * subdomain = serviceName, the identity labels and the revision label.
 */
export function newStatefulSetPod(set: StatefulSet, ordinal: number, revision: string): Pod {
  const pod = podFromTemplate(set.spec?.template, set.metadata.name ?? '', newControllerRef(set, 'apps/v1', 'StatefulSet'));
  delete pod.metadata.generateName;
  pod.metadata.name = podName(set, ordinal);
  updateIdentity(set, pod);
  const spec = (pod.spec ??= { containers: [] });
  spec.hostname = pod.metadata.name;
  const svc = set.spec?.serviceName ?? '';
  if (svc !== '') spec.subdomain = svc;
  (pod.metadata.labels ??= {})[revisionLabel] = revision;
  return pod;
}

export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

export function isRunningAndAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}

export function isTerminating(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/** isHealthy: running, ready, and not being deleted. */
export function isHealthy(pod: Pod): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}
