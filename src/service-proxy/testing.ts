// Builders for Services and EndpointSlices with override closures, shared by the proxy's unit
// tests, the packet-flow conformance tables, the kernel end-to-end tests and the bench
// (`makeService('ns1', 'svc1', s => { s.spec.type = 'NodePort' })`). Pure.
import type { EndpointSlice, EndpointSliceEndpoint, Service, ServiceSpec } from '../api/types.ts';
import { serviceNameLabel } from './endpoints.ts';
import { EndpointSliceChangeTracker, ProxyState, ServiceChangeTracker } from './changes.ts';

/** A Service whose spec is always present, for edit closures. */
export type EditableService = Service & { spec: ServiceSpec };

/** A ClusterIP Service `ns/name` with no ports; `edit` fills in the rest. */
export function makeService(namespace: string, name: string, edit?: (s: EditableService) => void): Service {
  const s: EditableService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, resourceVersion: '1' },
    spec: { type: 'ClusterIP', sessionAffinity: 'None', ports: [] },
  };
  edit?.(s);
  return s;
}

/** EndpointSlice `<name>-<n>` for Service `ns/name`, IPv4, empty; `edit` fills in the rest. */
export function makeSlice(namespace: string, service: string, n: number, edit?: (s: EndpointSlice) => void): EndpointSlice {
  const s: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: `${service}-${n}`, labels: { [serviceNameLabel]: service }, resourceVersion: '1' },
    addressType: 'IPv4',
    endpoints: [],
    ports: [],
  };
  edit?.(s);
  return s;
}

/** A ready endpoint at `ip` (optionally on `nodeName`). */
export function readyEndpoint(ip: string, nodeName?: string, edit?: (e: EndpointSliceEndpoint) => void): EndpointSliceEndpoint {
  const e: EndpointSliceEndpoint = { addresses: [ip], conditions: { ready: true, serving: true, terminating: false } };
  if (nodeName !== undefined) e.nodeName = nodeName;
  edit?.(e);
  return e;
}


/** A ProxyState holding exactly `services` and `slices` (as if every event had been applied). */
export function stateFrom(services: readonly Service[], slices: readonly EndpointSlice[], nodeName: string): ProxyState {
  const st = new ProxyState();
  const svcs = new ServiceChangeTracker();
  const eps = new EndpointSliceChangeTracker(nodeName);
  for (const s of services) svcs.update(undefined, s);
  for (const s of slices) eps.update(s);
  st.apply(svcs, eps);
  return st;
}
