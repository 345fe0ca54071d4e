// The fixed fake cluster the kubernetes tables run against (and the bench's small sample).
import { makeEndpoint, makeNamespace, makePod, makeService, makeSlice, StaticClusterView } from './fake.ts';

/** A cluster with one of each kind of Service the DNS schema covers. */
export function fixtureCluster(): StaticClusterView {
  return new StaticClusterView({
    modified: 1_700_000_000,
    namespaces: ['default', 'kube-system', 'test', 'empty-ns'].map((n) => makeNamespace(n)),
    services: [
      makeService('default', 'kubernetes', '10.96.0.1', (s) => { s.spec!.ports = [{ name: 'https', port: 443, protocol: 'TCP' }]; }),
      makeService('kube-system', 'kube-dns', '10.96.0.10', (s) => {
        s.spec!.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'metrics', port: 9153, protocol: 'TCP' }];
      }),
      makeService('test', 'web', '10.96.0.20', (s) => {
        s.spec!.ports = [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'https', port: 443, protocol: 'TCP' }];
      }),
      makeService('test', 'shared', '10.96.0.40'),
      makeService('test', 'lonely', '10.96.0.50'),
      makeService('test', 'dual', '10.96.0.30', (s) => {
        s.spec!.clusterIPs = ['10.96.0.30', 'fd00:10:96::30'];
        s.spec!.ipFamilies = ['IPv4', 'IPv6'];
      }),
      makeService('test', 'db', 'None', (s) => { s.spec!.ports = [{ name: 'postgres', port: 5432, protocol: 'TCP' }]; }),
      makeService('test', 'portless', 'None', (s) => { delete s.spec!.ports; }),
      makeService('test', 'unready', 'None'),
      makeService('test', 'v6', 'None', (s) => { s.spec!.ipFamilies = ['IPv6']; }),
      makeService('test', 'ext', '', (s) => { s.spec = { type: 'ExternalName', externalName: 'example.com' }; }),
      makeService('test', 'ext-in', '', (s) => { s.spec = { type: 'ExternalName', externalName: 'web.test.svc.cluster.local' }; }),
      makeService('test', 'ext-ip', '', (s) => { s.spec = { type: 'ExternalName', externalName: '192.0.2.7' }; }),
    ],
    slices: [
      makeSlice('default', 'kubernetes', 'kubernetes', [makeEndpoint('192.168.1.2')], (s) => { s.ports = [{ name: 'https', port: 6443, protocol: 'TCP' }]; }),
      makeSlice('test', 'web', 'web-abcde', [
        makeEndpoint('10.244.0.5', (e) => { e.targetRef = { kind: 'Pod', namespace: 'test', name: 'web-7d9f-x2k4p' }; }),
        makeEndpoint('10.244.0.6', (e) => { e.conditions = { ready: false }; }),
      ], (s) => { s.ports = [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'https', port: 8443, protocol: 'TCP' }]; }),
      makeSlice('test', 'shared', 'shared-1', [makeEndpoint('10.244.0.5')]),
      makeSlice('test', 'db', 'db-1', [
        makeEndpoint('10.244.1.10', (e) => { e.hostname = 'db-0'; e.targetRef = { kind: 'Pod', namespace: 'test', name: 'db-0' }; }),
        makeEndpoint('10.244.1.11', (e) => { e.hostname = 'db-1'; }),
        makeEndpoint('10.244.1.12', (e) => { e.hostname = 'db-2'; e.conditions = { ready: false }; }),
      ], (s) => { s.ports = [{ name: 'postgres', port: 5432, protocol: 'TCP' }]; }),
      // The same address in a second slice of the same Service yields one PTR.
      makeSlice('test', 'db', 'db-2', [makeEndpoint('10.244.1.10', (e) => { e.hostname = 'db-0'; })], (s) => { s.ports = [{ name: 'postgres', port: 5432, protocol: 'TCP' }]; }),
      makeSlice('test', 'portless', 'portless-1', [makeEndpoint('10.244.2.1')], (s) => { s.ports = []; }),
      makeSlice('test', 'unready', 'unready-1', [makeEndpoint('10.244.3.1', (e) => { e.conditions = { ready: false }; })]),
      makeSlice('test', 'v6', 'v6-1', [makeEndpoint('fd00:10:244::5', (e) => { e.hostname = 'v6-0'; })], (s) => { s.addressType = 'IPv6'; }),
    ],
    pods: [
      makePod('test', 'web-7d9f-x2k4p', '10.244.0.5'),
      makePod('test', 'db-0', '10.244.1.10'),
    ],
  });
}

/** The kubeadm kubernetes block (seed 000) with the default TTL of 5 so answers show CoreDNS's default. */
export const kubeadmCorefile = `.:53 {
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
    }
}`;

/** The SOA every negative answer of the fixture carries (TTL = minimum = 5). */
export const fixtureSOA = 'cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 5';
