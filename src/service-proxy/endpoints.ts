// EndpointSlice → EndpointInfo per service port, as kube-proxy's endpointSliceCache merges slices:
// IPv4 slices only, first address of each endpoint, conditions defaulted the way the API documents
// them (ready unset = ready; serving unset = ready; terminating unset = false). Pure.
import type { EndpointSlice } from '../api/types.ts';
import { parseIP } from '../machinery/cidr.ts';
import type { EndpointInfo, Protocol } from './types.ts';
import { servicePortNameString } from './service-ports.ts';

/** The label that ties an EndpointSlice to its Service. */
export const serviceNameLabel = 'kubernetes.io/service-name';
/** Annotation the EndpointSlice controller stamps with the time of the change that caused it. */
export const triggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';

/** `<ns>/<service>` of a slice, or undefined when it names none. */
export function sliceServiceName(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata.labels?.[serviceNameLabel];
  if (svc === undefined || svc === '') return undefined;
  return `${slice.metadata.namespace ?? 'default'}/${svc}`;
}

/** Endpoints of one slice grouped by service-port key (`ns/svc:port/PROTO`). */
export function endpointsFromSlice(slice: EndpointSlice, nodeName: string): Map<string, EndpointInfo[]> {
  const out = new Map<string, EndpointInfo[]>();
  const svc = slice.metadata.labels?.[serviceNameLabel];
  if (svc === undefined || svc === '' || slice.addressType !== 'IPv4') return out;
  const namespace = slice.metadata.namespace ?? 'default';
  for (const p of slice.ports ?? []) {
    if (p.port === undefined || p.port === null) continue;
    const protocol: Protocol = p.protocol === 'UDP' ? 'UDP' : p.protocol === 'SCTP' ? 'SCTP' : 'TCP';
    const key = `${servicePortNameString({ namespace, name: svc, port: p.name ?? '' })}/${protocol}`;
    const list: EndpointInfo[] = [];
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses[0];
      if (ip === undefined || parseIP(ip)?.family !== 4) continue;
      const ready = ep.conditions?.ready ?? true;
      const serving = ep.conditions?.serving ?? ready;
      const terminating = ep.conditions?.terminating ?? false;
      const epNode = ep.nodeName ?? '';
      list.push({
        ip,
        port: p.port,
        endpoint: `${ip}:${p.port}`,
        ready,
        serving,
        terminating,
        isLocal: epNode !== '' && epNode === nodeName,
        nodeName: epNode,
        zone: ep.zone ?? '',
        zoneHints: (ep.hints?.forZones ?? []).map((z) => z.name),
        nodeHints: (ep.hints?.forNodes ?? []).map((n) => n.name),
      });
    }
    out.set(key, list);
  }
  return out;
}

/**
 * Merges the endpoints of several slices of one service: duplicates (the same ip:port in two
 * slices, as happens while the controller moves endpoints) keep the first ready copy. Each list is
 * sorted by `ip:port` string so rendered rules are deterministic.
 */
export function mergeSliceEndpoints(slices: Iterable<Map<string, EndpointInfo[]>>): Map<string, EndpointInfo[]> {
  const byKey = new Map<string, Map<string, EndpointInfo>>();
  for (const slice of slices) {
    for (const [key, eps] of slice) {
      let m = byKey.get(key);
      if (m === undefined) byKey.set(key, (m = new Map()));
      for (const ep of eps) {
        const prev = m.get(ep.endpoint);
        if (prev === undefined || (!prev.ready && ep.ready)) m.set(ep.endpoint, ep);
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [key, m] of byKey) out.set(key, [...m.values()].sort(compareEndpoints));
  return out;
}

/** Orders endpoints by their `ip:port` string, as kube-proxy's byEndpoint sort does. */
export function compareEndpoints(a: EndpointInfo, b: EndpointInfo): number {
  return a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0;
}
