import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSubset, Endpoints, Pod, Service, ServiceSpec } from '../../api/types.ts';
import { makeService } from '../../api/testing.ts';
import { readyPod, setReady } from '../endpointslice/testing.ts';
import { headlessLabel, overCapacityAnnotation, triggerTimeAnnotation } from '../endpointslice/wellknown.ts';
import { reconcileEndpoints, repackSubsets, truncateSubsets, type EndpointsPlan } from './reconcile.ts';

type Svc = Service & { spec: ServiceSpec };

const svc = (override?: (s: Svc) => void): Svc => makeService('ns1', 'web', (s) => {
  s.spec.ipFamilies = ['IPv4'];
  override?.(s);
});
const pod = (name: string, ip: string, override?: (p: Pod) => void): Pod => readyPod('ns1', name, ip, 'web', override);
const ipOf = (i: number): string => `10.${Math.floor(i / 250)}.${i % 250}.1`;
const pods = (n: number, from = 0, override?: (p: Pod) => void): Pod[] => Array.from({ length: n }, (_, k) => pod(`web-${String(from + k).padStart(4, '0')}`, ipOf(from + k), override));

/** One line per subset: `ready ips | nr: not-ready ips | ports`. */
function renderSubsets(subsets: readonly EndpointSubset[] | undefined): string[] {
  return (subsets ?? []).map((ss) => {
    const r = (ss.addresses ?? []).map((a) => a.ip + (a.hostname !== undefined ? `(${a.hostname})` : '')).join(',');
    const nr = (ss.notReadyAddresses ?? []).map((a) => a.ip).join(',');
    const ports = (ss.ports ?? []).map((p) => `${p.name !== undefined ? `${p.name}:` : ''}${p.port}/${p.protocol ?? ''}`).join(',');
    return `${r === '' ? '-' : r}${nr === '' ? '' : ` | nr: ${nr}`} | ${ports === '' ? '-' : ports}`;
  });
}

const written = (p: EndpointsPlan): Endpoints | undefined => (p.action === 'none' ? undefined : p.endpoints);

/** The Endpoints object a first sync would create (stored: resourceVersion 5). */
function settled(service: Service, ps: readonly Pod[]): Endpoints {
  const e = written(reconcileEndpoints({ service, pods: ps }));
  assert.ok(e !== undefined);
  return { ...structuredClone(e), metadata: { ...structuredClone(e.metadata), resourceVersion: '5', uid: 'uid-ep' } };
}

interface Row {
  name: string;
  given: { service: Service; pods?: Pod[]; current?: Endpoints; triggerTime?: string; maxCapacity?: number };
  want: { action: EndpointsPlan['action']; subsets?: string[] };
  check?: (e: Endpoints | undefined) => void;
}

const rows: Row[] = [
  {
    name: 'no Pods: an Endpoints object without subsets',
    given: { service: svc() },
    want: { action: 'create', subsets: [] },
    check: (e) => {
      assert.equal(e?.metadata.name, 'web');
      assert.equal(e?.metadata.namespace, 'ns1');
      assert.equal(e?.subsets, undefined);
    },
  },
  {
    name: 'ready Pods with one port: one subset, addresses sorted',
    given: { service: svc(), pods: [pod('web-b', '10.244.0.9'), pod('web-a', '10.244.0.10'), pod('web-c', '10.244.0.7')] },
    want: { action: 'create', subsets: ['10.244.0.10,10.244.0.7,10.244.0.9 | 8080/TCP'] },
  },
  {
    name: 'ready and not-ready Pods share a subset',
    given: { service: svc(), pods: [pod('web-a', '10.244.0.7'), pod('web-b', '10.244.0.8', (p) => setReady(p, false))] },
    want: { action: 'create', subsets: ['10.244.0.7 | nr: 10.244.0.8 | 8080/TCP'] },
  },
  {
    name: 'address fields: nodeName and targetRef',
    given: { service: svc(), pods: [pod('web-a', '10.244.0.7')] },
    want: { action: 'create', subsets: ['10.244.0.7 | 8080/TCP'] },
    check: (e) => assert.deepEqual(e?.subsets?.[0]?.addresses?.[0], { ip: '10.244.0.7', nodeName: 'node1', targetRef: { kind: 'Pod', namespace: 'ns1', name: 'web-a', uid: 'uid-web-a' } }),
  },
  {
    name: 'named targetPort resolving differently: one subset per port',
    given: {
      service: svc((s) => { s.spec.ports = [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'web' }]; }),
      pods: [
        pod('web-a', '10.244.0.7', (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 8080 }] }] }; }),
        pod('web-b', '10.244.0.8', (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 9090 }] }] }; }),
      ],
    },
    want: { action: 'create', subsets: ['10.244.0.7 | http:8080/TCP', '10.244.0.8 | http:9090/TCP'] },
  },
  {
    name: 'multi-port Service: Pods offering the same ports share a subset, ports sorted',
    given: {
      service: svc((s) => { s.spec.ports = [{ name: 'metrics', port: 9100, protocol: 'TCP', targetPort: 9100 }, { name: 'http', port: 80, protocol: 'TCP', targetPort: 'web' }]; }),
      pods: [
        pod('web-a', '10.244.0.7', (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 8080 }] }] }; }),
        pod('web-b', '10.244.0.8', (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 8080 }] }] }; }),
        pod('web-c', '10.244.0.9', (p) => { p.spec = { containers: [{ name: 'a' }] }; }),
      ],
    },
    want: { action: 'create', subsets: ['10.244.0.7,10.244.0.8 | http:8080/TCP', '10.244.0.7,10.244.0.8,10.244.0.9 | metrics:9100/TCP'] },
  },
  {
    name: 'terminating Pods are dropped',
    given: { service: svc(), pods: [pod('web-a', '10.244.0.7'), pod('web-b', '10.244.0.8', (p) => { p.metadata.deletionTimestamp = '2024-05-01T10:00:30Z'; })] },
    want: { action: 'create', subsets: ['10.244.0.7 | 8080/TCP'] },
  },
  {
    name: 'publishNotReadyAddresses: not-ready and terminating Pods are addresses',
    given: {
      service: svc((s) => { s.spec.publishNotReadyAddresses = true; }),
      pods: [pod('web-a', '10.244.0.7', (p) => setReady(p, false)), pod('web-b', '10.244.0.8', (p) => { p.metadata.deletionTimestamp = '2024-05-01T10:00:30Z'; })],
    },
    want: { action: 'create', subsets: ['10.244.0.7,10.244.0.8 | 8080/TCP'] },
  },
  {
    name: 'Pods without an IP and finished Pods are left out',
    given: { service: svc(), pods: [pod('web-a', '10.244.0.7'), pod('web-b', '', (p) => { p.status = { phase: 'Pending' }; }), pod('web-c', '10.244.0.9', (p) => { (p.status ??= {}).phase = 'Failed'; })] },
    want: { action: 'create', subsets: ['10.244.0.7 | 8080/TCP'] },
  },
  {
    name: 'hostname by the subdomain rule',
    given: {
      service: svc(),
      pods: [
        pod('web-0', '10.244.0.7', (p) => { p.spec = { containers: [], hostname: 'web-0', subdomain: 'web' }; }),
        pod('web-1', '10.244.0.8', (p) => { p.spec = { containers: [], hostname: 'web-1', subdomain: 'db' }; }),
      ],
    },
    want: { action: 'create', subsets: ['10.244.0.7(web-0),10.244.0.8 | 8080/TCP'] },
  },
  {
    name: 'headless Service without ports: address-only subset and the headless label',
    given: { service: svc((s) => { s.spec.clusterIP = 'None'; s.spec.clusterIPs = ['None']; delete s.spec.ports; }), pods: [pod('web-a', '10.244.0.7'), pod('web-b', '10.244.0.8', (p) => setReady(p, false))] },
    want: { action: 'create', subsets: ['10.244.0.7 | nr: 10.244.0.8 | -'] },
    check: (e) => assert.equal(e?.metadata.labels?.[headlessLabel], ''),
  },
  {
    name: 'Service with a cluster IP and no ports: no subsets',
    given: { service: svc((s) => { delete s.spec.ports; }), pods: [pod('web-a', '10.244.0.7')] },
    want: { action: 'create', subsets: [] },
  },
  {
    name: 'labels copied from the Service',
    given: { service: svc((s) => { s.metadata.labels = { app: 'web', team: 'a' }; }), pods: [] },
    want: { action: 'create', subsets: [] },
    check: (e) => assert.deepEqual(e?.metadata.labels, { app: 'web', team: 'a' }),
  },
  {
    name: 'IPv6 Service picks the Pod\'s IPv6 address; Pods without one are skipped',
    given: {
      service: svc((s) => { s.spec.ipFamilies = ['IPv6']; s.spec.clusterIP = 'fd00:96::a'; }),
      pods: [pod('web-a', '10.244.0.7', (p) => { (p.status ??= {}).podIPs = [{ ip: '10.244.0.7' }, { ip: 'fd00:10:244::7' }]; }), pod('web-b', '10.244.0.8')],
    },
    want: { action: 'create', subsets: ['fd00:10:244::7 | 8080/TCP'] },
  },
  {
    name: 'unchanged: no write',
    given: { service: svc(), pods: pods(3), current: settled(svc(), pods(3)) },
    want: { action: 'none' },
  },
  {
    name: 'unchanged apart from targetRef resourceVersions: no write',
    given: {
      service: svc(), pods: pods(2),
      current: (() => {
        const e = settled(svc(), pods(2));
        for (const a of e.subsets?.[0]?.addresses ?? []) if (a.targetRef !== undefined) a.targetRef.resourceVersion = '77';
        return e;
      })(),
    },
    want: { action: 'none' },
  },
  {
    name: 'readiness flip: update moving the address, with the cached resourceVersion',
    given: { service: svc(), pods: pods(2, 0, (p) => { if (p.metadata.name === 'web-0001') setReady(p, false); }), current: settled(svc(), pods(2)) },
    want: { action: 'update', subsets: ['10.0.0.1 | nr: 10.0.1.1 | 8080/TCP'] },
    check: (e) => assert.equal(e?.metadata.resourceVersion, '5'),
  },
  {
    name: 'Service labels changed: update',
    given: { service: svc((s) => { s.metadata.labels = { v: '2' }; }), pods: pods(1), current: settled(svc(), pods(1)) },
    want: { action: 'update', subsets: ['10.0.0.1 | 8080/TCP'] },
  },
  {
    name: 'Service without a selector: left alone',
    given: { service: svc((s) => { delete s.spec.selector; }), pods: pods(2) },
    want: { action: 'none' },
  },
  {
    name: 'ExternalName Service: left alone',
    given: { service: svc((s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'db.example.com'; }), pods: pods(2) },
    want: { action: 'none' },
  },
  {
    name: 'trigger time stamped on writes',
    given: { service: svc(), pods: pods(1), triggerTime: '2024-05-01T09:58:00Z' },
    want: { action: 'create', subsets: ['10.0.0.1 | 8080/TCP'] },
    check: (e) => assert.deepEqual(e?.metadata.annotations, { [triggerTimeAnnotation]: '2024-05-01T09:58:00Z' }),
  },
  {
    name: 'over capacity (1100 ready): 1000 addresses and the over-capacity annotation',
    given: { service: svc(), pods: pods(1100) },
    want: { action: 'create' },
    check: (e) => {
      assert.equal(e?.subsets?.[0]?.addresses?.length, 1000);
      assert.equal(e?.metadata.annotations?.[overCapacityAnnotation], 'truncated');
    },
  },
  {
    name: 'over capacity (900 ready + 200 not ready): every ready address kept, not-ready ones cut',
    given: { service: svc(), pods: [...pods(900), ...pods(200, 900, (p) => setReady(p, false))] },
    want: { action: 'create' },
    check: (e) => {
      assert.equal(e?.subsets?.[0]?.addresses?.length, 900);
      assert.equal(e?.subsets?.[0]?.notReadyAddresses?.length, 100);
    },
  },
  {
    name: 'over capacity across two port subsets: shared in proportion',
    given: {
      service: svc((s) => { s.spec.ports = [{ port: 80, protocol: 'TCP', targetPort: 'web' }]; }),
      pods: [
        ...pods(600, 0, (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 8080 }] }] }; }),
        ...pods(600, 600, (p) => { p.spec = { containers: [{ name: 'a', ports: [{ name: 'web', containerPort: 9090 }] }] }; }),
      ],
    },
    want: { action: 'create' },
    check: (e) => assert.deepEqual(e?.subsets?.map((s) => s.addresses?.length), [500, 500]),
  },
  {
    name: 'over capacity and unchanged: no rewrite',
    given: { service: svc(), pods: pods(1100), current: settled(svc(), pods(1100)) },
    want: { action: 'none' },
  },
  {
    name: 'back under capacity: the annotation goes',
    given: { service: svc(), pods: pods(10), current: settled(svc(), pods(1100)) },
    want: { action: 'update' },
    check: (e) => {
      assert.equal(e?.metadata.annotations?.[overCapacityAnnotation], undefined);
      assert.equal(e?.subsets?.[0]?.addresses?.length, 10);
    },
  },
  {
    name: 'configurable capacity',
    given: { service: svc(), pods: pods(5), maxCapacity: 3 },
    want: { action: 'create', subsets: ['10.0.0.1,10.0.1.1,10.0.2.1 | 8080/TCP'] },
  },
];

describe('reconcileEndpoints', () => {
  for (const row of rows) {
    test(row.name, () => {
      const g = row.given;
      const input = {
        service: g.service, pods: g.pods ?? [], current: g.current,
        ...(g.triggerTime !== undefined ? { triggerTime: g.triggerTime } : {}),
        ...(g.maxCapacity !== undefined ? { maxCapacity: g.maxCapacity } : {}),
      };
      const plan = reconcileEndpoints(input);
      assert.equal(plan.action, row.want.action);
      const e = written(plan);
      if (row.want.subsets !== undefined) assert.deepEqual(renderSubsets(e?.subsets), row.want.subsets);
      row.check?.(e);
      if (e !== undefined) {
        // Level-triggered: writing the result and syncing again writes nothing.
        assert.equal(reconcileEndpoints({ ...input, current: e }).action, 'none');
      }
    });
  }
});

describe('repackSubsets', () => {
  const a = (ip: string, uid = `uid-${ip}`) => ({ ip, targetRef: { kind: 'Pod', uid } });
  const cases: { name: string; given: EndpointSubset[]; want: string[] }[] = [
    { name: 'empty', given: [], want: [] },
    {
      name: 'per-address subsets with one port merge',
      given: [{ addresses: [a('10.0.0.2')], ports: [{ port: 80 }] }, { addresses: [a('10.0.0.1')], ports: [{ port: 80 }] }],
      want: ['10.0.0.1,10.0.0.2 | 80/'],
    },
    {
      name: 'ready wins over not ready for the same address and port',
      given: [{ notReadyAddresses: [a('10.0.0.1')], ports: [{ port: 80 }] }, { addresses: [a('10.0.0.1')], ports: [{ port: 80 }] }],
      want: ['10.0.0.1 | 80/'],
    },
    {
      name: 'same IP, different Pods stay two addresses',
      given: [{ addresses: [a('10.0.0.1', 'u1'), a('10.0.0.1', 'u2')], ports: [{ port: 80 }] }],
      want: ['10.0.0.1,10.0.0.1 | 80/'],
    },
    {
      name: 'addresses offering both ports share one subset with both ports',
      given: [
        { addresses: [a('10.0.0.1')], ports: [{ name: 'b', port: 81 }] },
        { addresses: [a('10.0.0.1')], ports: [{ name: 'a', port: 80 }] },
      ],
      want: ['10.0.0.1 | a:80/,b:81/'],
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(renderSubsets(repackSubsets(c.given)), c.want));
});

test('truncateSubsets leaves small objects alone', () => {
  const given: EndpointSubset[] = [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }];
  assert.deepEqual(truncateSubsets(given, 1000), { subsets: given, truncated: false });
});
