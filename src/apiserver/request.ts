// Parsing of API request paths and query parameters (pure).
import { badRequest } from '../machinery/status.ts';

/** What an API path names. */
export type ApiPath =
  | { type: 'version' }
  | { type: 'health'; check: 'healthz' | 'livez' | 'readyz' }
  | { type: 'core-root' }
  | { type: 'groups-root' }
  | { type: 'group'; group: string }
  | { type: 'group-version'; group: string; version: string }
  | { type: 'openapi-v3-index' }
  | { type: 'openapi-v3'; path: string }
  | { type: 'openapi-v2' }
  | { type: 'metrics' }
  | {
      type: 'resource';
      group: string;
      version: string;
      /** Namespace from the path, '' when not namespace-scoped in the URL. */
      namespace: string;
      resource: string;
      name: string;
      subresource: string;
      /** Legacy `/watch/` path prefix. */
      legacyWatch: boolean;
    }
  | { type: 'unknown' };

/** Splits an URL path into what it addresses. `/api/v1/namespaces/x` is the namespace `x` itself. */
export function parseApiPath(pathname: string): ApiPath {
  const parts = pathname.split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [p0, p1, p2, p3] = parts;
  if (p0 === 'version' && parts.length === 1) return { type: 'version' };
  if ((p0 === 'healthz' || p0 === 'livez' || p0 === 'readyz') && parts.length >= 1) return { type: 'health', check: p0 };
  if (p0 === 'metrics' && parts.length === 1) return { type: 'metrics' };
  if (p0 === 'openapi') {
    if (p1 === 'v2' && parts.length === 2) return { type: 'openapi-v2' };
    if (p1 === 'v3' && parts.length === 2) return { type: 'openapi-v3-index' };
    if (p1 === 'v3') return { type: 'openapi-v3', path: parts.slice(2).join('/') };
    return { type: 'unknown' };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (p0 === 'api') {
    if (parts.length === 1) return { type: 'core-root' };
    group = '';
    version = p1 ?? '';
    rest = parts.slice(2);
    if (rest.length === 0) return { type: 'group-version', group, version };
  } else if (p0 === 'apis') {
    if (parts.length === 1) return { type: 'groups-root' };
    if (parts.length === 2) return { type: 'group', group: p1 ?? '' };
    group = p1 ?? '';
    version = p2 ?? '';
    rest = parts.slice(3);
    if (rest.length === 0) return { type: 'group-version', group, version };
    void p3;
  } else {
    return { type: 'unknown' };
  }
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  // namespaces/{ns}/{resource}/... addresses a namespaced resource; namespaces[/{name}[/{sub}]] the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const [, ns, resource, name, sub, ...extra] = rest;
    if (extra.length > 0) return { type: 'unknown' };
    return { type: 'resource', group, version, namespace: ns ?? '', resource: resource ?? '', name: name ?? '', subresource: sub ?? '', legacyWatch };
  }
  const [resource, name, sub, ...extra] = rest;
  if (extra.length > 0 || resource === undefined) return { type: 'unknown' };
  return { type: 'resource', group, version, namespace: '', resource, name: name ?? '', subresource: sub ?? '', legacyWatch };
}

/** Query flags shared by list and watch. */
export interface ListQuery {
  labelSelector: string;
  fieldSelector: string;
  limit: number;
  continueToken: string;
  resourceVersion: string;
  resourceVersionMatch: string;
  watch: boolean;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number;
}

function parseBool(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function parseNonNegInt(name: string, v: string | null): number {
  if (v === null || v === '') return 0;
  if (!/^\d+$/.test(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return Number(v);
}

export function parseListQuery(q: URLSearchParams, legacyWatch: boolean): ListQuery {
  return {
    labelSelector: q.get('labelSelector') ?? '',
    fieldSelector: q.get('fieldSelector') ?? '',
    limit: parseNonNegInt('limit', q.get('limit')),
    continueToken: q.get('continue') ?? '',
    resourceVersion: q.get('resourceVersion') ?? '',
    resourceVersionMatch: q.get('resourceVersionMatch') ?? '',
    watch: legacyWatch || parseBool(q.get('watch')),
    allowWatchBookmarks: parseBool(q.get('allowWatchBookmarks')),
    sendInitialEvents: parseBool(q.get('sendInitialEvents')),
    timeoutSeconds: parseNonNegInt('timeoutSeconds', q.get('timeoutSeconds')),
  };
}

/** Parses a resourceVersion query value; '' and '0' mean "any / from now". */
export function parseResourceVersion(v: string): number {
  if (v === '' || v === '0') return 0;
  if (!/^\d+$/.test(v)) throw badRequest(`Invalid value: "${v}": must be an unsigned integer`);
  return Number(v);
}

/** The media types a response may use, from the Accept header. */
export interface Negotiated {
  table: boolean;
  tableVersion: 'v1' | 'v1beta1';
  aggregatedDiscovery: boolean;
}

export function negotiate(accept: string | undefined): Negotiated {
  const a = (accept ?? '').toLowerCase().replace(/\s+/g, '');
  const parts = a.split(',');
  const out: Negotiated = { table: false, tableVersion: 'v1', aggregatedDiscovery: false };
  for (const p of parts) {
    if (p.includes('as=table') && p.includes('g=meta.k8s.io')) {
      if (!out.table) out.tableVersion = p.includes('v=v1beta1') ? 'v1beta1' : 'v1';
      out.table = true;
    }
    if (p.includes('as=apigroupdiscoverylist') && p.includes('g=apidiscovery.k8s.io') && p.includes('v=v2') && !p.includes('v=v2beta1')) {
      out.aggregatedDiscovery = true;
    }
  }
  return out;
}
