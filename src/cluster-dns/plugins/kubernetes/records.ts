// What the cluster holds for a name: the Kubernetes DNS schema 1.1.0 lookups (services, headless
// endpoints, ExternalName, pods, PTR) over a ClusterView, as CoreDNS's kubernetes.go and
// reverse.go compute them. Pure: returns entries, not records; kubernetes.ts turns them into RRs.
import type { EndpointSlice, Service } from '../../../api/types.ts';
import type { Selector } from '../../../machinery/labels.ts';
import { matches } from '../../../machinery/labels.ts';
import { canonicalIP, ipFamily } from '../../dns/ip.ts';
import { addressFromReverse, isReverse } from '../../dns/names.ts';
import { parseRequest, type RecordRequest } from './parse.ts';
import { sliceService, type ClusterView } from './view.ts';

export type PodMode = 'disabled' | 'insecure' | 'verified';

/** The plugin's options (Corefile `kubernetes` block). */
export interface KubernetesOptions {
  /** Lower-case FQDN zones, as given (first non-reverse one names PTR targets). */
  zones: string[];
  /** Only these namespaces are exposed (empty: all). */
  namespaces: string[];
  /** Only namespaces with matching labels are exposed. */
  namespaceLabels: Selector | undefined;
  /** Only Services with matching labels are served. */
  labels: Selector | undefined;
  pods: PodMode;
  endpointPodNames: boolean;
  /** TTL of every answer (default 5). */
  ttl: number;
  /** Do not use endpoints: headless and endpoint names are NXDOMAIN. */
  noEndpoints: boolean;
  /** `ignore empty_service`: ClusterIP services without ready endpoints are NXDOMAIN. */
  ignoreEmptyService: boolean;
}

/** One thing a name stands for (CoreDNS's msg.Service): an address or a name, with a port. */
export interface Entry {
  /** An IP (A/AAAA) or a domain name (CNAME, for ExternalName). */
  host: string;
  /** Port, or -1 when there is none (portless headless services get no SRV). */
  port: number;
  ttl: number;
  /** The FQDN this entry is known by (SRV target): `svc.ns.svc.<zone>.` or `host.svc.ns.svc.<zone>.`. */
  target: string;
}

/** A lookup's outcome: entries (possibly none: NODATA) or a name error (NXDOMAIN). */
export type Lookup = { ok: true; entries: Entry[] } | { ok: false };

const nameError: Lookup = { ok: false };
const nodata: Lookup = { ok: true, entries: [] };

/** A ready endpoint address of a Service, flattened from its EndpointSlices. */
export interface EndpointAddress {
  ip: string;
  hostname: string;
  /** The Pod's name when the targetRef is a Pod. */
  podName: string;
  ports: { name: string; protocol: string; port: number }[];
}

/** True for headless Services (`clusterIP: None`). */
export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** The ready addresses of a Service's slices (ready unset counts as ready; FQDN slices skipped). */
export function readyAddresses(slices: readonly EndpointSlice[]): EndpointAddress[] {
  const out: EndpointAddress[] = [];
  for (const s of slices) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const ports = (s.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port ?? -1 }));
    if (ports.length === 0) ports.push({ name: '', protocol: '', port: -1 });
    for (const ep of s.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      const podName = ep.targetRef?.kind === 'Pod' ? (ep.targetRef.name ?? '') : '';
      for (const a of ep.addresses) {
        const ip = canonicalIP(a);
        if (ip === undefined) continue;
        out.push({ ip, hostname: ep.hostname ?? '', podName, ports });
      }
    }
  }
  return out;
}

/** CoreDNS's endpointHostname: the hostname, else (endpoint_pod_names) the pod name, else the dashed IP. */
export function endpointHostname(a: EndpointAddress, podNames: boolean): string {
  if (a.hostname !== '') return a.hostname;
  if (podNames && a.podName !== '' && a.podName.length < 64) return a.podName;
  if (a.ip.includes('.')) return a.ip.replaceAll('.', '-');
  const h = a.ip.replaceAll(':', '-');
  return h.endsWith('-') ? `${h}0` : h;
}

/** The cluster IPs of a Service (`spec.clusterIPs`, else `spec.clusterIP`), canonical text. */
export function clusterIPs(svc: Service): string[] {
  const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP !== undefined ? [svc.spec.clusterIP] : []);
  const out: string[] = [];
  for (const ip of ips) {
    const c = canonicalIP(ip);
    if (c !== undefined) out.push(c);
  }
  return out;
}

const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function matchPortAndProtocol(aPort: string, bPort: string, aProto: string, bProto: string): boolean {
  return (aPort === '' || eq(aPort, bPort)) && (aProto === '' || eq(aProto, bProto));
}

/** The record lookups of one plugin instance over a view. */
export class Records {
  readonly opts: KubernetesOptions;
  readonly view: ClusterView;
  constructor(opts: KubernetesOptions, view: ClusterView) {
    this.opts = opts;
    this.view = view;
  }

  /** True when the namespace exists and is exposed by `namespaces` / `namespace_labels`. */
  namespaceExposed(ns: string): boolean {
    if (this.opts.namespaces.length > 0 && !this.opts.namespaces.includes(ns)) return false;
    const obj = this.view.namespace(ns);
    if (obj === undefined) return false;
    if (this.opts.namespaceLabels !== undefined && !matches(this.opts.namespaceLabels, obj.metadata.labels)) return false;
    return true;
  }

  /** The zone PTR targets are built with: the first non-reverse zone. */
  primaryZone(): string {
    return this.opts.zones.find((z) => isReverse(z) === 0) ?? this.opts.zones[0] ?? 'cluster.local.';
  }

  /**
   * Forward lookups (Kubernetes.Records): `name` lower case under `zoneLower`; `zone` is the same
   * zone as the query spelled it (targets keep the query's case).
   */
  records(name: string, zoneLower: string, zone: string): Lookup {
    const r = parseRequest(name, zoneLower);
    if (r === undefined) return nameError;
    if (r.podOrSvc === '') return nodata;
    if (isReverse(name) !== 0) return nameError;
    if (!this.namespaceExposed(r.namespace)) return nameError;
    return r.podOrSvc === 'pod' ? this.findPods(r) : this.findServices(r, zone);
  }

  private findPods(r: RecordRequest): Lookup {
    if (this.opts.pods === 'disabled') return nameError;
    if (r.service === '') return nodata;
    // Extra labels left of the pod label (`x.1-2-3-4.ns.pod`) are not pod names.
    if (r.endpoint !== '' || r.port !== '' || r.protocol !== '') return nameError;
    const label = r.service;
    const text = (label.split('-').length - 1 === 3 && !label.includes('--')) ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
    const ip = canonicalIP(text);
    if (ip === undefined) return nameError;
    const entry: Entry = { host: ip, port: -1, ttl: this.opts.ttl, target: '' };
    if (this.opts.pods === 'insecure') return { ok: true, entries: [entry] };
    for (const p of this.view.podsByIP(ip)) {
      if (p.metadata.namespace !== r.namespace) continue;
      const ips = (p.status?.podIPs ?? []).map((x) => canonicalIP(x.ip));
      if (p.status?.podIP !== undefined) ips.push(canonicalIP(p.status.podIP));
      if (ips.includes(ip)) return { ok: true, entries: [entry] };
    }
    return nameError;
  }

  private findServices(r: RecordRequest, zone: string): Lookup {
    if (r.service === '') return nodata;
    const svc = this.view.service(r.namespace, r.service);
    if (svc === undefined) return nameError;
    if (this.opts.labels !== undefined && !matches(this.opts.labels, svc.metadata.labels)) return nameError;
    const ns = svc.metadata.namespace ?? r.namespace;
    const svcName = svc.metadata.name ?? r.service;
    const svcTarget = `${svcName}.${ns}.svc.${zone}`;
    const ttl = this.opts.ttl;
    const slices = () => (this.opts.noEndpoints ? [] : this.view.endpointSlices(ns, svcName));

    if (svc.spec?.type === 'ExternalName') {
      // External services have no endpoints; an IP as externalName is not served (CoreDNS).
      const ext = svc.spec.externalName ?? '';
      if (r.endpoint !== '' || ext === '' || ipFamily(ext) !== 0) return nameError;
      return { ok: true, entries: [{ host: ext.endsWith('.') ? ext : `${ext}.`, port: -1, ttl, target: svcTarget }] };
    }

    if (isHeadless(svc) || r.endpoint !== '') {
      const entries: Entry[] = [];
      let found = false;
      for (const a of readyAddresses(slices())) {
        const host = endpointHostname(a, this.opts.endpointPodNames);
        if (r.endpoint !== '' && !eq(r.endpoint, host)) continue;
        for (const p of a.ports) {
          if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
          found = true;
          entries.push({ host: a.ip, port: p.port, ttl, target: `${host}.${svcTarget}` });
        }
      }
      return found ? { ok: true, entries } : nameError;
    }

    if (this.opts.ignoreEmptyService && readyAddresses(slices()).length === 0) return nameError;
    const entries: Entry[] = [];
    let found = false;
    const ips = clusterIPs(svc);
    for (const p of svc.spec?.ports ?? []) {
      if (!matchPortAndProtocol(r.port, p.name ?? '', r.protocol, p.protocol ?? 'TCP')) continue;
      found = true;
      for (const ip of ips) entries.push({ host: ip, port: p.port, ttl, target: svcTarget });
    }
    return found ? { ok: true, entries } : nameError;
  }

  /**
   * Reverse lookups (reverse.go): the first Service with this ClusterIP, else one name per
   * (Service, ready endpoint) owning the IP. `name` is the lower-case reverse name.
   */
  reverse(name: string, zoneLower: string, zone: string): Lookup {
    const ip = addressFromReverse(name);
    if (ip === '') return this.records(name, zoneLower, zone);
    const primary = this.primaryZone();
    const ttl = this.opts.ttl;
    const restricted = this.opts.namespaces.length > 0 || this.opts.namespaceLabels !== undefined;
    for (const svc of this.view.servicesByClusterIP(ip)) {
      const ns = svc.metadata.namespace ?? '';
      if (restricted && !this.namespaceExposed(ns)) continue;
      if (this.opts.labels !== undefined && !matches(this.opts.labels, svc.metadata.labels)) continue;
      return { ok: true, entries: [{ host: `${svc.metadata.name ?? ''}.${ns}.svc.${primary}`, port: -1, ttl, target: '' }] };
    }
    if (this.opts.noEndpoints) return nameError;
    const seen = new Set<string>();
    const entries: Entry[] = [];
    for (const slice of this.view.endpointSlicesByIP(ip)) {
      const ns = slice.metadata.namespace ?? '';
      if (restricted && !this.namespaceExposed(ns)) continue;
      const svcName = sliceService(slice);
      if (svcName === undefined) continue;
      for (const a of readyAddresses([slice])) {
        if (a.ip !== ip) continue;
        const host = `${endpointHostname(a, this.opts.endpointPodNames)}.${svcName}.${ns}.svc.${primary}`;
        if (seen.has(host)) continue;
        seen.add(host);
        entries.push({ host, port: -1, ttl, target: '' });
      }
    }
    return entries.length > 0 ? { ok: true, entries } : nameError;
  }
}
