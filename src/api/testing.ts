// Builders for tests of src/api and its users: objects with sensible defaults, changed by an
// override closure (`makeService('ns1', 'svc1', s => { s.spec.type = 'NodePort' })`). Product
// code: other components' tests may import it.
import type {
  KubeObject, Pod, Service, Deployment, ReplicaSet, StatefulSet, Endpoints, EndpointSlice, Ingress, IngressClass,
  NetworkPolicy, Node, Event, Namespace, ConfigMap, Secret, ServiceAccount, Lease, CustomResourceDefinition,
  PodSpec, ServiceSpec,
} from './types.ts';

/** The creation time builders use: 5 minutes before `testNow`. */
export const testNow = new Date('2024-05-01T10:00:00Z');
export const fiveMinutesAgo = '2024-05-01T09:55:00Z';

type Override<T> = (o: T) => void;

function meta(namespace: string, name: string): KubeObject['metadata'] {
  const m: KubeObject['metadata'] = { name, uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: fiveMinutesAgo };
  if (namespace !== '') m.namespace = namespace;
  return m;
}

function build<T extends KubeObject>(obj: T, override?: Override<T>): T {
  override?.(obj);
  return obj;
}

export function makePod(namespace: string, name: string, override?: Override<Pod & { spec: PodSpec }>): Pod & { spec: PodSpec } {
  return build({
    apiVersion: 'v1', kind: 'Pod', metadata: meta(namespace, name),
    spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], nodeName: 'node1' },
    status: {
      phase: 'Running', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }],
      conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, started: true, state: { running: { startedAt: fiveMinutesAgo } } }],
    },
  }, override);
}

export function makeService(namespace: string, name: string, override?: Override<Service & { spec: ServiceSpec }>): Service & { spec: ServiceSpec } {
  return build({
    apiVersion: 'v1', kind: 'Service', metadata: meta(namespace, name),
    spec: {
      type: 'ClusterIP', clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], selector: { app: name },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], sessionAffinity: 'None',
    },
    status: { loadBalancer: {} },
  }, override);
}

export function makeDeployment(namespace: string, name: string, override?: Override<Deployment>): Deployment {
  return build({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(namespace, name),
    spec: {
      replicas: 3, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } },
    },
    status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
  }, override);
}

export function makeReplicaSet(namespace: string, name: string, override?: Override<ReplicaSet>): ReplicaSet {
  return build({
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta(namespace, name),
    spec: {
      replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d4f' } },
      template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } },
    },
    status: { replicas: 3, readyReplicas: 2 },
  }, override);
}

export function makeStatefulSet(namespace: string, name: string, override?: Override<StatefulSet>): StatefulSet {
  return build({
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(namespace, name),
    spec: { replicas: 2, serviceName: name, selector: { matchLabels: { app: name } }, template: { spec: { containers: [{ name: 'db', image: 'postgres:16' }] } } },
    status: { replicas: 2, readyReplicas: 1 },
  }, override);
}

export function makeEndpoints(namespace: string, name: string, override?: Override<Endpoints>): Endpoints {
  return build({
    apiVersion: 'v1', kind: 'Endpoints', metadata: meta(namespace, name),
    subsets: [{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 8080, protocol: 'TCP' }] }],
  }, override);
}

export function makeEndpointSlice(namespace: string, name: string, override?: Override<EndpointSlice>): EndpointSlice {
  return build({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta(namespace, name),
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }],
    ports: [{ name: '', port: 8080, protocol: 'TCP' }],
  }, override);
}

export function makeIngress(namespace: string, name: string, override?: Override<Ingress>): Ingress {
  return build({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta(namespace, name),
    spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    status: { loadBalancer: {} },
  }, override);
}

export function makeIngressClass(name: string, override?: Override<IngressClass>): IngressClass {
  return build({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: meta('', name), spec: { controller: 'switchboard.dev/ingress' } }, override);
}

export function makeNetworkPolicy(namespace: string, name: string, override?: Override<NetworkPolicy>): NetworkPolicy {
  return build({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(namespace, name), spec: { podSelector: {} } }, override);
}

export function makeNode(name: string, override?: Override<Node>): Node {
  return build({
    apiVersion: 'v1', kind: 'Node', metadata: meta('', name),
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: name }],
      nodeInfo: { kubeletVersion: 'v1.32.4', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'switchboard://0.1.0' },
    },
  }, override);
}

export function makeEvent(namespace: string, name: string, override?: Override<Event>): Event {
  return build({
    apiVersion: 'v1', kind: 'Event', metadata: meta(namespace, name),
    involvedObject: { kind: 'Pod', namespace, name: 'web-1', uid: 'uid-web-1', apiVersion: 'v1' },
    reason: 'Scheduled', message: 'Successfully assigned default/web-1 to node1', type: 'Normal',
    source: { component: 'default-scheduler' }, firstTimestamp: fiveMinutesAgo, lastTimestamp: fiveMinutesAgo, count: 1,
  }, override);
}

export function makeNamespace(name: string, override?: Override<Namespace>): Namespace {
  return build({ apiVersion: 'v1', kind: 'Namespace', metadata: meta('', name), spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }, override);
}

export function makeConfigMap(namespace: string, name: string, override?: Override<ConfigMap>): ConfigMap {
  return build({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(namespace, name), data: { a: '1' } }, override);
}

export function makeSecret(namespace: string, name: string, override?: Override<Secret>): Secret {
  return build({ apiVersion: 'v1', kind: 'Secret', metadata: meta(namespace, name), type: 'Opaque', data: { password: 'cGFzcw==' } }, override);
}

export function makeServiceAccount(namespace: string, name: string, override?: Override<ServiceAccount>): ServiceAccount {
  return build({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(namespace, name) }, override);
}

export function makeLease(namespace: string, name: string, override?: Override<Lease>): Lease {
  return build({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta(namespace, name), spec: { holderIdentity: name, leaseDurationSeconds: 40 } }, override);
}

export function makeCRD(group: string, plural: string, kind: string, override?: Override<CustomResourceDefinition>): CustomResourceDefinition {
  return build({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: meta('', `${plural}.${group}`),
    spec: {
      group, scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  }, override);
}

export function makeCustomResource(apiVersion: string, kind: string, namespace: string, name: string, override?: Override<KubeObject>): KubeObject {
  return build({ apiVersion, kind, metadata: meta(namespace, name) }, override);
}
