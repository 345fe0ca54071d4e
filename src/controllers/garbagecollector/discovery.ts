// Which resources the garbage collector watches: every served resource that can be listed, watched
// and deleted (custom resources included), except events, as upstream's GC with its default ignored
// resources; one version per group (the preferred one). Also maps an ownerReference's
// apiVersion + kind to the resource to look the owner up in.
import type { ApiClient, ResourceRef } from '../../client/index.ts';

/** A watched resource: a ResourceRef with its kind. */
export interface GCResource extends ResourceRef {
  readonly kind: string;
}

interface APIResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
}

interface APIResourceList {
  groupVersion: string;
  resources: APIResource[];
}

interface APIGroupList {
  groups: Array<{ name: string; preferredVersion?: { groupVersion: string; version: string }; versions?: Array<{ groupVersion: string; version: string }> }>;
}

/** Resources upstream's garbage collector never watches. */
export const ignoredResources: ReadonlySet<string> = new Set(['/events', 'events.k8s.io/events']);

/** The deletable, watchable resources of one APIResourceList. Pure. */
export function gcResources(list: APIResourceList): GCResource[] {
  const gv = list.groupVersion;
  const slash = gv.indexOf('/');
  const group = slash < 0 ? '' : gv.slice(0, slash);
  const version = slash < 0 ? gv : gv.slice(slash + 1);
  const out: GCResource[] = [];
  for (const r of list.resources) {
    if (r.name.includes('/')) continue;
    const verbs = new Set(r.verbs ?? []);
    if (!verbs.has('list') || !verbs.has('watch') || !verbs.has('delete')) continue;
    if (ignoredResources.has(`${group}/${r.name}`)) continue;
    out.push({ group, version, plural: r.name, namespaced: r.namespaced, kind: r.kind });
  }
  return out;
}

/** Lists the resources to watch through the API's discovery documents. */
export async function discoverResources(client: ApiClient): Promise<GCResource[]> {
  const core = (await client.request('GET', '/api/v1')).json<APIResourceList>();
  const out = gcResources({ ...core, groupVersion: 'v1' });
  const groups = (await client.request('GET', '/apis')).json<APIGroupList>();
  for (const g of groups.groups) {
    const gv = g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion;
    if (gv === undefined) continue;
    try {
      out.push(...gcResources((await client.request('GET', `/apis/${gv}`)).json<APIResourceList>()));
    } catch {
      // A group that just went away (a CRD being deleted): skip it this round.
    }
  }
  return out;
}

/** Key of a resource by group and kind (owner references name kinds, not resources). */
export function groupKindKey(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  return `${slash < 0 ? '' : apiVersion.slice(0, slash)}/${kind}`;
}

/** Key of a resource by group and plural. */
export function resourceKey(r: Pick<ResourceRef, 'group' | 'plural'>): string {
  return `${r.group}/${r.plural}`;
}
