// Discovery documents built from the resource registry: the legacy `/api`, `/apis`, `/apis/G`,
// `/api/v1` and `/apis/G/V` answers, and aggregated discovery v2 (one document for `/api`, one for
// `/apis`) that kubectl 1.32 prefers. Pure: the caller picks the document and writes the bytes
// with the content type given here.
import { createHash } from 'node:crypto';
import type { ResourceInfo, SubresourceInfo, Verb } from './resources.ts';
import { ResourceCatalog } from './resources.ts';

/** Response Content-Type that tells client-go the body is aggregated discovery v2. */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIVersions {
  kind: 'APIVersions';
  versions: string[];
  serverAddressByClientCIDRs: { clientCIDR: string; serverAddress: string }[];
}

export interface APIGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: Verb[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKind;
  verbs: Verb[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: Verb[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: 'Current' | 'Stale';
}

export interface APIGroupDiscovery {
  metadata: { name?: string };
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: 'apidiscovery.k8s.io/v2';
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

function catalogOf(resources: readonly ResourceInfo[] | ResourceCatalog): ResourceCatalog {
  return resources instanceof ResourceCatalog ? resources : new ResourceCatalog(resources);
}

function gvString(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

function byName<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

/** discovery.StorageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind"). */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

/** `/api` (legacy): the core group's versions; `host:port` is where clients reach the server. */
export function coreVersions(host: string, port: number): APIVersions {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${h}:${port}` }] };
}

function apiGroupOf(group: string, versions: string[]): APIGroup {
  const gvs = versions.map((version) => ({ groupVersion: gvString(group, version), version }));
  const preferred = gvs[0] ?? { groupVersion: gvString(group, ''), version: '' };
  return { name: group, versions: gvs, preferredVersion: preferred };
}

/** `/apis`: every named group with its versions and preferred version. */
export function groupList(resources: readonly ResourceInfo[] | ResourceCatalog): APIGroupList {
  const groups = catalogOf(resources).groups().filter((g) => g.group !== '').map((g) => apiGroupOf(g.group, g.versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** `/apis/G`, or undefined when the group is not served. */
export function apiGroup(resources: readonly ResourceInfo[] | ResourceCatalog, group: string): APIGroup | undefined {
  const g = catalogOf(resources).groups().find((x) => x.group === group && group !== '');
  return g === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupOf(g.group, g.versions) };
}

function subresourceEntry(r: ResourceInfo, s: SubresourceInfo): APIResource {
  const e: APIResource = { name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: [...s.verbs] };
  if (s.group !== r.group || s.version !== r.version) {
    e.group = s.group;
    e.version = s.version;
  }
  return e;
}

/** `/api/v1` or `/apis/G/V`: resources and subresources, or undefined when the group/version is not served. */
export function resourceList(resources: readonly ResourceInfo[] | ResourceCatalog, group: string, version: string): APIResourceList | undefined {
  const infos = catalogOf(resources).inGroupVersion(group, version);
  if (infos.length === 0) return undefined;
  const out: APIResource[] = [];
  for (const r of [...infos].sort(byName((x: ResourceInfo) => x.plural))) {
    const e: APIResource = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs] };
    if (r.shortNames.length > 0) e.shortNames = [...r.shortNames];
    if (r.categories.length > 0) e.categories = [...r.categories];
    e.storageVersionHash = storageVersionHash(r.group, r.version, r.kind);
    out.push(e);
    for (const s of [...r.subresources].sort(byName((x: SubresourceInfo) => x.name))) out.push(subresourceEntry(r, s));
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gvString(group, version), resources: out };
}

function resourceDiscovery(r: ResourceInfo): APIResourceDiscovery {
  const d: APIResourceDiscovery = {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length > 0) d.shortNames = [...r.shortNames];
  if (r.categories.length > 0) d.categories = [...r.categories];
  if (r.subresources.length > 0) {
    d.subresources = [...r.subresources].sort(byName((x: SubresourceInfo) => x.name)).map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: [...s.verbs],
    }));
  }
  return d;
}

/**
 * Aggregated discovery v2: `which: 'core'` answers `/api` (only the core group), `'groups'`
 * answers `/apis` (every named group). Send with AGGREGATED_DISCOVERY_CONTENT_TYPE.
 */
export function aggregatedDiscovery(resources: readonly ResourceInfo[] | ResourceCatalog, which: 'core' | 'groups'): APIGroupDiscoveryList {
  const catalog = catalogOf(resources);
  const items: APIGroupDiscovery[] = [];
  for (const g of catalog.groups()) {
    if ((which === 'core') !== (g.group === '')) continue;
    items.push({
      metadata: g.group === '' ? {} : { name: g.group },
      versions: g.versions.map((version) => ({
        version,
        resources: catalog.inGroupVersion(g.group, version).sort(byName((x: ResourceInfo) => x.plural)).map(resourceDiscovery),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

/**
 * Whether an Accept header asks for aggregated discovery v2 (`as=APIGroupDiscoveryList`,
 * `g=apidiscovery.k8s.io`, `v=v2`) ahead of plain JSON. kubectl sends v2, then v2beta1, then JSON.
 */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((s) => s.trim());
    const p = new Map(params.map((x) => {
      const i = x.indexOf('=');
      return [x.slice(0, i).trim().toLowerCase(), x.slice(i + 1).trim()] as const;
    }));
    const isJSON = type === 'application/json' || type === '*/*' || type === 'application/*';
    if (isJSON && p.get('as') === 'APIGroupDiscoveryList' && p.get('g') === 'apidiscovery.k8s.io' && p.get('v') === 'v2') return true;
    // A plain type listed before any aggregated one wins.
    if (isJSON && !p.has('as')) return false;
  }
  return false;
}
