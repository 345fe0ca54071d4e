// The shared packet-flow conformance fixture: one set of Services and EndpointSlices and one table
// of expected outcomes that every backend runs — the iptables and nftables tracers over rendered
// rules, the userspace picker, and (with the same addresses inside network namespaces) the real
// kernel. Addresses follow kube-proxy's test conventions: pods 10.0.0.0/8 (endpoints 10.180.x),
// ClusterIPs 172.30.0.0/16, node 192.168.0.2, external IPs 192.168.99.x, LB IPs 1.2.3.4 and
// 5.6.7.8, outside clients 203.0.113.0/24 (source range 203.0.113.0/25). Pure data.
import type { EndpointSlice, Service } from '../api/types.ts';
import type { FlowCase } from './flows.ts';
import type { ProxyConfig } from './types.ts';
import { defaultProxyConfig } from './types.ts';
import { makeService, makeSlice, readyEndpoint } from './testing.ts';

export const testNodeName = 'test-node';
export const testNodeIP = '192.168.0.2';
export const externalClient = '203.0.113.2';
export const blockedClient = '203.0.113.130';

export const fixtureConfig: ProxyConfig = defaultProxyConfig({
  nodeName: testNodeName,
  nodeIPs: [testNodeIP],
  clusterCIDR: '10.0.0.0/8',
  serviceCIDRs: ['172.30.0.0/16'],
});

const p80 = [{ name: 'p80', port: 80, protocol: 'TCP' as const }];

/** The fixture's Services. */
export function fixtureServices(): Service[] {
  return [
    makeService('ns1', 'svc1', (s) => { s.spec.clusterIP = '172.30.0.41'; s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }]; }),
    makeService('ns2', 'svc2', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.clusterIP = '172.30.0.42';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
      s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
      s.spec.externalIPs = ['192.168.99.22'];
      s.spec.healthCheckNodePort = 30000;
    }),
    makeService('ns3', 'svc3', (s) => { s.spec.type = 'NodePort'; s.spec.clusterIP = '172.30.0.43'; s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3003 }]; }),
    makeService('ns4', 'svc4', (s) => { s.spec.type = 'NodePort'; s.spec.clusterIP = '172.30.0.44'; s.spec.externalIPs = ['192.168.99.33']; s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }]; }),
    makeService('ns5', 'svc5', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.externalTrafficPolicy = 'Cluster';
      s.spec.clusterIP = '172.30.0.45';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3002 }];
      s.status = { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } };
      s.spec.healthCheckNodePort = 30000;
      s.spec.loadBalancerSourceRanges = [' 203.0.113.0/25'];
      s.spec.sessionAffinity = 'ClientIP';
      s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }),
    makeService('ns6', 'svc6', (s) => { s.spec.clusterIP = '172.30.0.46'; s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }]; }),
    makeService('ns7', 'dns', (s) => {
      s.spec.clusterIP = '172.30.0.47';
      s.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 5353 }];
    }),
    makeService('ns8', 'local', (s) => { s.spec.clusterIP = '172.30.0.48'; s.spec.internalTrafficPolicy = 'Local'; s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }]; }),
    makeService('ns9', 'rolling', (s) => { s.spec.clusterIP = '172.30.0.49'; s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }]; }),
  ];
}

/** The fixture's EndpointSlices. */
export function fixtureSlices(): EndpointSlice[] {
  const one = (ns: string, svc: string, eps: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = p80) =>
    makeSlice(ns, svc, 1, (s) => { s.endpoints = eps ?? []; s.ports = ports ?? []; });
  return [
    one('ns1', 'svc1', [readyEndpoint('10.180.0.1', testNodeName)]),
    one('ns2', 'svc2', [readyEndpoint('10.180.0.2')]),
    one('ns3', 'svc3', [readyEndpoint('10.180.0.3')]),
    one('ns4', 'svc4', [readyEndpoint('10.180.0.4'), readyEndpoint('10.180.0.5', testNodeName)]),
    one('ns5', 'svc5', [readyEndpoint('10.180.0.3')]),
    one('ns7', 'dns', [readyEndpoint('10.180.0.7', testNodeName), readyEndpoint('10.180.0.8')], [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 5353, protocol: 'TCP' },
    ]),
    one('ns8', 'local', [readyEndpoint('10.180.0.10', 'other-node')]),
    one('ns9', 'rolling', [
      readyEndpoint('10.180.0.11', testNodeName, (e) => { e.conditions = { ready: false, serving: true, terminating: true }; }),
      readyEndpoint('10.180.0.12', testNodeName),
    ]),
  ];
}

// Userspace proxies every connection from its own socket: it has no masquerade column, and ports
// nobody listens on are refused by the kernel (the service CIDR is routed locally).
const us = (output: string) => ({ userspace: { output } });

/** The table every backend runs. */
export const flowTable: readonly FlowCase[] = [
  { name: 'pod to pod is not ours', sourceIP: '10.0.0.2', destIP: '10.0.0.3', destPort: 80, output: '' },
  { name: 'pod to cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80' },
  { name: 'hairpin: endpoint to its own service is masqueraded', sourceIP: '10.180.0.1', destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80', masq: true },
  { name: 'node to cluster IP is masqueraded', sourceIP: testNodeIP, destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80', masq: true },
  { name: 'outside client to cluster IP is masqueraded', sourceIP: externalClient, destIP: '172.30.0.41', destPort: 80, output: '10.180.0.1:80', masq: true },
  { name: 'cluster IP with two endpoints reaches both', sourceIP: '10.0.0.2', destIP: '172.30.0.44', destPort: 80, output: '10.180.0.4:80, 10.180.0.5:80' },
  { name: 'cluster IP without endpoints is rejected', sourceIP: '10.0.0.2', destIP: '172.30.0.46', destPort: 80, output: 'REJECT' },
  { name: 'unused port of a cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 443, output: '', backends: { nftables: { output: 'REJECT' }, ...us('REJECT') } },
  { name: 'unallocated cluster IP', sourceIP: '10.0.0.2', destIP: '172.30.0.99', destPort: 80, output: '', backends: { nftables: { output: 'DROP' }, ...us('REJECT') } },
  { name: 'UDP to a TCP-only port', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, protocol: 'UDP', output: '', backends: { nftables: { output: 'REJECT' }, ...us('REJECT') } },
  { name: 'UDP dns port', sourceIP: '10.0.0.2', destIP: '172.30.0.47', destPort: 53, protocol: 'UDP', output: '10.180.0.7:53, 10.180.0.8:53' },
  { name: 'TCP dns port uses its own target port', sourceIP: '10.0.0.2', destIP: '172.30.0.47', destPort: 53, output: '10.180.0.7:5353, 10.180.0.8:5353' },
  { name: 'outside client to NodePort', sourceIP: externalClient, destIP: testNodeIP, destPort: 3003, output: '10.180.0.3:80', masq: true },
  { name: 'node to its own NodePort', sourceIP: testNodeIP, destIP: testNodeIP, destPort: 3003, output: '10.180.0.3:80', masq: true },
  { name: 'pod to NodePort', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3003, output: '10.180.0.3:80', masq: true },
  { name: 'NodePort on an address that is not the node', sourceIP: externalClient, destIP: '192.168.0.99', destPort: 3003, output: '' },
  { name: 'outside client to eTP Local LB IP without local endpoints is dropped', sourceIP: externalClient, destIP: '1.2.3.4', destPort: 80, output: 'DROP' },
  { name: 'pod to eTP Local LB IP short-circuits to every endpoint', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: '10.180.0.2:80' },
  { name: 'node to eTP Local external IP is masqueraded to every endpoint', sourceIP: testNodeIP, destIP: '192.168.99.22', destPort: 80, output: '10.180.0.2:80', masq: true },
  { name: 'outside client to eTP Local NodePort without local endpoints is dropped', sourceIP: externalClient, destIP: testNodeIP, destPort: 3001, output: 'DROP' },
  { name: 'outside client to eTP Cluster external IP', sourceIP: externalClient, destIP: '192.168.99.33', destPort: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: true },
  { name: 'allowed source to LB IP with source ranges', sourceIP: externalClient, destIP: '5.6.7.8', destPort: 80, output: '10.180.0.3:80', masq: true },
  { name: 'blocked source to LB IP with source ranges', sourceIP: blockedClient, destIP: '5.6.7.8', destPort: 80, output: 'DROP' },
  { name: 'blocked source through the NodePort is not subject to source ranges', sourceIP: blockedClient, destIP: testNodeIP, destPort: 3002, output: '10.180.0.3:80', masq: true },
  { name: 'iTP Local without local endpoints is dropped', sourceIP: '10.0.0.2', destIP: '172.30.0.48', destPort: 80, output: 'DROP' },
  { name: 'terminating endpoint skipped while another is ready', sourceIP: '10.0.0.2', destIP: '172.30.0.49', destPort: 80, output: '10.180.0.12:80' },
  { name: 'health check NodePort', sourceIP: externalClient, destIP: testNodeIP, destPort: 30000, output: 'ACCEPT', backends: { nftables: { output: '' }, userspace: { output: '' } } },
];

/** Pods serving the fixture's endpoints on the real kernel (testbed.ts), plus a client pod 10.0.0.2. */
export const fixturePods = [
  ...['1', '2', '3', '4', '5', '10', '11', '12'].map((n) => ({ name: `e${n}`, ip: `10.180.0.${n}`, tcpPorts: [80] })),
  ...['7', '8'].map((n) => ({ name: `e${n}`, ip: `10.180.0.${n}`, tcpPorts: [5353], udpPorts: [53] })),
  { name: 'c1', ip: '10.0.0.2' },
] as const;

/** Outside clients of the fixture. */
export const fixtureExternalClients = [externalClient, blockedClient] as const;
