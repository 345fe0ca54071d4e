import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { tableFor, tableForWatchEvent, columnsFor, parseIncludeObject, podStatusSummary } from './tables.ts';
import { ResourceCatalog, resourceInfoFromCRD, type ResourceInfo } from './resources.ts';
import type { KubeObject } from './types.ts';
import { StatusError } from '../machinery/status.ts';
import {
  testNow, fiveMinutesAgo, makeService, makePod, makeDeployment, makeReplicaSet, makeStatefulSet, makeEndpoints,
  makeEndpointSlice, makeIngress, makeIngressClass, makeNetworkPolicy, makeNode, makeEvent, makeNamespace,
  makeConfigMap, makeSecret, makeServiceAccount, makeLease, makeCRD, makeCustomResource,
} from './testing.ts';

const catalog = new ResourceCatalog();

function infoFor(group: string, plural: string): ResourceInfo {
  const info = catalog.resources.find((r) => r.group === group && r.plural === plural);
  if (info === undefined) throw new Error(`no resource ${group}/${plural}`);
  return info;
}

function cells(info: ResourceInfo, obj: KubeObject): unknown[] {
  return tableFor(info, [obj], testNow).rows[0]?.cells ?? [];
}

/** The row as kubectl prints it: default columns (priority 0), or all with `wide`. */
function line(info: ResourceInfo, obj: KubeObject, wide = false): string {
  const cols = columnsFor(info);
  return cells(info, obj).filter((_, i) => wide || cols[i]?.priority === 0).map((c) => (c === null ? '' : String(c))).join(' ');
}

type Case = { name: string; given: KubeObject; want: string };

function rows(title: string, info: ResourceInfo, cases: Case[], wide = true): void {
  describe(title, () => {
    for (const tc of cases) test(tc.name, () => assert.equal(line(info, tc.given, wide), tc.want));
  });
}

rows('services', infoFor('', 'services'), [
  { name: 'ClusterIP', given: makeService('default', 'web'), want: 'web ClusterIP 10.96.0.12 <none> 80/TCP 5m app=web' },
  {
    name: 'NodePort', given: makeService('default', 'web', (s) => {
      s.spec.type = 'NodePort';
      s.spec.ports = [{ port: 80, nodePort: 30080, protocol: 'TCP' }];
    }),
    want: 'web NodePort 10.96.0.12 <none> 80:30080/TCP 5m app=web',
  },
  {
    name: 'LoadBalancer pending', given: makeService('default', 'web', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.ports = [{ port: 80, nodePort: 31000, protocol: 'TCP' }];
    }),
    want: 'web LoadBalancer 10.96.0.12 <pending> 80:31000/TCP 5m app=web',
  },
  {
    name: 'LoadBalancer with ingress sorted and never clipped', given: makeService('default', 'web', (s) => {
      s.spec.type = 'LoadBalancer';
      s.status = { loadBalancer: { ingress: [{ ip: '192.168.100.21' }, { ip: '192.168.100.20' }, { ip: '192.168.100.20' }] } };
    }),
    want: 'web LoadBalancer 10.96.0.12 192.168.100.20,192.168.100.21 80/TCP 5m app=web',
  },
  {
    name: 'LoadBalancer with externalIPs after ingress', given: makeService('default', 'web', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.externalIPs = ['1.2.3.4'];
      s.status = { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } };
    }),
    want: 'web LoadBalancer 10.96.0.12 lb.example.com,1.2.3.4 80/TCP 5m app=web',
  },
  {
    name: 'ExternalName shows the name', given: makeService('default', 'ext', (s) => {
      s.spec = { type: 'ExternalName', externalName: 'example.com' };
    }),
    want: 'ext ExternalName <none> example.com <none> 5m <none>',
  },
  {
    name: 'headless', given: makeService('default', 'db', (s) => {
      s.spec.clusterIP = 'None';
      s.spec.clusterIPs = ['None'];
      s.spec.ports = [{ port: 5432, protocol: 'TCP' }, { port: 53, protocol: 'UDP', name: 'dns' }];
    }),
    want: 'db ClusterIP None <none> 5432/TCP,53/UDP 5m app=db',
  },
  {
    name: 'ClusterIP with externalIPs', given: makeService('default', 'web', (s) => { s.spec.externalIPs = ['1.2.3.4', '5.6.7.8']; }),
    want: 'web ClusterIP 10.96.0.12 1.2.3.4,5.6.7.8 80/TCP 5m app=web',
  },
  { name: 'no type yet', given: makeService('default', 'web', (s) => { delete s.spec.type; }), want: 'web  10.96.0.12 <unknown> 80/TCP 5m app=web' },
]);

test('services: default columns as kubectl shows them', () => {
  assert.equal(line(infoFor('', 'services'), makeService('default', 'web'), false), 'web ClusterIP 10.96.0.12 <none> 80/TCP 5m');
  assert.deepEqual(columnsFor(infoFor('', 'services')).map((c) => [c.name, c.type, c.format, c.priority]), [
    ['Name', 'string', 'name', 0], ['Type', 'string', '', 0], ['Cluster-IP', 'string', '', 0], ['External-IP', 'string', '', 0],
    ['Port(s)', 'string', '', 0], ['Age', 'string', '', 0], ['Selector', 'string', '', 1],
  ]);
});

const minus = (ms: number) => new Date(testNow.getTime() - ms).toISOString().replace(/\.\d+Z$/, 'Z');

rows('pods', infoFor('', 'pods'), [
  { name: 'running', given: makePod('default', 'web-1'), want: 'web-1 1/1 Running 0 5m 10.244.0.5 node1 <none> <none>' },
  {
    name: 'crash loop with last restart', given: makePod('default', 'web-1', (p) => {
      p.status = {
        phase: 'Running', podIPs: [{ ip: '10.244.0.5' }],
        containerStatuses: [{
          name: 'app', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: minus(5 * 60_000) } },
        }],
      };
    }),
    want: 'web-1 0/1 CrashLoopBackOff 3 (5m ago) 5m 10.244.0.5 node1 <none> <none>',
  },
  {
    name: 'completed', given: makePod('default', 'job-1', (p) => {
      p.status = { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] };
    }),
    want: 'job-1 0/1 Completed 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'error exit without reason', given: makePod('default', 'job-1', (p) => {
      p.status = { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] };
    }),
    want: 'job-1 0/1 ExitCode:2 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'signal', given: makePod('default', 'job-1', (p) => {
      p.status = { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] };
    }),
    want: 'job-1 0/1 Signal:9 0 5m <none> node1 <none> <none>',
  },
  { name: 'terminating', given: makePod('default', 'web-1', (p) => { p.metadata.deletionTimestamp = testNow.toISOString(); }), want: 'web-1 1/1 Terminating 0 5m 10.244.0.5 node1 <none> <none>' },
  {
    name: 'node lost while deleting', given: makePod('default', 'web-1', (p) => {
      p.metadata.deletionTimestamp = testNow.toISOString();
      p.status = { phase: 'Running', reason: 'NodeLost' };
    }),
    want: 'web-1 0/1 Unknown 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'container creating', given: makePod('default', 'web-1', (p) => {
      p.status = { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] };
    }),
    want: 'web-1 0/1 ContainerCreating 0 5m <none> node1 <none> <none>',
  },
  { name: 'pending with no status yet', given: makePod('default', 'web-1', (p) => { p.status = { phase: 'Pending' }; delete p.spec.nodeName; }), want: 'web-1 0/1 Pending 0 5m <none> <none> <none> <none>' },
  {
    name: 'init container running', given: makePod('default', 'web-1', (p) => {
      p.spec.initContainers = [{ name: 'i1' }, { name: 'i2' }];
      p.status = { phase: 'Pending', initContainerStatuses: [{ name: 'i1', ready: false, restartCount: 0, state: { running: {} } }] };
    }),
    want: 'web-1 0/1 Init:0/2 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'second init container waiting on first', given: makePod('default', 'web-1', (p) => {
      p.spec.initContainers = [{ name: 'i1' }, { name: 'i2' }];
      p.status = {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'i2', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
        ],
      };
    }),
    want: 'web-1 0/1 Init:1/2 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'init crash loop', given: makePod('default', 'web-1', (p) => {
      p.spec.initContainers = [{ name: 'i1' }];
      p.status = { phase: 'Pending', initContainerStatuses: [{ name: 'i1', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] };
    }),
    want: 'web-1 0/1 Init:CrashLoopBackOff 2 5m <none> node1 <none> <none>',
  },
  {
    name: 'init error', given: makePod('default', 'web-1', (p) => {
      p.spec.initContainers = [{ name: 'i1' }];
      p.status = { phase: 'Pending', initContainerStatuses: [{ name: 'i1', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] };
    }),
    want: 'web-1 0/1 Init:Error 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'init exit code without reason', given: makePod('default', 'web-1', (p) => {
      p.spec.initContainers = [{ name: 'i1' }];
      p.status = { phase: 'Pending', initContainerStatuses: [{ name: 'i1', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } }] };
    }),
    want: 'web-1 0/1 Init:ExitCode:3 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'sidecar counts toward ready', given: makePod('default', 'web-1', (p) => {
      p.spec.initContainers = [{ name: 'proxy', restartPolicy: 'Always' }];
      p.status = {
        phase: 'Running', podIPs: [{ ip: '10.244.0.9' }],
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
        initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: { running: {} } }],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
      };
    }),
    want: 'web-1 2/2 Running 1 5m 10.244.0.9 node1 <none> <none>',
  },
  {
    name: 'completed with a container still running and ready', given: makePod('default', 'web-1', (p) => {
      p.spec.containers = [{ name: 'a' }, { name: 'b' }];
      p.status = {
        phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          { name: 'a', ready: true, restartCount: 0, state: { running: {} } },
          { name: 'b', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
      };
    }),
    want: 'web-1 1/2 Running 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'completed with a container running but pod not ready', given: makePod('default', 'web-1', (p) => {
      p.spec.containers = [{ name: 'a' }, { name: 'b' }];
      p.status = {
        phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          { name: 'a', ready: true, restartCount: 0, state: { running: {} } },
          { name: 'b', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
      };
    }),
    want: 'web-1 1/2 NotReady 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'scheduling gated', given: makePod('default', 'web-1', (p) => {
      p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] };
    }),
    want: 'web-1 0/1 SchedulingGated 0 5m <none> node1 <none> <none>',
  },
  {
    name: 'readiness gates and nominated node', given: makePod('default', 'web-1', (p) => {
      p.spec.readinessGates = [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }];
      p.status = { ...p.status, nominatedNodeName: 'node2', conditions: [{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'False' }] };
    }),
    want: 'web-1 1/1 Running 0 5m 10.244.0.5 node1 node2 1/2',
  },
]);

test('pods: completed and failed rows carry the Completed condition', () => {
  const info = infoFor('', 'pods');
  const ok = tableFor(info, [makePod('d', 'a', (p) => { p.status = { phase: 'Succeeded' }; })], testNow).rows[0];
  assert.deepEqual(ok?.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  const bad = tableFor(info, [makePod('d', 'a', (p) => { p.status = { phase: 'Failed' }; })], testNow).rows[0];
  assert.equal(bad?.conditions?.[0]?.reason, 'Failed');
  assert.equal(tableFor(info, [makePod('d', 'a')], testNow).rows[0]?.conditions, undefined);
});

test('pods: restarts cell without a termination time', () => {
  const s = podStatusSummary(makePod('d', 'a', (p) => {
    p.status = { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 4, state: { running: {} } }] };
  }), testNow);
  assert.equal(s.restarts, '4');
});

rows('deployments', infoFor('apps', 'deployments'), [
  { name: 'rolling out', given: makeDeployment('default', 'web'), want: 'web 2/3 3 2 5m nginx nginx:1.25 app=web' },
  {
    name: 'several containers and expressions', given: makeDeployment('default', 'web', (d) => {
      if (d.spec?.template?.spec !== undefined) d.spec.template.spec.containers = [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }];
      if (d.spec !== undefined) d.spec.selector = { matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }], matchLabels: { app: 'web' } };
      d.status = {};
    }),
    want: 'web 0/3 0 0 5m a,b a:1,b:2 app=web,tier in (be,fe)',
  },
  { name: 'invalid selector', given: makeDeployment('default', 'web', (d) => { if (d.spec !== undefined) d.spec.selector = { matchExpressions: [{ key: 'x', operator: 'Nope' }] }; }), want: 'web 2/3 3 2 5m nginx nginx:1.25 <invalid>' },
]);

rows('replicasets', infoFor('apps', 'replicasets'), [
  { name: 'basic', given: makeReplicaSet('default', 'web-5d4f'), want: 'web-5d4f 3 3 2 5m nginx nginx:1.25 app=web,pod-template-hash=5d4f' },
]);

test('replicasets: integer cells stay numbers', () => {
  assert.deepEqual(cells(infoFor('apps', 'replicasets'), makeReplicaSet('d', 'r')).slice(1, 4), [3, 3, 2]);
});

rows('statefulsets', infoFor('apps', 'statefulsets'), [
  { name: 'basic', given: makeStatefulSet('default', 'db'), want: 'db 1/2 5m db postgres:16' },
]);

rows('endpoints', infoFor('', 'endpoints'), [
  { name: 'one', given: makeEndpoints('default', 'web'), want: 'web 10.244.0.5:8080 5m' },
  {
    name: 'more than three', given: makeEndpoints('default', 'web', (e) => {
      e.subsets = [{ addresses: [{ ip: '10.244.0.5' }, { ip: '10.244.0.6' }, { ip: '10.244.0.7' }, { ip: '10.244.0.8' }], ports: [{ port: 8080 }] }];
    }),
    want: 'web 10.244.0.5:8080,10.244.0.6:8080,10.244.0.7:8080 + 1 more... 5m',
  },
  { name: 'headless without ports', given: makeEndpoints('default', 'db', (e) => { e.subsets = [{ addresses: [{ ip: '10.244.0.5' }, { ip: '10.244.0.6' }] }]; }), want: 'db 10.244.0.5,10.244.0.6 5m' },
  { name: 'ipv6', given: makeEndpoints('default', 'v6', (e) => { e.subsets = [{ addresses: [{ ip: 'fd00::5' }], ports: [{ port: 80 }] }]; }), want: 'v6 [fd00::5]:80 5m' },
  { name: 'none', given: makeEndpoints('default', 'web', (e) => { delete e.subsets; }), want: 'web <none> 5m' },
]);

rows('endpointslices', infoFor('discovery.k8s.io', 'endpointslices'), [
  { name: 'one', given: makeEndpointSlice('default', 'web-abcde'), want: 'web-abcde IPv4 8080 10.244.0.5 5m' },
  { name: 'placeholder', given: makeEndpointSlice('default', 'web-abcde', (s) => { s.endpoints = null; s.ports = null; }), want: 'web-abcde IPv4 <unset> <unset> 5m' },
  {
    name: 'first three then more', given: makeEndpointSlice('default', 'web-abcde', (s) => {
      s.endpoints = ['1', '2', '3', '4', '5'].map((i) => ({ addresses: [`10.0.0.${i}`] }));
      s.ports = [{ port: 80 }, { name: 'named' }, {}, { port: 443 }];
    }),
    want: 'web-abcde IPv4 80,named,* + 1 more... 10.0.0.1,10.0.0.2,10.0.0.3 + 2 more... 5m',
  },
]);

rows('ingresses', infoFor('networking.k8s.io', 'ingresses'), [
  { name: 'catch-all', given: makeIngress('default', 'web'), want: 'web <none> *  80 5m' },
  {
    name: 'class, hosts, tls and address', given: makeIngress('default', 'web', (i) => {
      i.spec = { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'] }] };
      i.status = { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } };
    }),
    want: 'web nginx a.example.com,b.example.com 127.0.0.1 80, 443 5m',
  },
  {
    name: 'more than three hosts', given: makeIngress('default', 'web', (i) => {
      i.spec = { rules: ['a', 'b', 'c', 'd', 'e'].map((h) => ({ host: `${h}.io` })) };
    }),
    want: 'web <none> a.io,b.io,c.io + 2 more...  80 5m',
  },
]);

rows('ingressclasses', infoFor('networking.k8s.io', 'ingressclasses'), [
  { name: 'no parameters', given: makeIngressClass('switchboard'), want: 'switchboard switchboard.dev/ingress <none> 5m' },
  {
    name: 'parameters with group', given: makeIngressClass('lb', (c) => {
      c.spec = { controller: 'example.com/lb', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } };
    }),
    want: 'lb example.com/lb IngressParameters.k8s.example.com/external-lb 5m',
  },
]);

rows('networkpolicies', infoFor('networking.k8s.io', 'networkpolicies'), [
  { name: 'all pods', given: makeNetworkPolicy('default', 'deny'), want: 'deny <none> 5m' },
  { name: 'selected pods', given: makeNetworkPolicy('default', 'web', (n) => { n.spec = { podSelector: { matchLabels: { app: 'web' } } }; }), want: 'web app=web 5m' },
]);

rows('nodes', infoFor('', 'nodes'), [
  { name: 'ready, no roles', given: makeNode('node1'), want: 'node1 Ready <none> 5m v1.32.4 10.0.0.1 <none> Debian GNU/Linux 12 (bookworm) 6.1.0-18-amd64 switchboard://0.1.0' },
  {
    name: 'not ready and cordoned with roles', given: makeNode('node1', (n) => {
      n.metadata.labels = { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/': '', 'kubernetes.io/role': 'edge', 'node-role.kubernetes.io/worker': 'x' };
      n.spec = { unschedulable: true };
      n.status = { conditions: [{ type: 'Ready', status: 'False' }], addresses: [{ type: 'ExternalIP', address: '203.0.113.5' }] };
    }),
    want: 'node1 NotReady,SchedulingDisabled control-plane,edge,worker 5m  <none> 203.0.113.5 <unknown> <unknown> <unknown>',
  },
  { name: 'no conditions', given: makeNode('node1', (n) => { n.status = {}; }), want: 'node1 Unknown <none> 5m  <none> <none> <unknown> <unknown> <unknown>' },
]);

rows('namespaces', infoFor('', 'namespaces'), [
  { name: 'active', given: makeNamespace('default'), want: 'default Active 5m' },
  { name: 'terminating', given: makeNamespace('old', (n) => { n.status = { phase: 'Terminating' }; }), want: 'old Terminating 5m' },
]);

rows('configmaps', infoFor('', 'configmaps'), [
  { name: 'data and binaryData counted', given: makeConfigMap('default', 'cfg', (c) => { c.binaryData = { b: 'AA==' }; }), want: 'cfg 2 5m' },
  { name: 'empty', given: makeConfigMap('default', 'cfg', (c) => { delete c.data; }), want: 'cfg 0 5m' },
]);

rows('secrets', infoFor('', 'secrets'), [
  { name: 'opaque', given: makeSecret('default', 's'), want: 's Opaque 1 5m' },
  { name: 'tls', given: makeSecret('default', 'tls', (s) => { s.type = 'kubernetes.io/tls'; s.data = { 'tls.crt': 'x', 'tls.key': 'y' }; }), want: 'tls kubernetes.io/tls 2 5m' },
]);

rows('serviceaccounts', infoFor('', 'serviceaccounts'), [
  { name: 'default', given: makeServiceAccount('default', 'default'), want: 'default 0 5m' },
]);

rows('leases', infoFor('coordination.k8s.io', 'leases'), [
  { name: 'held', given: makeLease('kube-node-lease', 'node1'), want: 'node1 node1 5m' },
  { name: 'free', given: makeLease('default', 'l', (l) => { l.spec = {}; }), want: 'l  5m' },
]);

describe('events', () => {
  const info = infoFor('', 'events');
  test('default columns: Last Seen, Type, Reason, Object, Message', () => {
    assert.deepEqual(columnsFor(info).filter((c) => c.priority === 0).map((c) => c.name), ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
    assert.equal(line(info, makeEvent('default', 'web-1.17a'), false), '5m Normal Scheduled pod/web-1 Successfully assigned default/web-1 to node1');
  });
  const cases: Case[] = [
    { name: 'wide', given: makeEvent('default', 'web-1.17a'), want: '5m Normal Scheduled pod/web-1  default-scheduler Successfully assigned default/web-1 to node1 5m 1 web-1.17a' },
    {
      name: 'new-style event with series and reporting fields', given: makeEvent('default', 'e', (e) => {
        e.firstTimestamp = null;
        e.lastTimestamp = null;
        e.count = 0;
        e.eventTime = '2024-05-01T09:50:00.000000Z';
        e.series = { count: 4, lastObservedTime: '2024-05-01T09:59:00.000000Z' };
        delete e.source;
        e.reportingComponent = 'kubelet';
        e.reportingInstance = 'node1';
        e.involvedObject = { kind: 'Node', name: '' };
        e.message = '  trimmed \n';
        e.type = 'Warning';
      }),
      want: '60s Warning Scheduled node  kubelet, node1 trimmed 10m 4 e',
    },
    { name: 'singleton count', given: makeEvent('default', 'e', (e) => { e.count = 0; e.lastTimestamp = null; }), want: '5m Normal Scheduled pod/web-1  default-scheduler Successfully assigned default/web-1 to node1 5m 1 e' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(line(info, tc.given, true), tc.want));
});

describe('customresourcedefinitions and custom resources', () => {
  test('CRDs print Name and Created At', () => {
    const info = infoFor('apiextensions.k8s.io', 'customresourcedefinitions');
    assert.deepEqual(columnsFor(info).map((c) => [c.name, c.type]), [['Name', 'string'], ['Created At', 'date']]);
    assert.deepEqual(cells(info, makeCRD('example.com', 'widgets', 'Widget')), ['widgets.example.com', fiveMinutesAgo]);
  });
  test('custom resources default to Name, Age', () => {
    const [info] = resourceInfoFromCRD(makeCRD('example.com', 'widgets', 'Widget'));
    assert.ok(info !== undefined);
    assert.deepEqual(columnsFor(info).map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
    assert.deepEqual(cells(info, makeCustomResource('example.com/v1', 'Widget', 'default', 'w1')), ['w1', '5m']);
  });
  test('additionalPrinterColumns', () => {
    const crd = makeCRD('example.com', 'widgets', 'Widget', (c) => {
      const v = c.spec.versions[0];
      if (v !== undefined) {
        v.additionalPrinterColumns = [
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'the phase' },
          { name: 'Ready', type: 'boolean', jsonPath: '.status.ready', priority: 1 },
          { name: 'Image', type: 'string', jsonPath: '.spec.containers[0].image' },
          { name: 'Ports', type: 'string', jsonPath: '.spec.ports' },
          { name: 'Started', type: 'date', jsonPath: '.status.startTime' },
          { name: 'Missing', type: 'string', jsonPath: '.status.nothing' },
        ];
      }
    });
    const [info] = resourceInfoFromCRD(crd);
    assert.ok(info !== undefined);
    const cols = columnsFor(info);
    assert.deepEqual(cols.map((c) => c.name), ['Name', 'Replicas', 'Phase', 'Ready', 'Image', 'Ports', 'Started', 'Missing']);
    assert.equal(cols[1]?.description, 'Custom resource definition column (in JSONPath format): .spec.replicas');
    assert.equal(cols[2]?.description, 'the phase');
    assert.equal(cols[3]?.priority, 1);
    const cr = makeCustomResource('example.com/v1', 'Widget', 'default', 'w1', (o) => {
      o['spec'] = { replicas: 3, containers: [{ image: 'nginx' }], ports: [{ b: 2, a: 1 }] };
      o['status'] = { phase: 'Ready', ready: true, startTime: '2024-05-01T07:00:00Z' };
    });
    assert.deepEqual(cells(info, cr), ['w1', 3, 'Ready', true, 'nginx', '[{"a":1,"b":2}]', '3h', null]);
  });
});

describe('table shape', () => {
  const info = infoFor('', 'services');
  const svc = makeService('default', 'web');
  test('default includeObject is PartialObjectMetadata', () => {
    const t = tableFor(info, [svc], testNow, { listMeta: { resourceVersion: '42' } });
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.metadata, { resourceVersion: '42' });
    assert.deepEqual(t.rows[0]?.object, { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: svc.metadata });
    assert.equal(t.columnDefinitions?.length, 7);
  });
  test('includeObject None and Object', () => {
    assert.equal('object' in (tableFor(info, [svc], testNow, { includeObject: 'None' }).rows[0] ?? {}), false);
    assert.equal(tableFor(info, [svc], testNow, { includeObject: 'Object' }).rows[0]?.object, svc);
  });
  test('v1beta1 and continue', () => {
    const t = tableFor(info, [], testNow, { apiVersion: 'meta.k8s.io/v1beta1', listMeta: { resourceVersion: '7', continue: 'abc', remainingItemCount: 3 } });
    assert.equal(t.apiVersion, 'meta.k8s.io/v1beta1');
    assert.deepEqual(t.metadata, { resourceVersion: '7', continue: 'abc', remainingItemCount: 3 });
    assert.deepEqual(t.rows, []);
  });
  test('watch events carry headers only first', () => {
    const first = tableForWatchEvent(info, svc, testNow, { first: true });
    const later = tableForWatchEvent(info, svc, testNow, { first: false });
    assert.equal(first.columnDefinitions?.length, 7);
    assert.equal(later.columnDefinitions, undefined);
    assert.deepEqual(later.metadata, { resourceVersion: '1' });
    assert.equal(later.rows.length, 1);
  });
  const includeCases: { name: string; given: string | undefined; want: string }[] = [
    { name: 'absent', given: undefined, want: 'Metadata' },
    { name: 'None', given: 'None', want: 'None' },
    { name: 'Object', given: 'Object', want: 'Object' },
  ];
  for (const tc of includeCases) test(`parseIncludeObject ${tc.name}`, () => assert.equal(parseIncludeObject(tc.given), tc.want));
  test('parseIncludeObject rejects unknown values', () => {
    assert.throws(() => parseIncludeObject('All'), (e: unknown) => e instanceof StatusError && e.code === 400 && e.status.message === 'unrecognized includeObject value: "All"');
  });
});
