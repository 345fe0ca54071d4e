// Which pods a ReplicaSet deletes first when it has too many: upstream's ActivePodsWithRanks
// (pkg/controller/controller_utils.go, with PodDeletionCost and LogarithmicScaleDown on, as in
// 1.32). Pure.
import type { Pod } from '../../api/types.ts';
import { isPodActive, isPodReady, parseTime, podReadyTime } from '../common/pods.ts';

/** The annotation that lowers or raises a pod's deletion priority (int32, default 0). */
export const podDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

const phaseOrdinal: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.[podDeletionCostAnnotation];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

/** Highest restart count of regular containers and of restartable init containers (sidecars). */
function maxRestarts(pod: Pod): { regular: number; sidecar: number } {
  let regular = 0;
  let sidecar = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return { regular, sidecar };
}

/** floor(log2(age in ns)) difference of two times (-1 for a time not in the past). */
function logRankDiff(t1: number, t2: number, now: number): number {
  const rank = (t: number): number => {
    const d = (now - t) * 1e6;
    return d <= 0 ? -1 : Math.floor(Math.log2(d));
  };
  return rank(t1) - rank(t2);
}

/** afterOrZero: a missing time first, then the later one. */
function afterOrZero(t1: number | undefined, t2: number | undefined): boolean {
  if (t1 === undefined || t2 === undefined) return t1 === undefined;
  return t1 > t2;
}

interface Ranked {
  pod: Pod;
  /** Active pods of related ReplicaSets on the same node (more = deleted sooner). */
  rank: number;
}

/** ActivePodsWithRanks.Less: true when `a` should be deleted before `b`. */
function less(a: Ranked, b: Ranked, now: number): boolean {
  const pa = a.pod;
  const pb = b.pod;
  // 1. Unassigned < assigned.
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  // 2. Pending < Unknown < Running.
  const oa = phaseOrdinal[pa.status?.phase ?? ''] ?? 0;
  const ob = phaseOrdinal[pb.status?.phase ?? ''] ?? 0;
  if (oa !== ob) return oa < ob;
  // 3. Not ready < ready.
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return !ra;
  // 4. Lower deletion cost < higher.
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca < cb;
  // 5. Doubled up (more related pods on the node) < not doubled up.
  if (a.rank !== b.rank) return a.rank > b.rank;
  // 6. Ready for less time < more time, in logarithmic buckets.
  if (ra && rb) {
    const ta = podReadyTime(pa);
    const tb = podReadyTime(pb);
    if (ta !== tb) {
      if (ta === undefined || tb === undefined) return afterOrZero(ta, tb);
      const d = logRankDiff(ta, tb, now);
      if (d === 0) return (pa.metadata.uid ?? '') < (pb.metadata.uid ?? '');
      return d < 0;
    }
  }
  // 7. More restarts < fewer.
  const xa = maxRestarts(pa);
  const xb = maxRestarts(pb);
  if (xa.regular !== xb.regular) return xa.regular > xb.regular;
  if (xa.sidecar !== xb.sidecar) return xa.sidecar > xb.sidecar;
  // 8. Newer < older (missing creation time first), in logarithmic buckets.
  const ca2 = parseTime(pa.metadata.creationTimestamp);
  const cb2 = parseTime(pb.metadata.creationTimestamp);
  if (ca2 !== cb2) {
    if (ca2 === undefined || cb2 === undefined) return afterOrZero(ca2, cb2);
    const d = logRankDiff(ca2, cb2, now);
    if (d === 0) return (pa.metadata.uid ?? '') < (pb.metadata.uid ?? '');
    return d < 0;
  }
  return false;
}

/**
 * The pods to delete first: `diff` of `pods`, ranked as upstream (unscheduled, pending, not ready,
 * cheaper, doubled up on a node with `related` pods, ready for less time, restarted more, newer).
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], diff: number, now: number): Pod[] {
  if (diff >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName ?? '';
    if (node === '' || !isPodActive(p)) continue;
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked: Ranked[] = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => (less(a, b, now) ? -1 : less(b, a, now) ? 1 : 0));
  return ranked.slice(0, diff).map((r) => r.pod);
}
