// Defaulting as kube-apiserver applies it when it decodes a request body (pkg/apis/*/v1/defaults.go
// and the generated +default markers), for the kinds Switchboard serves; plus Namespace's
// create-time finalizer. ClusterIP/NodePort allocation and ipFamilies are NOT here (see the
// Service allocation strategy). Pure: returns a defaulted copy.
import type {
  KubeObject, Pod, PodSpec, Container, Probe, Volume, Service, Deployment, ReplicaSet, StatefulSet,
  Namespace, Secret, EndpointSlice, Endpoints, Node, NetworkPolicy, IngressClass, CustomResourceDefinition,
} from './types.ts';
import type { ResourceInfo } from './resources.ts';

export interface DefaultOptions {
  /**
   * `create` also applies create-only defaults (Namespace `spec.finalizers: [kubernetes]`, which
   * upstream adds in PrepareForCreate because it may be removed later). Default `create`.
   */
  operation?: 'create' | 'update';
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The tag an image reference pulls: `latest` when it has neither tag nor digest, `''` when it has
 * only a digest or does not parse (upstream then defaults the pull policy to IfNotPresent).
 */
export function imageTag(image: string): string {
  if (image === '') return '';
  let ref = image;
  let digest = '';
  const at = ref.indexOf('@');
  if (at >= 0) {
    digest = ref.slice(at + 1);
    ref = ref.slice(0, at);
  }
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  let tag = colon > slash ? ref.slice(colon + 1) : '';
  const repo = colon > slash ? ref.slice(0, colon) : ref;
  // The path after a registry host must be lowercase (docker reference grammar).
  const first = repo.split('/')[0] ?? '';
  const hasHost = repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasHost ? repo.slice(first.length + 1) : repo;
  if (path === '' || path !== path.toLowerCase()) return '';
  if (tag === '' && digest === '') tag = 'latest';
  return tag;
}

export function defaultProbe(p: Probe | undefined): void {
  if (p === undefined) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  if (p.httpGet !== undefined) {
    if (!p.httpGet.path) p.httpGet.path = '/';
    if (!p.httpGet.scheme) p.httpGet.scheme = 'HTTP';
  }
}

function defaultFieldRef(v: unknown): void {
  if (isObj(v) && isObj(v['fieldRef']) && !v['fieldRef']['apiVersion']) v['fieldRef']['apiVersion'] = 'v1';
}

/** SetDefaults_Container and the per-field defaults of a container. */
export function defaultContainer(c: Container): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  for (const p of c.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  for (const e of c.env ?? []) defaultFieldRef(e.valueFrom);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  for (const h of ['postStart', 'preStop']) {
    const handler = c.lifecycle?.[h];
    if (isObj(handler) && isObj(handler['httpGet'])) {
      if (!handler['httpGet']['path']) handler['httpGet']['path'] = '/';
      if (!handler['httpGet']['scheme']) handler['httpGet']['scheme'] = 'HTTP';
    }
  }
}

/** SetDefaults_Volume and its sources' default modes. */
export function defaultVolume(v: Volume): void {
  if (Object.keys(v).every((k) => k === 'name')) v.emptyDir = {};
  if (v.configMap !== undefined && v.configMap.defaultMode === undefined) v.configMap.defaultMode = 420;
  if (v.secret !== undefined && v.secret.defaultMode === undefined) v.secret.defaultMode = 420;
  if (v.downwardAPI !== undefined) {
    if (v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = 420;
    for (const item of v.downwardAPI.items ?? []) defaultFieldRef(item);
  }
  if (v.projected !== undefined) {
    if (v.projected.defaultMode === undefined) v.projected.defaultMode = 420;
    for (const src of v.projected.sources ?? []) {
      const sat = src['serviceAccountToken'];
      if (isObj(sat) && sat['expirationSeconds'] === undefined) sat['expirationSeconds'] = 3600;
      const dapi = src['downwardAPI'];
      if (isObj(dapi) && Array.isArray(dapi['items'])) for (const item of dapi['items']) defaultFieldRef(item);
    }
  }
  if (v.hostPath !== undefined && v.hostPath.type === undefined) v.hostPath.type = '';
}

/** SetDefaults_PodSpec plus the containers and volumes in it (pods and pod templates). */
export function defaultPodSpec(spec: PodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (spec.securityContext === undefined || spec.securityContext === null) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

function requestsFromLimits(containers: Container[] | undefined): void {
  for (const c of containers ?? []) {
    const limits = c.resources?.limits;
    if (limits === undefined || c.resources === undefined) continue;
    const requests = (c.resources.requests ??= {});
    for (const [k, v] of Object.entries(limits)) if (!Object.hasOwn(requests, k)) requests[k] = v;
  }
}

/** SetDefaults_Pod: pod-only defaults (not applied to templates), then the pod spec. */
export function defaultPod(pod: Pod): void {
  const spec = pod.spec;
  if (spec === undefined) return;
  requestsFromLimits(spec.containers);
  requestsFromLimits(spec.initContainers);
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  defaultPodSpec(spec);
}

function defaultTemplate(t: { spec?: PodSpec } | undefined): void {
  if (t?.spec !== undefined) defaultPodSpec(t.spec);
}

/** SetDefaults_Service (no allocation: clusterIPs, ipFamilies and nodePorts come from the allocator). */
export function defaultService(svc: Service): void {
  const spec = (svc.spec ??= {});
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    if (cfg === undefined || cfg === null || cfg.clientIP === undefined || cfg.clientIP.timeoutSeconds === undefined) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of spec.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const externallyAccessible = spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && (spec.externalIPs ?? []).length > 0);
  if (externallyAccessible && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy === undefined && (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (ing.ip !== undefined && ing.ip !== '' && ing.ipMode === undefined) ing.ipMode = 'VIP';
    }
  }
}

/** SetDefaults_Deployment and its pod template. */
export function defaultDeployment(d: Deployment): void {
  const spec = (d.spec ??= {});
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  const strategy = (spec.strategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = '25%';
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = '25%';
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null) spec.progressDeadlineSeconds = 600;
  defaultTemplate(spec.template);
}

/** SetDefaults_ReplicaSet and its pod template. */
export function defaultReplicaSet(rs: ReplicaSet): void {
  const spec = (rs.spec ??= {});
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  defaultTemplate(spec.template);
}

/** SetDefaults_StatefulSet, its pod template and its volume claim templates. */
export function defaultStatefulSet(s: StatefulSet): void {
  const spec = (s.spec ??= {});
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  const us = (spec.updateStrategy ??= {});
  if (!us.type) {
    us.type = 'RollingUpdate';
    if (us.rollingUpdate === undefined || us.rollingUpdate === null) us.rollingUpdate = {};
  }
  if (us.type === 'RollingUpdate' && us.rollingUpdate !== undefined && us.rollingUpdate !== null && us.rollingUpdate.partition === undefined) {
    us.rollingUpdate.partition = 0;
  }
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  if (!retention.whenDeleted) retention.whenDeleted = 'Retain';
  if (!retention.whenScaled) retention.whenScaled = 'Retain';
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  defaultTemplate(spec.template);
  for (const pvc of spec.volumeClaimTemplates ?? []) {
    const pspec = isObj(pvc['spec']) ? pvc['spec'] : (pvc['spec'] = {});
    if (pspec['volumeMode'] === undefined) pspec['volumeMode'] = 'Filesystem';
    const pstatus = isObj(pvc['status']) ? pvc['status'] : (pvc['status'] = {});
    if (!pstatus['phase']) pstatus['phase'] = 'Pending';
  }
}

/** SetDefaults_Namespace (the metadata.name label), the status phase, and on create the `kubernetes` finalizer. */
export function defaultNamespace(ns: Namespace, operation: 'create' | 'update' = 'create'): void {
  const name = ns.metadata.name ?? '';
  if (name !== '') ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
  const status = (ns.status ??= {});
  if (!status.phase) status.phase = 'Active';
  if (operation === 'create') {
    const spec = (ns.spec ??= {});
    const fins = spec.finalizers ?? [];
    if (!fins.includes('kubernetes')) spec.finalizers = [...fins, 'kubernetes'];
  }
}

export function defaultSecret(s: Secret): void {
  if (!s.type) s.type = 'Opaque';
}

export function defaultEndpointSlice(s: EndpointSlice): void {
  for (const p of s.ports ?? []) {
    if (p.name === undefined || p.name === null) p.name = '';
    if (p.protocol === undefined || p.protocol === null) p.protocol = 'TCP';
  }
}

export function defaultEndpoints(e: Endpoints): void {
  for (const ss of e.subsets ?? []) for (const p of ss.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
}

export function defaultNode(n: Node): void {
  const st = n.status;
  if (st !== undefined && st.allocatable === undefined && st.capacity !== undefined) st.allocatable = { ...st.capacity };
}

export function defaultNetworkPolicy(np: NetworkPolicy): void {
  const spec = (np.spec ??= {});
  for (const r of spec.ingress ?? []) for (const p of r.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  for (const r of spec.egress ?? []) for (const p of r.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  if ((spec.policyTypes ?? []).length === 0) {
    spec.policyTypes = (spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

export function defaultIngressClass(ic: IngressClass): void {
  const p = ic.spec?.parameters;
  if (p !== undefined && p !== null && p.scope === undefined) p.scope = 'Cluster';
}

export function defaultCRD(crd: CustomResourceDefinition): void {
  const names = crd.spec.names;
  if (!names.singular) names.singular = names.kind.toLowerCase();
  if (!names.listKind) names.listKind = `${names.kind}List`;
  if (crd.spec.conversion === undefined) crd.spec.conversion = { strategy: 'None' };
}

type Defaulter = (obj: KubeObject, operation: 'create' | 'update') => void;

const defaulters: Readonly<Record<string, Defaulter>> = {
  '/pods': (o) => defaultPod(o as Pod),
  '/services': (o) => defaultService(o as Service),
  '/namespaces': (o, op) => defaultNamespace(o as Namespace, op),
  '/secrets': (o) => defaultSecret(o as Secret),
  '/endpoints': (o) => defaultEndpoints(o as Endpoints),
  '/nodes': (o) => defaultNode(o as Node),
  'apps/deployments': (o) => defaultDeployment(o as Deployment),
  'apps/replicasets': (o) => defaultReplicaSet(o as ReplicaSet),
  'apps/statefulsets': (o) => defaultStatefulSet(o as StatefulSet),
  'discovery.k8s.io/endpointslices': (o) => defaultEndpointSlice(o as EndpointSlice),
  'networking.k8s.io/networkpolicies': (o) => defaultNetworkPolicy(o as NetworkPolicy),
  'networking.k8s.io/ingressclasses': (o) => defaultIngressClass(o as IngressClass),
  'apiextensions.k8s.io/customresourcedefinitions': (o) => defaultCRD(o as CustomResourceDefinition),
};

/**
 * A defaulted deep copy of `obj` for resource `info` (the input is not modified). Kinds without
 * defaults (ConfigMap, Event, Ingress, Lease, custom resources, ...) come back unchanged.
 */
export function defaultObject<T extends KubeObject>(info: Pick<ResourceInfo, 'group' | 'plural' | 'crd'>, obj: T, opts: DefaultOptions = {}): T {
  const copy = structuredClone(obj);
  if (info.crd !== undefined) return copy;
  const fn = defaulters[`${info.group}/${info.plural}`];
  if (fn !== undefined) fn(copy, opts.operation ?? 'create');
  return copy;
}
