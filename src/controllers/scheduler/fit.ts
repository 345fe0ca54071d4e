// Where a pod may run, as the default kube-scheduler's filter plugins decide it (in their order:
// NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit's pod count), and which fitting
// node is least loaded. A node whose Ready condition is not True carries the not-ready/unreachable
// NoSchedule taint the node lifecycle controller would add. The failure message is kube-scheduler's
// FitError text (`0/2 nodes are available: ...`). Pure.
import type { Node, Pod, Quantity } from '../../api/types.ts';

/** Filter failure reasons, worded as the plugins word them. */
export const fitReasons = {
  unschedulable: 'node(s) were unschedulable',
  affinity: "node(s) didn't match Pod's node affinity/selector",
  tooManyPods: 'Too many pods',
} as const;

export const noNodesAvailable = 'no nodes available to schedule pods';

interface Taint {
  key: string;
  value?: string;
  effect: string;
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** v1 Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if ((t.effect ?? '') !== '' && t.effect !== taint.effect) return false;
  if ((t.key ?? '') !== '' && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** The node's taints, plus not-ready/unreachable NoSchedule when its Ready condition is not True. */
export function effectiveTaints(node: Node): Taint[] {
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') {
    const key = ready?.status === 'Unknown' ? 'node.kubernetes.io/unreachable' : 'node.kubernetes.io/not-ready';
    if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  }
  return taints;
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0] ?? '')) return false;
      const a = BigInt(value);
      const b = BigInt(values[0] ?? '0');
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const e of exprs) if (!requirementMatches(e, Object.hasOwn(labels, e.key) ? labels[e.key] : undefined)) return false;
  for (const f of fields) if (f.key !== 'metadata.name' || !requirementMatches(f, node.metadata.name)) return false;
  return true;
}

/** NodeAffinity's filter: nodeSelector, and required node affinity terms (any term, every requirement). */
export function matchesNodeSelector(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const affinity = pod.spec?.affinity as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } } | undefined;
  const required = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined) return true;
  return (required.nodeSelectorTerms ?? []).some((t) => termMatches(t, node));
}

function quantityInt(q: Quantity | undefined): number | undefined {
  if (q === undefined) return undefined;
  const n = typeof q === 'number' ? q : /^\d+$/.test(q) ? Number(q) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Why `pod` cannot go to `node` (the first failing filter), or undefined when it fits. */
export function filterNode(pod: Pod, node: Node, podsOnNode: number): { reason: string; resolvable: boolean } | undefined {
  const tolerations = (pod.spec?.tolerations ?? []) as Toleration[];
  const taints = effectiveTaints(node);
  if (node.spec?.unschedulable === true) {
    const t: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
    if (!tolerations.some((x) => tolerates(x, t))) return { reason: fitReasons.unschedulable, resolvable: false };
  }
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerations.some((x) => tolerates(x, taint))) return { reason: `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`, resolvable: false };
  }
  if (!matchesNodeSelector(pod, node)) return { reason: fitReasons.affinity, resolvable: false };
  const maxPods = quantityInt(node.status?.allocatable?.['pods']);
  if (maxPods !== undefined && podsOnNode + 1 > maxPods) return { reason: fitReasons.tooManyPods, resolvable: true };
  return undefined;
}

export type ScheduleResult = { node: string } | { message: string };

/**
 * The least loaded node `pod` fits on (ties by name), or kube-scheduler's FitError message:
 * `0/N nodes are available: <count reason, ...>. preemption: 0/N nodes are available: <...>.`
 */
export function schedule(pod: Pod, nodes: readonly Node[], podCounts: ReadonlyMap<string, number>): ScheduleResult {
  if (nodes.length === 0) return { message: noNodesAvailable };
  let best: { name: string; load: number } | undefined;
  const reasons = new Map<string, number>();
  let notHelpful = 0;
  let noVictims = 0;
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    const load = podCounts.get(name) ?? 0;
    const why = filterNode(pod, node, load);
    if (why !== undefined) {
      reasons.set(why.reason, (reasons.get(why.reason) ?? 0) + 1);
      if (why.resolvable) noVictims++;
      else notHelpful++;
      continue;
    }
    if (best === undefined || load < best.load || (load === best.load && name < best.name)) best = { name, load };
  }
  if (best !== undefined) return { node: best.name };
  const n = nodes.length;
  const histogram = [...reasons].map(([r, c]) => `${c} ${r}`).sort();
  const preemption = [
    ...(notHelpful > 0 ? [`${notHelpful} Preemption is not helpful for scheduling`] : []),
    ...(noVictims > 0 ? [`${noVictims} No preemption victims found for incoming pod`] : []),
  ].sort();
  return { message: `0/${n} nodes are available: ${histogram.join(', ')}. preemption: 0/${n} nodes are available: ${preemption.join(', ')}.` };
}

/** Whether the default scheduler should place this pod now. */
export function needsScheduling(pod: Pod, schedulerName = 'default-scheduler'): boolean {
  const phase = pod.status?.phase;
  return (pod.spec?.nodeName ?? '') === '' && (pod.spec?.schedulerName ?? schedulerName) === schedulerName &&
    pod.metadata.deletionTimestamp === undefined && phase !== 'Succeeded' && phase !== 'Failed';
}
