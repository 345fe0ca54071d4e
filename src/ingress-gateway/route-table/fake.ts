// Builders for the objects the compiler reads, for this component's tests and others' (product
// code, as the style guide asks): each takes an override closure,
// `makeIngress('ns1', 'web', i => { i.spec!.ingressClassName = 'nginx' })`.
import type { ConfigMap, EndpointSlice, Ingress, IngressClass, Secret, Service } from '../../api/types.ts';
import type { ClusterState } from './compile.ts';
import { switchboardController } from './ingress-class.ts';

type Tweak<T> = (o: T) => void;

let seq = 0;
function stamp(): string {
  // Increasing creation timestamps so "oldest first" follows creation order in tests.
  seq++;
  return new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString().replace('.000Z', 'Z');
}

/** An Ingress with no rules; `tweak` fills it in. */
export function makeIngress(namespace: string, name: string, tweak?: Tweak<Ingress>): Ingress {
  const ing: Ingress = {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { namespace, name, uid: `uid-${namespace}-${name}`, creationTimestamp: stamp(), generation: 1 },
    spec: { rules: [] },
  };
  tweak?.(ing);
  return ing;
}

/** A rule `host` with one path to `service:port`. */
export function rule(host: string | undefined, path: string, pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific', service: string, port: number | string): NonNullable<NonNullable<Ingress['spec']>['rules']>[number] {
  const r: NonNullable<NonNullable<Ingress['spec']>['rules']>[number] = {
    http: { paths: [{ path, pathType, backend: { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } } }] },
  };
  if (host !== undefined) r.host = host;
  return r;
}

/** A ClusterIP Service with the given TCP ports (`[80, 'http']` style pairs or numbers). */
export function makeService(namespace: string, name: string, ports: readonly (number | [number, string])[], tweak?: Tweak<Service>): Service {
  const svc: Service = {
    apiVersion: 'v1', kind: 'Service', metadata: { namespace, name, uid: `uid-svc-${name}` },
    spec: {
      type: 'ClusterIP', clusterIP: '10.96.0.100', selector: { app: name },
      ports: ports.map((p) => (typeof p === 'number' ? { port: p, protocol: 'TCP', targetPort: p } : { port: p[0], name: p[1], protocol: 'TCP', targetPort: p[0] })),
    },
  };
  tweak?.(svc);
  return svc;
}

/** An EndpointSlice of `service` with one port (name '' for an unnamed Service port) and ready addresses. */
export function makeSlice(namespace: string, service: string, portName: string, port: number, addresses: readonly string[], tweak?: Tweak<EndpointSlice>): EndpointSlice {
  const sl: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { namespace, name: `${service}-${portName === '' ? 'p' : portName}-${port}`, labels: { 'kubernetes.io/service-name': service } },
    addressType: addresses.some((a) => a.includes(':')) ? 'IPv6' : 'IPv4',
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true, serving: true, terminating: false } })),
    ports: [{ name: portName, port, protocol: 'TCP' }],
  };
  tweak?.(sl);
  return sl;
}

/** A kubernetes.io/tls Secret from PEM text. */
export function makeTLSSecret(namespace: string, name: string, certPem: string, keyPem: string): Secret {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { namespace, name },
    data: { 'tls.crt': Buffer.from(certPem).toString('base64'), 'tls.key': Buffer.from(keyPem).toString('base64') },
  };
}

/** A ConfigMap with string data. */
export function makeConfigMap(namespace: string, name: string, data: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data };
}

/** The bootstrap classes: `switchboard` (default) and `nginx`, both ours. */
export function bootstrapClasses(): IngressClass[] {
  return [
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'switchboard', creationTimestamp: '2025-01-01T00:00:00Z', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: switchboardController } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx', creationTimestamp: '2025-01-01T00:00:00Z' }, spec: { controller: switchboardController } },
  ];
}

/** A ClusterState with the bootstrap classes and whatever `tweak` adds. */
export function makeState(tweak?: Tweak<{ ingresses: Ingress[]; ingressClasses: IngressClass[]; services: Service[]; endpointSlices: EndpointSlice[]; secrets: Secret[]; configMaps: ConfigMap[] }>): ClusterState {
  const s = { ingresses: [] as Ingress[], ingressClasses: bootstrapClasses(), services: [] as Service[], endpointSlices: [] as EndpointSlice[], secrets: [] as Secret[], configMaps: [] as ConfigMap[] };
  tweak?.(s);
  return s;
}
