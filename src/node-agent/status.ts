// The Pod status the node agent reports, from what its runtime sees: phase (the kubelet's getPhase),
// the conditions `kubectl describe` lists (PodReadyToStartContainers, Initialized, Ready,
// ContainersReady, PodScheduled) with transition times kept while a status does not change, and
// container statuses in spec order. Pure.
import type { Condition, ContainerState, ContainerStatus, Pod, PodStatus } from '../api/types.ts';

/** What the agent knows about one container. */
export interface ContainerView {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  ready: boolean;
  started: boolean;
}

/** What the agent knows about one Pod. */
export interface PodView {
  hostIP: string;
  podIP?: string;
  startTime?: string;
  sandboxReady: boolean;
  initialized: boolean;
  init: ContainerView[];
  containers: ContainerView[];
  /** Set when the Pod as a whole failed (activeDeadlineSeconds, a sandbox error that will not clear). */
  failed?: { reason: string; message: string };
}

/** RFC 3339 with seconds, as metav1.Time. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function containerStatus(c: ContainerView): ContainerStatus {
  const s: ContainerStatus = {
    name: c.name,
    state: c.state,
    lastState: c.lastState ?? {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
    started: c.started,
  };
  if (c.containerID !== undefined) s.containerID = c.containerID;
  return s;
}

/** The kubelet's getPhase (pkg/kubelet/kubelet_pods.go) over the regular containers. */
export function podPhase(pod: Pod, view: PodView): NonNullable<PodStatus['phase']> {
  if (view.failed !== undefined) return 'Failed';
  if (!view.initialized) {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    const failedInit = view.init.some((c) => c.state.terminated !== undefined && c.state.terminated.exitCode !== 0);
    if (failedInit && policy === 'Never') return 'Failed';
    return 'Pending';
  }
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of view.containers) {
    if (c.state.running !== undefined) running++;
    else if (c.state.terminated !== undefined) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.state.waiting !== undefined) {
      if (c.lastState?.terminated !== undefined) stopped++;
      else waiting++;
    } else waiting++;
  }
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function cond(type: string, ok: boolean, prev: readonly Condition[] | undefined, now: string, reason?: string, message?: string): Condition {
  const status = ok ? 'True' : 'False';
  const old = prev?.find((c) => c.type === type);
  const c: Condition = {
    type, status, lastProbeTime: null,
    lastTransitionTime: old !== undefined && old.status === status && old.lastTransitionTime !== undefined ? old.lastTransitionTime : now,
  };
  if (!ok && reason !== undefined) c.reason = reason;
  if (!ok && message !== undefined) c.message = message;
  return c;
}

/** The QoS class from requests and limits (pkg/apis/core/v1/helper/qos). */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = all.length > 0;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * The full status to write to pods/status. Conditions of types the agent does not own (readiness
 * gates, DisruptionTarget, ...) are kept from `prev`.
 */
export function computePodStatus(pod: Pod, view: PodView, nowMs: number): PodStatus {
  const prev = pod.status;
  const now = rfc3339(nowMs);
  const phase = podPhase(pod, view);
  const unready = view.containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = unready.length === 0 && view.containers.length > 0;
  const gates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
  const gateFailures = gates.filter((t) => prev?.conditions?.find((c) => c.type === t)?.status !== 'True');
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const notReadyMsg = terminal ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const ready = containersReady && gateFailures.length === 0;
  const pendingInit = view.init.filter((c) => c.state.terminated?.exitCode !== 0).map((c) => c.name);
  const conditions: Condition[] = [
    cond('PodReadyToStartContainers', view.sandboxReady, prev?.conditions, now),
    cond('Initialized', view.initialized, prev?.conditions, now, 'ContainersNotInitialized', `containers with incomplete status: [${pendingInit.join(' ')}]`),
    cond('Ready', ready, prev?.conditions, now,
      terminal ? 'PodCompleted' : containersReady ? 'ReadinessGatesNotReady' : 'ContainersNotReady',
      containersReady && !terminal ? `corresponding condition of pod readiness gate "${gateFailures[0] ?? ''}" does not exist.` : notReadyMsg),
    cond('ContainersReady', containersReady, prev?.conditions, now, terminal ? 'PodCompleted' : 'ContainersNotReady', notReadyMsg),
  ];
  const scheduled = prev?.conditions?.find((c) => c.type === 'PodScheduled');
  conditions.push(scheduled ?? { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: pod.metadata.creationTimestamp ?? now });
  const owned = new Set(conditions.map((c) => c.type));
  for (const c of prev?.conditions ?? []) if (!owned.has(c.type)) conditions.push(c);

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    qosClass: qosClass(pod),
  };
  if (view.podIP !== undefined && view.podIP !== '') {
    status.podIP = view.podIP;
    status.podIPs = [{ ip: view.podIP }];
  }
  if (view.startTime !== undefined) status.startTime = view.startTime;
  if (view.failed !== undefined) {
    status.reason = view.failed.reason;
    status.message = view.failed.message;
  }
  if (view.init.length > 0) status.initContainerStatuses = view.init.map(containerStatus);
  status.containerStatuses = view.containers.map(containerStatus);
  return status;
}

/** True when two statuses differ in anything a reader would see. */
export function statusChanged(a: PodStatus | undefined, b: PodStatus): boolean {
  return JSON.stringify(a ?? {}) !== JSON.stringify(b);
}
