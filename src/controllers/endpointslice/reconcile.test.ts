import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Node, Pod, Service, ServiceSpec } from '../../api/types.ts';
import { makeEndpointSlice, makeNode, makeService } from '../../api/testing.ts';
import { reconcileEndpointSlices, planIsEmpty, portMapKey, type SlicePlan } from './reconcile.ts';
import { readyPod, renderPlan, setReady, SliceStore } from './testing.ts';
import { controllerName, headlessLabel, managedByLabel, serviceNameLabel, triggerTimeAnnotation } from './wellknown.ts';

type Svc = Service & { spec: ServiceSpec };

/** The Service `ns1/web` (uid `uid-web`, selector app=web, port 80 → 8080, IPv4). */
const svc = (override?: (s: Svc) => void): Svc => makeService('ns1', 'web', (s) => {
  s.spec.ipFamilies = ['IPv4'];
  s.spec.ipFamilyPolicy = 'SingleStack';
  override?.(s);
});

const ipOf = (i: number): string => `10.244.${Math.floor(i / 200)}.${(i % 200) + 1}`;

/** Ready Pods `web-001..` with IPs 10.244.0.2, ... (zero-padded names keep them in order). */
function pods(n: number, from = 1, override?: (p: Pod, i: number) => void): Pod[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return readyPod('ns1', `web-${String(i).padStart(3, '0')}`, ipOf(i), 'web', (p) => override?.(p, i));
  });
}

const pod = (name: string, ip: string, override?: (p: Pod) => void): Pod => readyPod('ns1', name, ip, 'web', override);

/** The slices a fresh controller would have written for this state (names `web-s1`, `web-s2`, ...). */
function settled(service: Service, ps: readonly Pod[], max?: number, nodes?: Node[]): EndpointSlice[] {
  const store = new SliceStore();
  return store.apply(reconcileEndpointSlices({ service, pods: ps, slices: [], ...(max !== undefined ? { maxEndpointsPerSlice: max } : {}), ...(nodes !== undefined ? { nodes } : {}) }));
}

const counts = (p: SlicePlan): string => `create ${p.create.map((s) => (s.endpoints ?? []).length).join('+') || 0}, update ${p.update.map((s) => (s.endpoints ?? []).length).join('+') || 0}, delete ${p.delete.length}`;

interface Row {
  name: string;
  given: { service: Service; pods?: Pod[]; slices?: EndpointSlice[]; nodes?: Node[]; max?: number; triggerTime?: string };
  /** The plan, rendered (renderPlan); omitted operations must be empty. */
  want?: { create?: string[]; update?: string[]; delete?: string[] };
  /** Endpoint counts per operation, for big rows. */
  wantCounts?: string;
  check?: (plan: SlicePlan) => void;
}

const zoneNodes = [
  makeNode('node-a', (n) => { n.metadata.labels = { 'topology.kubernetes.io/zone': 'zone-a' }; }),
  makeNode('node-b', (n) => { n.metadata.labels = { 'topology.kubernetes.io/zone': 'zone-b' }; }),
];

const rows: Row[] = [
  {
    name: 'no Pods: a placeholder slice without endpoints or ports',
    given: { service: svc() },
    want: { create: ['+ IPv4 - | -'] },
  },
  {
    name: 'placeholder already there: nothing to write',
    given: { service: svc(), slices: settled(svc(), []) },
    want: {},
  },
  {
    name: 'one ready Pod',
    given: { service: svc(), pods: [pod('web-1', '10.244.0.7')] },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs]'] },
  },
  {
    name: 'first Pod reuses the placeholder (update, not delete + create)',
    given: { service: svc(), pods: [pod('web-1', '10.244.0.7')], slices: settled(svc(), []) },
    want: { update: ['web-s1 IPv4 8080/TCP | 10.244.0.7[rs]'] },
  },
  {
    name: 'last Pod gone: the slice becomes the placeholder',
    given: { service: svc(), pods: [], slices: settled(svc(), [pod('web-1', '10.244.0.7')]) },
    want: { update: ['web-s1 IPv4 - | -'] },
  },
  {
    name: '250 Pods: 3 slices of 100, 100 and 50',
    given: { service: svc(), pods: pods(250) },
    wantCounts: 'create 100+100+50, update 0, delete 0',
  },
  {
    name: 'max endpoints per slice is configurable',
    given: { service: svc(), pods: pods(25), max: 10 },
    wantCounts: 'create 10+10+5, update 0, delete 0',
  },
  {
    name: 'new endpoints fill an existing slice before a new one is made',
    given: { service: svc(), pods: pods(90), slices: settled(svc(), pods(60)) },
    wantCounts: 'create 0, update 90, delete 0',
  },
  {
    name: 'new endpoints that do not fit an unchanged slice go to a new one (no partial fill)',
    given: { service: svc(), pods: pods(130), slices: settled(svc(), pods(60)) },
    wantCounts: 'create 70, update 0, delete 0',
  },
  {
    name: 'no rebalancing: removing a Pod updates only its slice',
    given: { service: svc(), pods: [...pods(99), ...pods(50, 101)].filter((p) => p.metadata.name !== 'web-050'), slices: settled(svc(), [...pods(99), ...pods(50, 101)]) },
    check: (p) => {
      assert.equal(counts(p), 'create 0, update 99, delete 0');
      assert.equal(p.update[0]?.metadata.name, 'web-s1');
    },
  },
  {
    name: 'a few new endpoints go to the unchanged slice they fill most closely',
    given: {
      service: svc(),
      pods: [...pods(150), ...pods(5, 151)],
      slices: settled(svc(), pods(150)),
    },
    check: (p) => {
      // web-s1 holds 100, web-s2 holds 50: five more fit only in web-s2.
      assert.equal(counts(p), 'create 0, update 55, delete 0');
      assert.equal(p.update[0]?.metadata.name, 'web-s2');
    },
  },
  {
    name: 'named targetPort resolving differently per Pod: one slice per port list',
    given: {
      service: svc((s) => { s.spec.ports = [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'web' }]; }),
      pods: [
        pod('web-1', '10.244.0.7', (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 8080 }] }] }; }),
        pod('web-2', '10.244.0.8', (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 9090 }] }] }; }),
        pod('web-3', '10.244.0.9', (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }] }] }; }),
      ],
    },
    want: { create: ['+ IPv4 http:8080/TCP | 10.244.0.7[rs], 10.244.0.9[rs]', '+ IPv4 http:9090/TCP | 10.244.0.8[rs]'] },
  },
  {
    name: 'named targetPort a Pod lacks (or with another protocol): the Pod lands in a slice without that port',
    given: {
      service: svc((s) => { s.spec.ports = [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'web' }, { name: 'metrics', port: 9100, protocol: 'TCP', targetPort: 9100 }]; }),
      pods: [
        pod('web-1', '10.244.0.7', (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 8080 }] }] }; }),
        pod('web-2', '10.244.0.8', (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 8080, protocol: 'UDP' }] }] }; }),
      ],
    },
    want: { create: ['+ IPv4 http:8080/TCP,metrics:9100/TCP | 10.244.0.7[rs]', '+ IPv4 metrics:9100/TCP | 10.244.0.8[rs]'] },
  },
  {
    name: 'named targetPort of a sidecar init container resolves',
    given: {
      service: svc((s) => { s.spec.ports = [{ port: 80, protocol: 'TCP', targetPort: 'proxy' }]; }),
      pods: [pod('web-1', '10.244.0.7', (p) => { p.spec = { containers: [{ name: 'a' }], initContainers: [{ name: 'envoy', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001 }] }] }; })],
    },
    want: { create: ['+ IPv4 15001/TCP | 10.244.0.7[rs]'] },
  },
  {
    name: 'not-ready Pod: ready and serving false',
    given: { service: svc(), pods: [pod('web-1', '10.244.0.7', (p) => setReady(p, false))] },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[]'] },
  },
  {
    name: 'terminating ready Pod is kept: serving, terminating, not ready',
    given: { service: svc(), pods: [pod('web-1', '10.244.0.7', (p) => { p.metadata.deletionTimestamp = '2024-05-01T10:00:30Z'; })] },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[st]'] },
  },
  {
    name: 'publishNotReadyAddresses: not-ready and terminating Pods are ready',
    given: {
      service: svc((s) => { s.spec.publishNotReadyAddresses = true; }),
      pods: [pod('web-1', '10.244.0.7', (p) => setReady(p, false)), pod('web-2', '10.244.0.8', (p) => { p.metadata.deletionTimestamp = '2024-05-01T10:00:30Z'; })],
    },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[r], 10.244.0.8[rst]'] },
  },
  {
    name: 'Pods without an IP, and finished Pods, are left out',
    given: {
      service: svc(),
      pods: [
        pod('web-1', '10.244.0.7'),
        pod('web-2', '', (p) => { p.status = { phase: 'Pending' }; }),
        pod('web-3', '10.244.0.9', (p) => { (p.status ??= {}).phase = 'Succeeded'; }),
        pod('web-4', '10.244.0.10', (p) => { (p.status ??= {}).phase = 'Failed'; }),
      ],
    },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs]'] },
  },
  {
    name: 'Pods of other namespaces or labels are ignored',
    given: {
      service: svc(),
      pods: [pod('web-1', '10.244.0.7'), readyPod('ns2', 'web-2', '10.244.0.8', 'web'), readyPod('ns1', 'api-1', '10.244.0.9', 'api')],
    },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs]'] },
  },
  {
    name: 'hostname when spec.hostname is set and spec.subdomain names the Service',
    given: {
      service: svc(),
      pods: [
        pod('web-0', '10.244.0.7', (p) => { p.spec = { containers: [], hostname: 'web-0', subdomain: 'web' }; }),
        pod('web-1', '10.244.0.8', (p) => { p.spec = { containers: [], hostname: 'web-1', subdomain: 'other' }; }),
        pod('web-2', '10.244.0.9', (p) => { p.spec = { containers: [], subdomain: 'web' }; }),
      ],
    },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs] h=web-0, 10.244.0.8[rs], 10.244.0.9[rs]'] },
  },
  {
    name: 'zone from the Node label; nodeName set; unknown Node: no zone',
    given: {
      service: svc(),
      nodes: zoneNodes,
      pods: [
        pod('web-1', '10.244.0.7', (p) => { p.spec = { containers: [], nodeName: 'node-a' }; }),
        pod('web-2', '10.244.0.8', (p) => { p.spec = { containers: [], nodeName: 'node-gone' }; }),
      ],
    },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs] z=zone-a, 10.244.0.8[rs]'] },
    check: (p) => {
      const eps = p.create[0]?.endpoints ?? [];
      assert.equal(eps[0]?.nodeName, 'node-a');
      assert.equal(eps[1]?.nodeName, 'node-gone');
      assert.deepEqual(eps[0]?.targetRef, { kind: 'Pod', namespace: 'ns1', name: 'web-1', uid: 'uid-web-1' });
    },
  },
  {
    name: 'new slice: generateName, labels, controller owner reference, trigger time',
    given: { service: svc((s) => { s.metadata.labels = { app: 'web', tier: 'front', [serviceNameLabel]: 'spoof' }; }), pods: [pod('web-1', '10.244.0.7')], triggerTime: '2024-05-01T10:00:00Z' },
    check: (p) => {
      const s = p.create[0];
      assert.ok(s !== undefined);
      assert.equal(s.metadata.generateName, 'web-');
      assert.equal(s.metadata.name, undefined);
      assert.equal(s.metadata.namespace, 'ns1');
      assert.deepEqual(s.metadata.labels, { app: 'web', tier: 'front', [serviceNameLabel]: 'web', [managedByLabel]: controllerName });
      assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }]);
      assert.deepEqual(s.metadata.annotations, { [triggerTimeAnnotation]: '2024-05-01T10:00:00Z' });
      assert.equal(s.apiVersion, 'discovery.k8s.io/v1');
      assert.equal(s.kind, 'EndpointSlice');
    },
  },
  {
    name: 'headless Service: headless label',
    given: { service: svc((s) => { s.spec.clusterIP = 'None'; s.spec.clusterIPs = ['None']; }), pods: [pod('web-1', '10.244.0.7')] },
    check: (p) => assert.equal(p.create[0]?.metadata.labels?.[headlessLabel], ''),
  },
  {
    name: 'headless Service without ports: endpoints in a port-less slice',
    given: { service: svc((s) => { s.spec.clusterIP = 'None'; s.spec.clusterIPs = ['None']; delete s.spec.ports; }), pods: [pod('web-1', '10.244.0.7')] },
    want: { create: ['+ IPv4 - | 10.244.0.7[rs]'] },
  },
  {
    name: 'unchanged world: no writes',
    given: { service: svc(), pods: pods(3), slices: settled(svc(), pods(3)) },
    want: {},
  },
  {
    name: 'unchanged 250-Pod world: no writes',
    given: { service: svc(), pods: pods(250), slices: settled(svc(), pods(250)) },
    want: {},
  },
  {
    name: 'readiness flip updates the endpoint in place',
    given: { service: svc(), pods: pods(3, 1, (p, i) => { if (i === 2) setReady(p, false); }), slices: settled(svc(), pods(3)) },
    want: { update: ['web-s1 IPv4 8080/TCP | 10.244.0.2[rs], 10.244.0.3[], 10.244.0.4[rs]'] },
  },
  {
    name: 'Service label change: slice labels updated, endpoints kept',
    given: { service: svc((s) => { s.metadata.labels = { team: 'a' }; }), pods: pods(1), slices: settled(svc(), pods(1)) },
    check: (p) => {
      assert.equal(counts(p), 'create 0, update 1, delete 0');
      assert.deepEqual(p.update[0]?.metadata.labels, { team: 'a', [serviceNameLabel]: 'web', [managedByLabel]: controllerName });
      assert.equal(p.update[0]?.metadata.resourceVersion, '101');
    },
  },
  {
    name: 'a slice managed by someone else is ignored',
    given: {
      service: svc(),
      pods: [pod('web-1', '10.244.0.7')],
      slices: [...settled(svc(), [pod('web-1', '10.244.0.7')]), makeEndpointSlice('ns1', 'web-custom', (s) => { s.metadata.labels = { [serviceNameLabel]: 'web', [managedByLabel]: 'someone-else' }; })],
    },
    want: {},
  },
  {
    name: 'a slice of ours owned by an older Service of the same name is replaced',
    given: {
      service: svc((s) => { s.metadata.uid = 'uid-web-new'; }),
      pods: [pod('web-1', '10.244.0.7')],
      slices: settled(svc(), [pod('web-1', '10.244.0.7')]),
    },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs]'], delete: ['web-s1'] },
  },
  {
    name: 'endpoint duplicated in two slices (after a crash) is kept once',
    given: {
      service: svc(),
      pods: pods(2),
      slices: (() => {
        const a = settled(svc(), pods(2));
        const dup = structuredClone(a[0] as EndpointSlice);
        dup.metadata.name = 'web-dup';
        dup.metadata.uid = 'uid-dup';
        dup.endpoints = [...(dup.endpoints ?? []).slice(0, 1)];
        return [...a, dup];
      })(),
    },
    want: { delete: ['web-dup'] },
  },
  {
    name: 'Service without a selector: its slices are the user\'s',
    given: { service: svc((s) => { delete s.spec.selector; }), pods: pods(2), slices: settled(svc(), pods(1)) },
    want: {},
  },
  {
    name: 'ExternalName Service: no slices',
    given: { service: svc((s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'db.example.com'; }), pods: pods(2) },
    want: {},
  },
  {
    name: 'Service being deleted: no new slices',
    given: { service: svc((s) => { s.metadata.deletionTimestamp = '2024-05-01T10:00:00Z'; }), pods: pods(2) },
    want: {},
  },
  {
    name: 'dual-stack: one slice set per family, addresses split',
    given: {
      service: svc((s) => { s.spec.ipFamilies = ['IPv4', 'IPv6']; s.spec.ipFamilyPolicy = 'RequireDualStack'; }),
      pods: [pod('web-1', '10.244.0.7', (p) => { p.status = { ...p.status, podIPs: [{ ip: '10.244.0.7' }, { ip: 'fd00:10:244::7' }] }; }), pod('web-2', '10.244.0.8')],
    },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs], 10.244.0.8[rs]', '+ IPv6 8080/TCP | fd00:10:244::7[rs]'] },
  },
  {
    name: 'headless Service without ipFamilies: both families (placeholder for the empty one)',
    given: { service: svc((s) => { s.spec.clusterIP = 'None'; s.spec.clusterIPs = ['None']; delete s.spec.ipFamilies; }), pods: [pod('web-1', '10.244.0.7')] },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs]', '+ IPv6 - | -'] },
  },
  {
    name: 'family changed to IPv6: IPv4 slices deleted, not recycled across types',
    given: {
      service: svc((s) => { s.spec.ipFamilies = ['IPv6']; s.spec.clusterIP = 'fd00:96::12'; s.spec.clusterIPs = ['fd00:96::12']; }),
      pods: [pod('web-1', 'fd00:10:244::7')],
      slices: settled(svc(), [pod('web-1', '10.244.0.7')]),
    },
    want: { create: ['+ IPv6 8080/TCP | fd00:10:244::7[rs]'], delete: ['web-s1'] },
  },
  {
    name: 'targetPort changed: the old slice is recycled with the new ports',
    given: { service: svc((s) => { s.spec.ports = [{ port: 80, protocol: 'TCP', targetPort: 9090 }]; }), pods: pods(2), slices: settled(svc(), pods(2)) },
    want: { update: ['web-s1 IPv4 9090/TCP | 10.244.0.2[rs], 10.244.0.3[rs]'] },
  },
  {
    name: 'trafficDistribution PreferClose: each zoned endpoint hinted for its zone',
    given: {
      service: svc((s) => { s.spec.trafficDistribution = 'PreferClose'; }),
      nodes: zoneNodes,
      pods: [
        pod('web-1', '10.244.0.7', (p) => { p.spec = { containers: [], nodeName: 'node-a' }; }),
        pod('web-2', '10.244.0.8', (p) => { p.spec = { containers: [], nodeName: 'node-b' }; }),
        pod('web-3', '10.244.0.9', (p) => { p.spec = { containers: [], nodeName: 'node-x' }; }),
      ],
    },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs] z=zone-a ->zone-a, 10.244.0.8[rs] z=zone-b ->zone-b, 10.244.0.9[rs]'] },
  },
  {
    name: 'topology-mode Auto: hints only when every endpoint has a zone',
    given: {
      service: svc((s) => { s.metadata.annotations = { 'service.kubernetes.io/topology-mode': 'Auto' }; }),
      nodes: zoneNodes,
      pods: [
        pod('web-1', '10.244.0.7', (p) => { p.spec = { containers: [], nodeName: 'node-a' }; }),
        pod('web-2', '10.244.0.8', (p) => { p.spec = { containers: [], nodeName: 'node-x' }; }),
      ],
    },
    want: { create: ['+ IPv4 8080/TCP | 10.244.0.7[rs] z=zone-a, 10.244.0.8[rs]'] },
  },
  {
    name: 'hints turned on later: the slice is updated with them',
    given: {
      service: svc((s) => { s.metadata.annotations = { 'service.kubernetes.io/topology-mode': 'Auto' }; }),
      nodes: zoneNodes,
      pods: [pod('web-1', '10.244.0.7', (p) => { p.spec = { containers: [], nodeName: 'node-b' }; })],
      slices: settled(svc(), [pod('web-1', '10.244.0.7', (p) => { p.spec = { containers: [], nodeName: 'node-b' }; })], undefined, zoneNodes),
    },
    want: { update: ['web-s1 IPv4 8080/TCP | 10.244.0.7[rs] z=zone-b ->zone-b'] },
  },
  {
    name: 'the trigger time is stamped only on written slices, and removed when there is none',
    given: { service: svc(), pods: pods(2), slices: (() => {
      const s = settled(svc(), pods(1));
      (s[0] as EndpointSlice).metadata.annotations = { [triggerTimeAnnotation]: '2024-05-01T09:00:00Z' };
      return s;
    })() },
    check: (p) => assert.equal(p.update[0]?.metadata.annotations, undefined),
  },
];

describe('reconcileEndpointSlices', () => {
  for (const row of rows) {
    test(row.name, () => {
      const g = row.given;
      const input = {
        service: g.service, pods: g.pods ?? [], slices: g.slices ?? [],
        ...(g.nodes !== undefined ? { nodes: g.nodes } : {}),
        ...(g.max !== undefined ? { maxEndpointsPerSlice: g.max } : {}),
        ...(g.triggerTime !== undefined ? { triggerTime: g.triggerTime } : {}),
      };
      const before = structuredClone(input);
      const plan = reconcileEndpointSlices(input);
      assert.deepEqual(input, before, 'the inputs are not modified');
      if (row.want !== undefined) {
        assert.deepEqual(renderPlan(plan), { create: row.want.create ?? [], update: row.want.update ?? [], delete: row.want.delete ?? [] });
      }
      if (row.wantCounts !== undefined) assert.equal(counts(plan), row.wantCounts);
      row.check?.(plan);
      for (const s of [...plan.create, ...plan.update]) {
        assert.ok((s.endpoints ?? []).length <= (g.max ?? 100), 'no slice holds more than the maximum');
        for (const e of s.endpoints ?? []) assert.ok(e.addresses.length > 0, 'every endpoint has an address');
      }
      // Level-triggered: once the plan is applied, the same inputs write nothing.
      const store = new SliceStore(g.slices ?? []);
      const after = store.apply(plan);
      const again = reconcileEndpointSlices({ ...input, slices: after });
      assert.ok(planIsEmpty(again), `second reconcile writes nothing, got ${JSON.stringify(renderPlan(again))}`);
    });
  }
});

describe('portMapKey', () => {
  const cases: { name: string; a: Parameters<typeof portMapKey>[0]; b: Parameters<typeof portMapKey>[0]; same: boolean }[] = [
    { name: 'order does not matter', a: [{ name: 'a', port: 1, protocol: 'TCP' }, { name: 'b', port: 2, protocol: 'TCP' }], b: [{ name: 'b', port: 2, protocol: 'TCP' }, { name: 'a', port: 1, protocol: 'TCP' }], same: true },
    { name: 'defaults equal explicit values', a: [{ port: 80 }], b: [{ name: '', port: 80, protocol: 'TCP' }], same: true },
    { name: 'null and empty are the same', a: null, b: [], same: true },
    { name: 'port number differs', a: [{ port: 80 }], b: [{ port: 81 }], same: false },
    { name: 'appProtocol differs', a: [{ port: 80, appProtocol: 'http' }], b: [{ port: 80 }], same: false },
  ];
  for (const c of cases) test(c.name, () => assert.equal(portMapKey(c.a) === portMapKey(c.b), c.same));
});

test('scaling 250 → 120 → 250 keeps slices, deletes the emptied one, fills the roomiest, never exceeds 100', () => {
  const service = svc();
  const store = new SliceStore();
  store.apply(reconcileEndpointSlices({ service, pods: pods(250), slices: [] }));
  assert.equal(store.slices.length, 3);
  store.apply(reconcileEndpointSlices({ service, pods: pods(120), slices: store.slices }));
  assert.deepEqual(store.slices.map((s) => (s.endpoints ?? []).length), [100, 20]);
  // 130 new: a full new slice, and the 30 left over fit the 20-endpoint slice.
  const plan = reconcileEndpointSlices({ service, pods: pods(250), slices: store.slices });
  assert.equal(counts(plan), 'create 100, update 50, delete 0');
  store.apply(plan);
  assert.deepEqual(store.slices.map((s) => (s.endpoints ?? []).length).sort((a, b) => b - a), [100, 100, 50]);
  assert.ok(planIsEmpty(reconcileEndpointSlices({ service, pods: pods(250), slices: store.slices })));
});
