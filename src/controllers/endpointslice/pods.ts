// What the endpoint controllers read from Pods and Services, as upstream's helpers
// (k8s.io/endpointslice/util, pkg/api/v1/pod, pkg/apis/core/v1/helper): readiness, which Pods
// belong in endpoints, hostnames, named target ports. Shared by the EndpointSlice and the legacy
// Endpoints controllers. Pure: no I/O.
import type { Pod, Service, ServicePort } from '../../api/types.ts';
import { isIPv6String } from '../../machinery/cidr.ts';
import { selectorFromSet } from '../../machinery/labels.ts';

/** The Pod's Ready condition is True (podutil.IsPodReady). */
export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The Pod has finished: phase Succeeded or Failed (podutil.IsPodTerminal). */
export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The Pod is being deleted (`metadata.deletionTimestamp` is set). */
export function isPodTerminating(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
}

/** The Pod's IPs: `status.podIPs`, or `status.podIP` when the list is absent. */
export function podIPs(pod: Pod): string[] {
  const list = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip) => typeof ip === 'string' && ip !== '');
  if (list.length > 0) return list;
  const ip = pod.status?.podIP;
  return ip === undefined || ip === '' ? [] : [ip];
}

/**
 * Whether a Pod is listed at all (endpointsliceutil.ShouldPodBeInEndpoints): not terminal, has an
 * IP, and — unless `includeTerminating` — not being deleted.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && isPodTerminating(pod)) return false;
  return true;
}

/**
 * Whether an endpoint carries the Pod's hostname (endpointutil.ShouldSetHostname): the Pod sets
 * `spec.hostname` and its `spec.subdomain` names this Service, in the same namespace.
 */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  const hostname = pod.spec?.hostname ?? '';
  return hostname !== '' && pod.spec?.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/**
 * The Pod port a Service port sends to (podutil.FindPort): a number as is (absent: the Service
 * port), a name looked up in the containers' ports with the same protocol (then in sidecar init
 * containers). Undefined when a name does not resolve.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  const protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** The Service has a cluster IP (helper.IsServiceIPSet): not headless, not unallocated. */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

/** The Service is headless (`clusterIP: None`). */
export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/**
 * Whether the endpoint controllers manage this Service: it has a non-empty selector and is not
 * ExternalName. Selector-less Services are left to their users.
 */
export function managesService(svc: Service): boolean {
  if (svc.spec?.type === 'ExternalName') return false;
  const sel = svc.spec?.selector;
  return sel !== undefined && sel !== null && Object.keys(sel).length > 0;
}

/** Whether the Service's selector picks this Pod (same namespace, every selector label equal). */
export function serviceSelectsPod(svc: Service, pod: Pod): boolean {
  if (!managesService(svc)) return false;
  if ((svc.metadata.namespace ?? '') !== (pod.metadata.namespace ?? '')) return false;
  return selectorFromSet(svc.spec?.selector).matches(pod.metadata.labels);
}

/** Address family of an IP string. */
export function ipFamilyOf(ip: string): 'IPv4' | 'IPv6' {
  return isIPv6String(ip) ? 'IPv6' : 'IPv4';
}
