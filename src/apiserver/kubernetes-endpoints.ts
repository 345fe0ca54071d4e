// The endpoints of the `kubernetes` Service (default/kubernetes, 10.96.0.1:443 → port `https`), as
// kube-apiserver's endpoint reconciler keeps them: an Endpoints object and an EndpointSlice named
// `kubernetes`, both pointing at the address Pods reach the API server on. The Service has no
// selector, so the EndpointSlice and Endpoints controllers leave both alone. Builders are pure.
import type { EndpointSlice, KubeObject } from '../api/types.ts';
import { builtin, createOrReplace, type ApiClient } from '../client/index.ts';

/** Endpoints and EndpointSlice for the API server at `address:port`. */
export function kubernetesEndpoints(address: string, port: number): { endpoints: KubeObject; slice: EndpointSlice } {
  const v6 = address.includes(':');
  return {
    endpoints: {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: address }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
    },
    slice: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: v6 ? 'IPv6' : 'IPv4',
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    },
  };
}

/** Writes both objects (create or replace). */
export async function publishKubernetesEndpoints(client: ApiClient, address: string, port: number): Promise<void> {
  const { endpoints, slice } = kubernetesEndpoints(address, port);
  await createOrReplace(client.resource(builtin('endpoints')), endpoints);
  await createOrReplace(client.resource<EndpointSlice>(builtin('endpointslices', 'discovery.k8s.io')), slice);
}
