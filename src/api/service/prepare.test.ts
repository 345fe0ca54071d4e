import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorString } from '../../machinery/status.ts';
import { makeService } from '../testing.ts';
import type { Service, ServiceSpec } from '../types.ts';
import {
  defaultOnRead, dropTypeDependentFields, initIPFamilyFields, normalizeClusterIPs, patchAllocatedValues,
} from './prepare.ts';

type Svc = Service & { spec: ServiceSpec };
const svc = (override?: (s: Svc) => void): Svc => makeService('ns1', 'svc1', override);
/** A Service as a user sends it: no allocated or server-initialised fields. */
const bare = (override?: (s: Svc) => void): Svc => svc((s) => {
  delete s.spec.clusterIP;
  delete s.spec.clusterIPs;
  override?.(s);
});

describe('normalizeClusterIPs', () => {
  const cases: { name: string; old?: Svc; given: Svc; want: { clusterIP: string | undefined; clusterIPs: string[] | undefined } }[] = [
    { name: 'create: clusterIP fills clusterIPs', given: bare((s) => { s.spec.clusterIP = '10.96.0.5'; }), want: { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'] } },
    { name: 'create: clusterIPs alone is left for validation', given: bare((s) => { s.spec.clusterIPs = ['10.96.0.5']; }), want: { clusterIP: undefined, clusterIPs: ['10.96.0.5'] } },
    { name: 'update: omitted clusterIPs taken from old when clusterIP is unchanged', old: svc(), given: svc((s) => { delete s.spec.clusterIPs; }), want: { clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'] } },
    { name: 'update: clusterIP changed, clusterIPs unchanged → clusterIPs follows', old: svc(), given: svc((s) => { s.spec.clusterIP = '10.96.0.99'; }), want: { clusterIP: '10.96.0.99', clusterIPs: ['10.96.0.99'] } },
    { name: 'update: clusterIP cleared, clusterIPs unchanged → both cleared', old: svc(), given: svc((s) => { delete s.spec.clusterIP; }), want: { clusterIP: undefined, clusterIPs: undefined } },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      normalizeClusterIPs(tc.given, tc.old);
      assert.deepEqual({ clusterIP: tc.given.spec.clusterIP, clusterIPs: tc.given.spec.clusterIPs }, tc.want);
    });
  }
});

describe('patchAllocatedValues', () => {
  const nodePortOld = svc((s) => {
    s.spec.type = 'NodePort';
    s.spec.ports = [{ name: 'a', port: 80, nodePort: 30001 }, { name: 'b', port: 81, nodePort: 30002 }];
  });
  const cases: { name: string; old: Svc; given: Svc; want: Partial<Record<keyof ServiceSpec, unknown>> & { nodePorts?: (number | undefined)[] } }[] = [
    { name: 'clusterIP and clusterIPs copied', old: svc(), given: bare(), want: { clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'] } },
    { name: 'not copied to ExternalName', old: svc(), given: bare((s) => { s.spec.type = 'ExternalName'; }), want: { clusterIP: undefined, clusterIPs: undefined } },
    {
      name: 'nodePorts copied by port name',
      old: nodePortOld,
      given: bare((s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ name: 'b', port: 81 }, { name: 'a', port: 80 }]; }),
      want: { nodePorts: [30002, 30001] },
    },
    {
      name: 'a nodePort another port now uses explicitly is not copied',
      old: nodePortOld,
      given: bare((s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30001 }]; }),
      want: { nodePorts: [undefined, 30001] },
    },
    {
      name: 'unknown port name gets none',
      old: nodePortOld,
      given: bare((s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ name: 'c', port: 82 }]; }),
      want: { nodePorts: [undefined] },
    },
    {
      name: 'nodePorts not copied when the new type allocates none',
      old: nodePortOld,
      given: bare((s) => { s.spec.ports = [{ name: 'a', port: 80 }]; }),
      want: { nodePorts: [undefined] },
    },
    {
      name: 'healthCheckNodePort copied while needed',
      old: svc((s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; s.spec.healthCheckNodePort = 31000; }),
      given: bare((s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; }),
      want: { healthCheckNodePort: 31000 },
    },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      patchAllocatedValues(tc.given, tc.old);
      const { nodePorts, ...fields } = tc.want;
      for (const [k, v] of Object.entries(fields)) assert.deepEqual(tc.given.spec[k], v, k);
      if (nodePorts !== undefined) assert.deepEqual((tc.given.spec.ports ?? []).map((p) => p.nodePort), nodePorts);
    });
  }
});

describe('dropTypeDependentFields', () => {
  const lb = svc((s) => {
    s.spec.type = 'LoadBalancer';
    s.spec.ports = [{ port: 80, nodePort: 30001 }];
    s.spec.externalTrafficPolicy = 'Local';
    s.spec.healthCheckNodePort = 31000;
    s.spec.allocateLoadBalancerNodePorts = true;
    s.spec.loadBalancerClass = 'example.com/lb';
    s.spec.ipFamilies = ['IPv4'];
    s.spec.ipFamilyPolicy = 'SingleStack';
    s['status'] = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
  });
  const cases: { name: string; old: Svc; change: (s: Svc) => void; want: Partial<Record<keyof ServiceSpec, unknown>> & { nodePort?: number | undefined; status?: unknown } }[] = [
    {
      name: 'LoadBalancer → ClusterIP wipes what the user did not change',
      old: lb,
      change: (s) => { s.spec.type = 'ClusterIP'; },
      want: { nodePort: undefined, healthCheckNodePort: undefined, allocateLoadBalancerNodePorts: undefined, loadBalancerClass: undefined, externalTrafficPolicy: undefined, clusterIP: '10.96.0.12', status: { loadBalancer: {} } },
    },
    {
      name: 'fields the user changed too are kept (validation rejects them)',
      old: lb,
      change: (s) => { s.spec.type = 'ClusterIP'; s.spec.ports = [{ port: 80, nodePort: 30009 }]; s.spec.healthCheckNodePort = 31009; s.spec.externalTrafficPolicy = 'Cluster'; },
      want: { nodePort: 30009, healthCheckNodePort: 31009, externalTrafficPolicy: 'Cluster' },
    },
    {
      name: '→ ExternalName wipes the IP fields',
      old: lb,
      change: (s) => { s.spec.type = 'ExternalName'; },
      want: { clusterIP: undefined, clusterIPs: undefined, ipFamilies: undefined, ipFamilyPolicy: undefined },
    },
    {
      name: 'no type change: nothing dropped',
      old: lb,
      change: () => {},
      want: { nodePort: 30001, healthCheckNodePort: 31000, loadBalancerClass: 'example.com/lb', status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } },
    },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const next = structuredClone(tc.old);
      tc.change(next);
      dropTypeDependentFields(next, tc.old);
      const { nodePort, status, ...fields } = tc.want;
      for (const [k, v] of Object.entries(fields)) assert.deepEqual(next.spec[k], v, k);
      if ('nodePort' in tc.want) assert.equal(next.spec.ports?.[0]?.nodePort, nodePort);
      if (status !== undefined) assert.deepEqual(next['status'], status);
    });
  }
});

describe('initIPFamilyFields', () => {
  const v4: ('IPv4' | 'IPv6')[] = ['IPv4'];
  const dual: ('IPv4' | 'IPv6')[] = ['IPv4', 'IPv6'];
  const cases: { name: string; given: Svc; old?: Svc; cluster: ('IPv4' | 'IPv6')[]; want: { policy?: string | undefined; families?: string[] | undefined; errors?: string[] } }[] = [
    { name: 'default single stack', given: bare(), cluster: v4, want: { policy: 'SingleStack', families: ['IPv4'] } },
    { name: 'families inferred from a requested IP', given: bare((s) => { s.spec.clusterIP = '10.96.0.5'; s.spec.clusterIPs = ['10.96.0.5']; }), cluster: v4, want: { policy: 'SingleStack', families: ['IPv4'] } },
    { name: 'PreferDualStack on a dual-stack cluster gets both', given: bare((s) => { s.spec.ipFamilyPolicy = 'PreferDualStack'; }), cluster: dual, want: { policy: 'PreferDualStack', families: ['IPv4', 'IPv6'] } },
    { name: 'RequireDualStack on a dual-stack cluster gets both', given: bare((s) => { s.spec.ipFamilyPolicy = 'RequireDualStack'; s.spec.ipFamilies = ['IPv6']; }), cluster: dual, want: { policy: 'RequireDualStack', families: ['IPv6', 'IPv4'] } },
    { name: 'update keeps the old policy', given: bare(), old: svc((s) => { s.spec.ipFamilyPolicy = 'PreferDualStack'; s.spec.ipFamilies = ['IPv4']; }), cluster: v4, want: { policy: 'PreferDualStack', families: ['IPv4'] } },
    {
      name: 'SingleStack with two IPs',
      given: bare((s) => { s.spec.ipFamilyPolicy = 'SingleStack'; s.spec.clusterIP = '10.96.0.5'; s.spec.clusterIPs = ['10.96.0.5', 'fd00::5']; }),
      cluster: dual,
      want: { errors: [`spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified`] },
    },
    {
      name: 'two IPs of one family',
      given: bare((s) => { s.spec.ipFamilyPolicy = 'RequireDualStack'; s.spec.clusterIP = '10.96.0.5'; s.spec.clusterIPs = ['10.96.0.5', '10.96.0.6']; }),
      cluster: dual,
      want: { errors: ['spec.clusterIPs: Invalid value: []string{"10.96.0.5", "10.96.0.6"}: may specify no more than one IP for each IP family'] },
    },
    { name: 'ExternalName is left alone', given: bare((s) => { s.spec.type = 'ExternalName'; }), cluster: v4, want: { policy: undefined, families: undefined } },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const errs = initIPFamilyFields(tc.given, tc.old, tc.cluster);
      assert.deepEqual(errs.map(fieldErrorString), tc.want.errors ?? []);
      if (tc.want.errors === undefined) {
        assert.equal(tc.given.spec.ipFamilyPolicy, tc.want.policy);
        assert.deepEqual(tc.given.spec.ipFamilies, tc.want.families);
      }
    });
  }
});

describe('defaultOnRead', () => {
  test('a stored Service without families gets them from its IPs', () => {
    const s = svc();
    defaultOnRead(s);
    assert.deepEqual([s.spec.ipFamilies, s.spec.ipFamilyPolicy], [['IPv4'], 'SingleStack']);
  });
  test('headless selector-less gets both families', () => {
    const s = svc((x) => { x.spec.clusterIP = 'None'; x.spec.clusterIPs = ['None']; delete x.spec.selector; });
    defaultOnRead(s);
    assert.deepEqual([s.spec.ipFamilies, s.spec.ipFamilyPolicy], [['IPv4', 'IPv6'], 'RequireDualStack']);
  });
  test('existing families are kept; ExternalName loses internalTrafficPolicy', () => {
    const s = svc((x) => { x.spec.ipFamilies = ['IPv4']; x.spec.ipFamilyPolicy = 'PreferDualStack'; });
    defaultOnRead(s);
    assert.equal(s.spec.ipFamilyPolicy, 'PreferDualStack');
    const e = svc((x) => { x.spec.type = 'ExternalName'; x.spec.internalTrafficPolicy = 'Cluster'; });
    defaultOnRead(e);
    assert.equal(e.spec.internalTrafficPolicy, undefined);
  });
});
