import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { defaultObject, imageTag } from './defaults.ts';
import { ResourceCatalog, resourceInfoFromCRD, type ResourceInfo } from './resources.ts';
import type { Pod, Service, ServiceSpec, Deployment, StatefulSet, Namespace, KubeObject } from './types.ts';
import {
  makePod, makeService, makeDeployment, makeReplicaSet, makeStatefulSet, makeNamespace, makeSecret, makeEndpointSlice,
  makeNetworkPolicy, makeIngressClass, makeCRD, makeCustomResource, makeEndpoints, makeNode,
} from './testing.ts';

const catalog = new ResourceCatalog();
function info(group: string, plural: string): ResourceInfo {
  const i = catalog.get(group, 'v1', plural);
  if (i === undefined) throw new Error(plural);
  return i;
}

describe('imageTag', () => {
  const cases: { name: string; given: string; want: string }[] = [
    { name: 'no tag means latest', given: 'nginx', want: 'latest' },
    { name: 'tag', given: 'nginx:1.25', want: '1.25' },
    { name: 'registry with port', given: 'localhost:5000/app', want: 'latest' },
    { name: 'registry with port and tag', given: 'localhost:5000/app:v2', want: 'v2' },
    { name: 'digest only', given: 'nginx@sha256:abc', want: '' },
    { name: 'tag and digest', given: 'nginx:1.25@sha256:abc', want: '1.25' },
    { name: 'uppercase path does not parse', given: 'Nginx', want: '' },
    { name: 'empty', given: '', want: '' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(imageTag(tc.given), tc.want));
});

describe('pods', () => {
  test('spec and container defaults', () => {
    const given = makePod('default', 'web', (p) => {
      p.spec.containers = [
        { name: 'a', image: 'nginx:1.25', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } }, resources: { limits: { cpu: '1' } } },
        { name: 'b', image: 'busybox' },
      ];
      p.spec.volumes = [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'cfg' } }];
    });
    const out = defaultObject(info('', 'pods'), given) as Pod & { spec: NonNullable<Pod['spec']> };
    assert.equal(out.spec.restartPolicy, 'Always');
    assert.equal(out.spec.dnsPolicy, 'ClusterFirst');
    assert.equal(out.spec.terminationGracePeriodSeconds, 30);
    assert.equal(out.spec.schedulerName, 'default-scheduler');
    assert.deepEqual(out.spec.securityContext, {});
    assert.equal(out.spec.enableServiceLinks, true);
    const [a, b] = out.spec.containers;
    assert.equal(a?.imagePullPolicy, 'IfNotPresent');
    assert.equal(b?.imagePullPolicy, 'Always');
    assert.equal(a?.terminationMessagePath, '/dev/termination-log');
    assert.equal(a?.terminationMessagePolicy, 'File');
    assert.deepEqual(a?.ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(a?.readinessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(a?.resources, { limits: { cpu: '1' }, requests: { cpu: '1' } });
    assert.deepEqual(out.spec.volumes, [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } }]);
    assert.equal(given.spec.restartPolicy, undefined, 'input is not modified');
  });
  test('explicit values are kept', () => {
    const out = defaultObject(info('', 'pods'), makePod('d', 'p', (p) => {
      p.spec.restartPolicy = 'Never';
      p.spec.terminationGracePeriodSeconds = 0;
      p.spec.containers = [{ name: 'a', image: 'nginx', imagePullPolicy: 'Never' }];
    })) as Pod;
    assert.equal(out.spec?.restartPolicy, 'Never');
    assert.equal(out.spec?.terminationGracePeriodSeconds, 0);
    assert.equal(out.spec?.containers[0]?.imagePullPolicy, 'Never');
  });
  test('host network copies container ports to host ports', () => {
    const out = defaultObject(info('', 'pods'), makePod('d', 'p', (p) => {
      p.spec.hostNetwork = true;
      p.spec.containers = [{ name: 'a', image: 'x:1', ports: [{ containerPort: 8080 }] }];
    })) as Pod;
    assert.deepEqual(out.spec?.containers[0]?.ports, [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }]);
  });
});

describe('services', () => {
  const cases: { name: string; given: (s: Service & { spec: ServiceSpec }) => void; want: Partial<ServiceSpec> }[] = [
    {
      name: 'ClusterIP',
      given: (s) => { s.spec = { selector: { app: 'web' }, ports: [{ port: 80 }] }; },
      want: { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster' },
    },
    {
      name: 'NodePort gets externalTrafficPolicy',
      given: (s) => { s.spec = { type: 'NodePort', ports: [{ port: 80, targetPort: 'http', protocol: 'UDP' }] }; },
      want: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http', protocol: 'UDP' }], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' },
    },
    {
      name: 'LoadBalancer',
      given: (s) => { s.spec = { type: 'LoadBalancer', ports: [{ port: 443, targetPort: 0 }] }; },
      want: { type: 'LoadBalancer', ports: [{ port: 443, targetPort: 443, protocol: 'TCP' }], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true },
    },
    {
      name: 'ClientIP affinity timeout',
      given: (s) => { s.spec = { sessionAffinity: 'ClientIP' }; },
      want: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } }, type: 'ClusterIP', internalTrafficPolicy: 'Cluster' },
    },
    {
      name: 'None clears affinity config',
      given: (s) => { s.spec = { sessionAffinity: 'None', sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } }; },
      want: { sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster' },
    },
    {
      name: 'ClusterIP with externalIPs is externally accessible',
      given: (s) => { s.spec = { externalIPs: ['1.2.3.4'] }; },
      want: { externalIPs: ['1.2.3.4'], sessionAffinity: 'None', type: 'ClusterIP', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' },
    },
    {
      name: 'ExternalName has no traffic policies',
      given: (s) => { s.spec = { type: 'ExternalName', externalName: 'example.com' }; },
      want: { type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' },
    },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const out = defaultObject(info('', 'services'), makeService('default', 'web', tc.given)) as Service;
      assert.deepEqual(out.spec, tc.want);
    });
  }
  test('LoadBalancer ingress IPs get ipMode VIP', () => {
    const out = defaultObject(info('', 'services'), makeService('default', 'web', (s) => {
      s.spec.type = 'LoadBalancer';
      s.status = { loadBalancer: { ingress: [{ ip: '192.168.1.10' }, { hostname: 'lb.example.com' }] } };
    })) as Service;
    assert.deepEqual(out.status?.loadBalancer?.ingress, [{ ip: '192.168.1.10', ipMode: 'VIP' }, { hostname: 'lb.example.com' }]);
  });
});

describe('apps', () => {
  test('deployment', () => {
    const out = defaultObject(info('apps', 'deployments'), makeDeployment('default', 'web', (d) => {
      if (d.spec !== undefined) delete d.spec.replicas;
    })) as Deployment;
    assert.equal(out.spec?.replicas, 1);
    assert.deepEqual(out.spec?.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(out.spec?.revisionHistoryLimit, 10);
    assert.equal(out.spec?.progressDeadlineSeconds, 600);
    const pod = out.spec?.template?.spec;
    assert.equal(pod?.restartPolicy, 'Always');
    assert.equal(pod?.containers[0]?.imagePullPolicy, 'IfNotPresent');
    assert.equal(pod?.enableServiceLinks, undefined, 'pod-only defaults stay off templates');
  });
  test('deployment Recreate has no rollingUpdate', () => {
    const out = defaultObject(info('apps', 'deployments'), makeDeployment('default', 'web', (d) => {
      if (d.spec !== undefined) d.spec.strategy = { type: 'Recreate' };
    })) as Deployment;
    assert.deepEqual(out.spec?.strategy, { type: 'Recreate' });
  });
  test('replicaset', () => {
    const out = defaultObject(info('apps', 'replicasets'), makeReplicaSet('default', 'rs', (r) => { if (r.spec !== undefined) delete r.spec.replicas; }));
    assert.equal((out.spec as { replicas?: number }).replicas, 1);
  });
  test('statefulset', () => {
    const out = defaultObject(info('apps', 'statefulsets'), makeStatefulSet('default', 'db', (s) => {
      if (s.spec !== undefined) {
        delete s.spec.replicas;
        s.spec.volumeClaimTemplates = [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: {} }];
      }
    })) as StatefulSet;
    assert.equal(out.spec?.replicas, 1);
    assert.equal(out.spec?.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(out.spec?.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.equal(out.spec?.revisionHistoryLimit, 10);
    assert.deepEqual(out.spec?.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.deepEqual(out.spec?.volumeClaimTemplates?.[0], { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  });
  test('statefulset OnDelete keeps no rollingUpdate', () => {
    const out = defaultObject(info('apps', 'statefulsets'), makeStatefulSet('default', 'db', (s) => {
      if (s.spec !== undefined) s.spec.updateStrategy = { type: 'OnDelete' };
    })) as StatefulSet;
    assert.deepEqual(out.spec?.updateStrategy, { type: 'OnDelete' });
  });
});

describe('other kinds', () => {
  test('namespace on create', () => {
    const out = defaultObject(info('', 'namespaces'), makeNamespace('team-a', (n) => { delete n.spec; delete n.status; })) as Namespace;
    assert.deepEqual(out.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
    assert.deepEqual(out.status, { phase: 'Active' });
    assert.deepEqual(out.spec, { finalizers: ['kubernetes'] });
  });
  test('namespace on update keeps removed finalizers removed', () => {
    const out = defaultObject(info('', 'namespaces'), makeNamespace('team-a', (n) => { n.spec = { finalizers: [] }; n.status = { phase: 'Terminating' }; }), { operation: 'update' }) as Namespace;
    assert.deepEqual(out.spec, { finalizers: [] });
    assert.deepEqual(out.status, { phase: 'Terminating' });
  });
  const simple: { name: string; given: [ResourceInfo, KubeObject]; want: (o: KubeObject) => unknown; expect: unknown }[] = [
    { name: 'secret type', given: [info('', 'secrets'), makeSecret('d', 's', (s) => { delete s.type; })], want: (o) => o['type'], expect: 'Opaque' },
    {
      name: 'endpointslice ports', given: [info('discovery.k8s.io', 'endpointslices'), makeEndpointSlice('d', 's', (s) => { s.ports = [{ port: 80 }]; })],
      want: (o) => o['ports'], expect: [{ port: 80, name: '', protocol: 'TCP' }],
    },
    {
      name: 'endpoints ports', given: [info('', 'endpoints'), makeEndpoints('d', 'e', (e) => { e.subsets = [{ ports: [{ port: 80 }] }]; })],
      want: (o) => o['subsets'], expect: [{ ports: [{ port: 80, protocol: 'TCP' }] }],
    },
    {
      name: 'networkpolicy types and ports', given: [info('networking.k8s.io', 'networkpolicies'), makeNetworkPolicy('d', 'n', (n) => { n.spec = { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] }; })],
      want: (o) => o['spec'], expect: { podSelector: {}, egress: [{ ports: [{ port: 53, protocol: 'TCP' }] }], policyTypes: ['Ingress', 'Egress'] },
    },
    {
      name: 'ingressclass parameters scope', given: [info('networking.k8s.io', 'ingressclasses'), makeIngressClass('c', (c) => { c.spec = { controller: 'x', parameters: { kind: 'K', name: 'n' } }; })],
      want: (o) => o['spec'], expect: { controller: 'x', parameters: { kind: 'K', name: 'n', scope: 'Cluster' } },
    },
    {
      name: 'node allocatable from capacity', given: [info('', 'nodes'), makeNode('n', (n) => { if (n.status !== undefined) n.status.capacity = { cpu: '4', pods: '110' }; })],
      want: (o) => (o['status'] as { allocatable?: unknown }).allocatable, expect: { cpu: '4', pods: '110' },
    },
    {
      name: 'crd names and conversion', given: [info('apiextensions.k8s.io', 'customresourcedefinitions'), makeCRD('example.com', 'widgets', 'Widget', (c) => { delete c.spec.names.singular; delete c.spec.names.listKind; })],
      want: (o) => { const s = o['spec'] as { names: unknown; conversion: unknown }; return [s.names, s.conversion]; },
      expect: [{ plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' }, { strategy: 'None' }],
    },
  ];
  for (const tc of simple) test(tc.name, () => assert.deepEqual(tc.want(defaultObject(tc.given[0], tc.given[1])), tc.expect));
  test('custom resources are returned unchanged (as a copy)', () => {
    const [cr] = resourceInfoFromCRD(makeCRD('example.com', 'widgets', 'Widget'));
    assert.ok(cr !== undefined);
    const obj = makeCustomResource('example.com/v1', 'Widget', 'd', 'w', (o) => { o['spec'] = { a: 1 }; });
    const out = defaultObject(cr, obj);
    assert.deepEqual(out, obj);
    assert.notEqual(out, obj);
  });
});
