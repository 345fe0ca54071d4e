// The EndpointSlice that makes the kube-dns Service (10.96.0.10: ports dns 53/UDP, dns-tcp 53/TCP,
// metrics 9153/TCP) lead to this DNS server: the service proxy sends the ClusterIP's traffic to
// these endpoints. Managed under Switchboard's own managed-by label, so the EndpointSlice
// controller (which only touches slices it manages) leaves it alone.
import type { EndpointSlice } from '../../../api/types.ts';
import { builtin, createOrReplace, isNotFound, type ApiClient } from '../../../client/index.ts';
import { ipFamily } from '../../dns/ip.ts';

export const kubeDnsSliceName = 'kube-dns-switchboard';
export const managedBy = 'cluster-dns.switchboard.dev';

export interface PublishTarget {
  /** The address pods reach this server at (bridge or host IP; 127.0.0.1 with --network host). */
  address: string;
  dnsPort: number;
  /** The /metrics port, when there is one. */
  metricsPort?: number;
  nodeName?: string;
}

/** The slice for a target (pure). */
export function kubeDnsEndpointSlice(t: PublishTarget): EndpointSlice {
  const ports: NonNullable<EndpointSlice['ports']> = [
    { name: 'dns', port: t.dnsPort, protocol: 'UDP' },
    { name: 'dns-tcp', port: t.dnsPort, protocol: 'TCP' },
  ];
  if (t.metricsPort !== undefined) ports.push({ name: 'metrics', port: t.metricsPort, protocol: 'TCP' });
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: kubeDnsSliceName,
      namespace: 'kube-system',
      labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': managedBy, 'k8s-app': 'kube-dns' },
    },
    addressType: ipFamily(t.address) === 6 ? 'IPv6' : 'IPv4',
    endpoints: [{
      addresses: [t.address],
      conditions: { ready: true, serving: true, terminating: false },
      ...(t.nodeName !== undefined ? { nodeName: t.nodeName } : {}),
    }],
    ports,
  };
}

const ref = () => builtin('endpointslices', 'discovery.k8s.io');

/** Creates or replaces the slice. */
export async function publishKubeDns(client: ApiClient, t: PublishTarget): Promise<void> {
  await createOrReplace(client.resource<EndpointSlice>(ref()), kubeDnsEndpointSlice(t));
}

/** Deletes the slice (missing is fine). */
export async function unpublishKubeDns(client: ApiClient): Promise<void> {
  try {
    await client.resource<EndpointSlice>(ref()).delete('kube-system', kubeDnsSliceName);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
