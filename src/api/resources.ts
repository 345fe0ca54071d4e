// The resource registry: every resource Switchboard serves, as one table of ResourceInfo (names,
// scope, verbs, subresources, field selectors), plus the entries a CustomResourceDefinition adds.
// Discovery (discovery.ts), OpenAPI (openapi.ts), tables, defaulting and validation all read it.
// Pure: no I/O.
import { badRequest, goQuote } from '../machinery/status.ts';
import { type FieldSelector, transformFieldSelector, matchesFields } from '../machinery/fields.ts';
import type {
  KubeObject, Pod, Node, Event, Secret, Namespace, Service, CustomResourceDefinition,
  CustomResourceDefinitionVersion, CustomResourceColumnDefinition,
} from './types.ts';
import { evalSimpleJSONPath, jsonPathText } from './jsonpath.ts';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export type SubresourceName = 'status' | 'scale' | 'log' | 'exec' | 'attach' | 'portforward' | 'binding' | 'eviction' | 'token';

/** A subresource such as `pods/log` or `deployments/scale`. */
export interface SubresourceInfo {
  readonly name: SubresourceName;
  /** Group/version/kind of the subresource's body (`autoscaling/v1 Scale` for scale). */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly verbs: readonly Verb[];
}

/** Which metadata.name rule a kind's names follow (apimachinery NameIs* / kind-specific). */
export type NameRule = 'DNS1123Subdomain' | 'DNS1123Label' | 'DNS1035Label' | 'Any';

/** A field selector key beyond the metadata ones, with how to read it from an object. */
export type FieldExtractor = (obj: KubeObject) => string;

export interface FieldSelectorSupport {
  /** Metadata keys the kind accepts (Node and Namespace upstream accept only metadata.name). */
  readonly meta: readonly ('metadata.name' | 'metadata.namespace')[];
  /** Further keys with their extractors. */
  readonly fields: Readonly<Record<string, FieldExtractor>>;
  /** Old key → current key (pods: `spec.host` → `spec.nodeName`). */
  readonly aliases?: Readonly<Record<string, string>>;
  /**
   * How an unsupported key is reported: kinds with their own conversion function say
   * `field label not supported: k`; the default conversion says
   * `"k" is not a known field selector: only "metadata.name", "metadata.namespace"`.
   */
  readonly unknown: 'not-supported' | 'not-known';
}

/** A CRD additionalPrinterColumn (or the default Age column CRs get). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly format: string;
  readonly description: string;
  readonly priority: number;
  readonly jsonPath: string;
}

export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly listKind: string;
  /** The resource name in URLs: `services`. */
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly Verb[];
  readonly subresources: readonly SubresourceInfo[];
  /** True when the kind has a status that only the `/status` subresource writes. */
  readonly hasStatus: boolean;
  /** True for the version objects are stored in (built-ins: always; CRDs: the `storage: true` version). */
  readonly storageVersion: boolean;
  readonly fieldSelectors: FieldSelectorSupport;
  readonly nameRule: NameRule;
  /** CRD-served resources: the printer columns (Age by default). Built-ins use their own printers. */
  readonly printerColumns?: readonly PrinterColumn[];
  /** CRD scale subresource paths. */
  readonly scalePaths?: { readonly specReplicasPath: string; readonly statusReplicasPath: string; readonly labelSelectorPath?: string };
  /** The CRD (metadata.name) this entry comes from. */
  readonly crd?: string;
}

/** `v1` or `apps/v1`. */
export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** `services` or `deployments.apps`, as error messages name resources. */
export function qualifiedResourceName(info: Pick<ResourceInfo, 'group' | 'plural'>): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}

// ---- small readers for extractors ----

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS: readonly Verb[] = ['get', 'patch', 'update'];

function sub(name: SubresourceName, kind: string, verbs: readonly Verb[], gv: { group: string; version: string } = { group: '', version: 'v1' }): SubresourceInfo {
  return { name, group: gv.group, version: gv.version, kind, verbs };
}

function statusSub(kind: string, group: string, version: string): SubresourceInfo {
  return sub('status', kind, STATUS_VERBS, { group, version });
}

function scaleSub(): SubresourceInfo {
  return sub('scale', 'Scale', STATUS_VERBS, { group: 'autoscaling', version: 'v1' });
}

const defaultFieldSelectors: FieldSelectorSupport = { meta: ['metadata.name', 'metadata.namespace'], fields: {}, unknown: 'not-known' };

interface Entry {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: readonly Verb[];
  subresources?: SubresourceInfo[];
  hasStatus?: boolean;
  fieldSelectors?: FieldSelectorSupport;
  nameRule?: NameRule;
}

function entry(e: Entry): ResourceInfo {
  return {
    group: e.group,
    version: e.version,
    kind: e.kind,
    listKind: `${e.kind}List`,
    plural: e.plural,
    singular: e.singular,
    namespaced: e.namespaced,
    shortNames: e.shortNames ?? [],
    categories: e.categories ?? [],
    verbs: e.verbs ?? ALL_VERBS,
    subresources: e.subresources ?? [],
    hasStatus: e.hasStatus ?? (e.subresources ?? []).some((s) => s.name === 'status'),
    storageVersion: true,
    fieldSelectors: e.fieldSelectors ?? defaultFieldSelectors,
    nameRule: e.nameRule ?? 'DNS1123Subdomain',
  };
}

// Field selectors: pkg/apis/core/v1/conversion.go (accepted labels) and the registries'
// ToSelectableFields (values). Unknown labels are rejected with the conversion's own text.

const podFields: FieldSelectorSupport = {
  meta: ['metadata.name', 'metadata.namespace'],
  fields: {
    'spec.nodeName': (o) => str((o as Pod).spec?.nodeName),
    'spec.restartPolicy': (o) => str((o as Pod).spec?.restartPolicy),
    'spec.schedulerName': (o) => str((o as Pod).spec?.schedulerName),
    'spec.serviceAccountName': (o) => str((o as Pod).spec?.serviceAccountName),
    'spec.hostNetwork': (o) => String((o as Pod).spec?.hostNetwork === true),
    'status.phase': (o) => str((o as Pod).status?.phase),
    // Upstream: the first of status.podIPs (which mirrors status.podIP).
    'status.podIP': (o) => str((o as Pod).status?.podIPs?.[0]?.ip ?? (o as Pod).status?.podIP),
    // Accepted by the conversion but never set in the selectable field set: matches only "".
    'status.podIPs': () => '',
    'status.nominatedNodeName': (o) => str((o as Pod).status?.nominatedNodeName),
  },
  aliases: { 'spec.host': 'spec.nodeName' },
  unknown: 'not-supported',
};

const nodeFields: FieldSelectorSupport = {
  meta: ['metadata.name'],
  fields: { 'spec.unschedulable': (o) => String((o as Node).spec?.unschedulable === true) },
  unknown: 'not-supported',
};

const eventFields: FieldSelectorSupport = {
  meta: ['metadata.name', 'metadata.namespace'],
  fields: {
    'involvedObject.kind': (o) => str((o as Event).involvedObject?.kind),
    'involvedObject.namespace': (o) => str((o as Event).involvedObject?.namespace),
    'involvedObject.name': (o) => str((o as Event).involvedObject?.name),
    'involvedObject.uid': (o) => str((o as Event).involvedObject?.uid),
    'involvedObject.apiVersion': (o) => str((o as Event).involvedObject?.apiVersion),
    'involvedObject.resourceVersion': (o) => str((o as Event).involvedObject?.resourceVersion),
    'involvedObject.fieldPath': (o) => str((o as Event).involvedObject?.fieldPath),
    reason: (o) => str((o as Event).reason),
    reportingComponent: (o) => str((o as Event).reportingComponent),
    source: (o) => str((o as Event).source?.component),
    type: (o) => str((o as Event).type),
  },
  unknown: 'not-supported',
};

const namespaceFields: FieldSelectorSupport = {
  meta: ['metadata.name'],
  fields: { 'status.phase': (o) => str((o as Namespace).status?.phase) },
  unknown: 'not-supported',
};

const secretFields: FieldSelectorSupport = {
  meta: ['metadata.name', 'metadata.namespace'],
  fields: { type: (o) => str((o as Secret).type) },
  unknown: 'not-supported',
};

const serviceFields: FieldSelectorSupport = {
  meta: ['metadata.name', 'metadata.namespace'],
  fields: {
    'spec.clusterIP': (o) => str((o as Service).spec?.clusterIP),
    'spec.type': (o) => str((o as Service).spec?.type),
  },
  unknown: 'not-supported',
};

const core = { group: '', version: 'v1' };
const apps = { group: 'apps', version: 'v1' };
const discovery = { group: 'discovery.k8s.io', version: 'v1' };
const networking = { group: 'networking.k8s.io', version: 'v1' };
const coordination = { group: 'coordination.k8s.io', version: 'v1' };
const apiextensions = { group: 'apiextensions.k8s.io', version: 'v1' };

/** Every built-in resource Switchboard serves, in discovery order within each group. */
export const builtinResources: readonly ResourceInfo[] = [
  entry({ ...core, kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'] }),
  entry({ ...core, kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'] }),
  entry({ ...core, kind: 'Event', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'], fieldSelectors: eventFields, nameRule: 'Any' }),
  entry({
    ...core, kind: 'Namespace', plural: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [statusSub('Namespace', '', 'v1')], fieldSelectors: namespaceFields, nameRule: 'DNS1123Label',
  }),
  entry({ ...core, kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], subresources: [statusSub('Node', '', 'v1')], fieldSelectors: nodeFields }),
  entry({
    ...core, kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'],
    subresources: [
      sub('attach', 'PodAttachOptions', ['create', 'get']),
      sub('binding', 'Binding', ['create']),
      sub('eviction', 'Eviction', ['create'], { group: 'policy', version: 'v1' }),
      sub('exec', 'PodExecOptions', ['create', 'get']),
      sub('log', 'Pod', ['get']),
      sub('portforward', 'PodPortForwardOptions', ['create', 'get']),
      statusSub('Pod', '', 'v1'),
    ],
    fieldSelectors: podFields,
  }),
  entry({ ...core, kind: 'Secret', plural: 'secrets', singular: 'secret', namespaced: true, fieldSelectors: secretFields }),
  entry({
    ...core, kind: 'ServiceAccount', plural: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'],
    subresources: [sub('token', 'TokenRequest', ['create'], { group: 'authentication.k8s.io', version: 'v1' })],
  }),
  entry({
    ...core, kind: 'Service', plural: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ['all'],
    subresources: [statusSub('Service', '', 'v1')], fieldSelectors: serviceFields, nameRule: 'DNS1035Label',
  }),
  entry({ ...apps, kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: [scaleSub(), statusSub('Deployment', 'apps', 'v1')] }),
  entry({ ...apps, kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: [scaleSub(), statusSub('ReplicaSet', 'apps', 'v1')] }),
  entry({
    ...apps, kind: 'StatefulSet', plural: 'statefulsets', singular: 'statefulset', namespaced: true, shortNames: ['sts'], categories: ['all'],
    subresources: [scaleSub(), statusSub('StatefulSet', 'apps', 'v1')], nameRule: 'DNS1123Label',
  }),
  entry({ ...discovery, kind: 'EndpointSlice', plural: 'endpointslices', singular: 'endpointslice', namespaced: true }),
  entry({ ...networking, kind: 'IngressClass', plural: 'ingressclasses', singular: 'ingressclass', namespaced: false }),
  entry({ ...networking, kind: 'Ingress', plural: 'ingresses', singular: 'ingress', namespaced: true, shortNames: ['ing'], subresources: [statusSub('Ingress', 'networking.k8s.io', 'v1')] }),
  entry({ ...networking, kind: 'NetworkPolicy', plural: 'networkpolicies', singular: 'networkpolicy', namespaced: true, shortNames: ['netpol'] }),
  entry({ ...coordination, kind: 'Lease', plural: 'leases', singular: 'lease', namespaced: true }),
  entry({
    ...apiextensions, kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', singular: 'customresourcedefinition', namespaced: false,
    shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: [statusSub('CustomResourceDefinition', 'apiextensions.k8s.io', 'v1')],
    fieldSelectors: { meta: ['metadata.name'], fields: {}, unknown: 'not-known' },
  }),
];

/**
 * Group order in `/apis`, as kube-aggregator sorts built-in groups (by group priority); CRD groups
 * follow in alphabetical order.
 */
export const builtinGroupOrder: readonly string[] = ['apps', 'networking.k8s.io', 'apiextensions.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io'];

// ---- kube-aware version order (apimachinery version.CompareKubeAwareVersionStrings) ----

const kubeVersionRe = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/** Negative when `a` sorts before `b`: GA before beta before alpha, higher first; others last, alphabetical. */
export function compareKubeVersions(a: string, b: string): number {
  const ma = kubeVersionRe.exec(a);
  const mb = kubeVersionRe.exec(b);
  if (ma === null && mb === null) return a < b ? -1 : a > b ? 1 : 0;
  if (ma === null) return 1;
  if (mb === null) return -1;
  const rank = (m: RegExpExecArray): number => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  const ra = rank(ma);
  const rb = rank(mb);
  if (ra !== rb) return rb - ra;
  const majA = Number(ma[1]);
  const majB = Number(mb[1]);
  if (majA !== majB) return majB - majA;
  return Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

// ---- CRDs ----

function crdNames(crd: CustomResourceDefinition): { plural: string; singular: string; kind: string; listKind: string; shortNames: string[]; categories: string[] } {
  const accepted = crd.status?.acceptedNames;
  const n = accepted !== undefined && typeof accepted.plural === 'string' && accepted.plural !== '' && typeof accepted.kind === 'string' && accepted.kind !== ''
    ? { ...crd.spec.names, ...accepted } : crd.spec.names;
  const kind = n.kind ?? '';
  return {
    plural: n.plural ?? '',
    singular: n.singular !== undefined && n.singular !== '' ? n.singular : kind.toLowerCase(),
    kind,
    listKind: n.listKind !== undefined && n.listKind !== '' ? n.listKind : `${kind}List`,
    shortNames: [...(n.shortNames ?? [])],
    categories: [...(n.categories ?? [])],
  };
}

const creationTimestampDoc =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** The columns a CR version prints after Name: its additionalPrinterColumns, or Age when none. */
export function printerColumnsFor(version: Pick<CustomResourceDefinitionVersion, 'additionalPrinterColumns'>): PrinterColumn[] {
  const cols: CustomResourceColumnDefinition[] = version.additionalPrinterColumns ?? [];
  if (cols.length === 0) return [{ name: 'Age', type: 'date', format: '', description: creationTimestampDoc, priority: 0, jsonPath: '.metadata.creationTimestamp' }];
  return cols.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description !== undefined && c.description !== '' ? c.description : `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
    priority: c.priority ?? 0,
    jsonPath: c.jsonPath,
  }));
}

function crdFieldSelectors(namespaced: boolean, version: CustomResourceDefinitionVersion): FieldSelectorSupport {
  const fields: Record<string, (o: KubeObject) => string> = {};
  for (const f of version.selectableFields ?? []) {
    const key = f.jsonPath.replace(/^\./, '');
    fields[key] = (o) => {
      const r = evalSimpleJSONPath(o, f.jsonPath);
      return r.found ? jsonPathText(r.value) ?? '' : '';
    };
  }
  return { meta: namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'], fields, unknown: 'not-supported' };
}

/**
 * One ResourceInfo per served version of a CRD (names from status.acceptedNames when set).
 * A stored object without a usable spec yields none.
 */
export function resourceInfoFromCRD(obj: KubeObject): ResourceInfo[] {
  const crd = obj as CustomResourceDefinition;
  const spec: Partial<CustomResourceDefinition['spec']> | undefined = crd.spec;
  if (spec === undefined || spec === null || typeof spec.group !== 'string' || spec.names === undefined || !Array.isArray(spec.versions)) return [];
  const names = crdNames(crd);
  if (names.plural === '' || names.kind === '') return [];
  const namespaced = crd.spec.scope !== 'Cluster';
  return crd.spec.versions.filter((v) => v.served).map((v) => {
    const subs: SubresourceInfo[] = [];
    const scale = v.subresources?.scale;
    if (scale !== undefined && scale !== null) subs.push(scaleSub());
    const hasStatus = v.subresources?.status !== undefined && v.subresources.status !== null;
    if (hasStatus) subs.push(statusSub(names.kind, crd.spec.group, v.name));
    const info: ResourceInfo = {
      group: crd.spec.group,
      version: v.name,
      kind: names.kind,
      listKind: names.listKind,
      plural: names.plural,
      singular: names.singular,
      namespaced,
      shortNames: names.shortNames,
      categories: names.categories,
      verbs: ALL_VERBS,
      subresources: subs,
      hasStatus,
      storageVersion: v.storage,
      fieldSelectors: crdFieldSelectors(namespaced, v),
      nameRule: 'DNS1123Subdomain',
      printerColumns: printerColumnsFor(v),
      ...(scale !== undefined && scale !== null
        ? { scalePaths: { specReplicasPath: scale.specReplicasPath, statusReplicasPath: scale.statusReplicasPath, ...(scale.labelSelectorPath !== undefined ? { labelSelectorPath: scale.labelSelectorPath } : {}) } }
        : {}),
      crd: crd.metadata.name ?? `${names.plural}.${crd.spec.group}`,
    };
    return info;
  });
}

/** True when the CRD's Established condition is True (upstream serves only established CRDs). */
export function isCRDEstablished(crd: KubeObject): boolean {
  return ((crd as CustomResourceDefinition).status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}

/** Whether `info` serves subresource `name` (`status`, `scale`, `log`, ...). */
export function hasSubresource(info: Pick<ResourceInfo, 'subresources'>, name: string): boolean {
  return info.subresources.some((s) => s.name === name);
}

// ---- lookup ----

/** A set of resources with the lookups the HTTP layer needs. Immutable; rebuild when CRDs change. */
export class ResourceCatalog {
  readonly resources: readonly ResourceInfo[];
  private readonly byGVR = new Map<string, ResourceInfo>();
  private readonly byGVK = new Map<string, ResourceInfo>();

  constructor(resources: readonly ResourceInfo[] = builtinResources) {
    this.resources = resources;
    for (const r of resources) {
      const k = `${r.group}/${r.version}/${r.plural}`;
      if (!this.byGVR.has(k)) this.byGVR.set(k, r);
      const kk = `${r.group}/${r.version}/${r.kind}`;
      if (!this.byGVK.has(kk)) this.byGVK.set(kk, r);
    }
  }

  /** The catalog plus the served versions of these CRDs (built-ins win on collisions). */
  static withCRDs(crds: readonly KubeObject[], base: readonly ResourceInfo[] = builtinResources): ResourceCatalog {
    return new ResourceCatalog([...base, ...crds.flatMap(resourceInfoFromCRD)]);
  }

  /** By group, version and plural (`('', 'v1', 'services')`). */
  get(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.byGVR.get(`${group}/${version}/${plural}`);
  }

  byKind(group: string, version: string, kind: string): ResourceInfo | undefined {
    return this.byGVK.get(`${group}/${version}/${kind}`);
  }

  /** Groups in `/apis` order (the core group "" first when present), each with its versions, preferred first. */
  groups(): { group: string; versions: string[] }[] {
    const versions = new Map<string, Set<string>>();
    for (const r of this.resources) {
      let s = versions.get(r.group);
      if (s === undefined) versions.set(r.group, (s = new Set()));
      s.add(r.version);
    }
    const order = (g: string): number => {
      if (g === '') return -1;
      const i = builtinGroupOrder.indexOf(g);
      return i >= 0 ? i : builtinGroupOrder.length;
    };
    return [...versions.keys()]
      .sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0))
      .map((group) => ({ group, versions: [...(versions.get(group) ?? [])].sort(compareKubeVersions) }));
  }

  /** Resources of one group/version, in table order. */
  inGroupVersion(group: string, version: string): ResourceInfo[] {
    return this.resources.filter((r) => r.group === group && r.version === version);
  }
}

// ---- field selectors per kind ----

/**
 * Checks and normalises a parsed field selector for a kind, as the conversion functions do:
 * unsupported keys are a 400 BadRequest with upstream's text; aliases are rewritten.
 */
export function convertFieldSelector(info: ResourceInfo, sel: FieldSelector): FieldSelector {
  const fs = info.fieldSelectors;
  return transformFieldSelector(sel, (field, value) => {
    const f = fs.aliases?.[field] ?? field;
    if ((fs.meta as readonly string[]).includes(f) || Object.hasOwn(fs.fields, f)) return [f, value];
    if (fs.unknown === 'not-known') throw badRequest(`${goQuote(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
    throw badRequest(`field label not supported: ${field}`);
  });
}

/** The selectable field set of an object (metadata.name, metadata.namespace when namespaced, and the kind's keys). */
export function fieldValuesOf(info: ResourceInfo, obj: KubeObject): Record<string, string> {
  const set: Record<string, string> = { 'metadata.name': str(obj.metadata.name) };
  if (info.namespaced) set['metadata.namespace'] = str(obj.metadata.namespace);
  for (const [k, fn] of Object.entries(info.fieldSelectors.fields)) set[k] = fn(obj);
  return set;
}

/** A predicate for list/watch filtering; `sel` must have gone through convertFieldSelector. */
export function fieldMatcher(info: ResourceInfo, sel: FieldSelector): (obj: KubeObject) => boolean {
  if (sel.requirements.length === 0) return () => true;
  return (obj) => {
    const set = fieldValuesOf(info, obj);
    return matchesFields(sel, set);
  };
}

/** Reads a JSON value at a dotted path (`spec.replicas`), for CRD scale paths and the like. */
export function readPath(obj: unknown, path: string): unknown {
  return evalSimpleJSONPath(obj, path.startsWith('.') ? path : `.${path}`).value;
}
