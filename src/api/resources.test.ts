import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  builtinResources, ResourceCatalog, resourceInfoFromCRD, convertFieldSelector, fieldValuesOf, fieldMatcher,
  compareKubeVersions, hasSubresource, apiVersionOf, qualifiedResourceName, isCRDEstablished, type ResourceInfo,
} from './resources.ts';
import { parseFieldSelector, fieldSelectorToString } from '../machinery/fields.ts';
import { StatusError } from '../machinery/status.ts';
import { makePod, makeEvent, makeNode, makeCRD, makeCustomResource, makeSecret, makeService } from './testing.ts';

const catalog = new ResourceCatalog();

function info(group: string, plural: string): ResourceInfo {
  const i = catalog.get(group, 'v1', plural);
  if (i === undefined) throw new Error(`no ${group}/${plural}`);
  return i;
}

describe('registry table', () => {
  test('serves exactly the expected resources', () => {
    assert.deepEqual(builtinResources.map((r) => qualifiedResourceName(r)).sort(), [
      'configmaps', 'customresourcedefinitions.apiextensions.k8s.io', 'deployments.apps', 'endpoints', 'endpointslices.discovery.k8s.io',
      'events', 'ingressclasses.networking.k8s.io', 'ingresses.networking.k8s.io', 'leases.coordination.k8s.io', 'namespaces',
      'networkpolicies.networking.k8s.io', 'nodes', 'pods', 'replicasets.apps', 'secrets', 'serviceaccounts', 'services', 'statefulsets.apps',
    ]);
  });
  const shape: { name: string; given: [string, string]; want: { short: string[]; cats: string[]; namespaced: boolean; subs: string[] } }[] = [
    { name: 'pods', given: ['', 'pods'], want: { short: ['po'], cats: ['all'], namespaced: true, subs: ['attach', 'binding', 'eviction', 'exec', 'log', 'portforward', 'status'] } },
    { name: 'services', given: ['', 'services'], want: { short: ['svc'], cats: ['all'], namespaced: true, subs: ['status'] } },
    { name: 'nodes', given: ['', 'nodes'], want: { short: ['no'], cats: [], namespaced: false, subs: ['status'] } },
    { name: 'deployments', given: ['apps', 'deployments'], want: { short: ['deploy'], cats: ['all'], namespaced: true, subs: ['scale', 'status'] } },
    { name: 'statefulsets', given: ['apps', 'statefulsets'], want: { short: ['sts'], cats: ['all'], namespaced: true, subs: ['scale', 'status'] } },
    { name: 'ingresses', given: ['networking.k8s.io', 'ingresses'], want: { short: ['ing'], cats: [], namespaced: true, subs: ['status'] } },
    { name: 'networkpolicies', given: ['networking.k8s.io', 'networkpolicies'], want: { short: ['netpol'], cats: [], namespaced: true, subs: [] } },
    { name: 'crds', given: ['apiextensions.k8s.io', 'customresourcedefinitions'], want: { short: ['crd', 'crds'], cats: ['api-extensions'], namespaced: false, subs: ['status'] } },
    { name: 'endpointslices', given: ['discovery.k8s.io', 'endpointslices'], want: { short: [], cats: [], namespaced: true, subs: [] } },
  ];
  for (const tc of shape) {
    test(tc.name, () => {
      const r = info(...tc.given);
      assert.deepEqual([...r.shortNames], tc.want.short);
      assert.deepEqual([...r.categories], tc.want.cats);
      assert.equal(r.namespaced, tc.want.namespaced);
      assert.deepEqual(r.subresources.map((s) => s.name).sort(), tc.want.subs);
      assert.equal(r.hasStatus, tc.want.subs.includes('status'));
      assert.equal(r.storageVersion, true);
    });
  }
  test('helpers', () => {
    assert.equal(apiVersionOf(info('apps', 'deployments')), 'apps/v1');
    assert.equal(apiVersionOf(info('', 'pods')), 'v1');
    assert.equal(hasSubresource(info('', 'pods'), 'log'), true);
    assert.equal(hasSubresource(info('', 'services'), 'scale'), false);
    assert.equal(catalog.byKind('apps', 'v1', 'Deployment')?.plural, 'deployments');
    assert.equal(catalog.get('apps', 'v1', 'pods'), undefined);
  });
  test('name rules', () => {
    assert.equal(info('', 'services').nameRule, 'DNS1035Label');
    assert.equal(info('', 'namespaces').nameRule, 'DNS1123Label');
    assert.equal(info('apps', 'statefulsets').nameRule, 'DNS1123Label');
    assert.equal(info('', 'pods').nameRule, 'DNS1123Subdomain');
  });
});

describe('field selectors', () => {
  const accepted: { name: string; given: [string, string, string]; want: string }[] = [
    { name: 'pod nodeName', given: ['', 'pods', 'spec.nodeName=node1'], want: 'spec.nodeName=node1' },
    { name: 'pod legacy spec.host', given: ['', 'pods', 'spec.host=node1'], want: 'spec.nodeName=node1' },
    { name: 'pod phase and name', given: ['', 'pods', 'status.phase!=Failed,metadata.name=a'], want: 'metadata.name=a,status.phase!=Failed' },
    { name: 'describe service events', given: ['', 'events', 'involvedObject.name=web,involvedObject.namespace=default,involvedObject.kind=Service,involvedObject.uid=u1'], want: 'involvedObject.kind=Service,involvedObject.name=web,involvedObject.namespace=default,involvedObject.uid=u1' },
    { name: 'secret type', given: ['', 'secrets', 'type=kubernetes.io/tls'], want: 'type=kubernetes.io/tls' },
    { name: 'node unschedulable', given: ['', 'nodes', 'spec.unschedulable=false'], want: 'spec.unschedulable=false' },
    { name: 'namespace phase', given: ['', 'namespaces', 'status.phase=Active'], want: 'status.phase=Active' },
    { name: 'default kinds take name and namespace', given: ['apps', 'deployments', 'metadata.namespace=default'], want: 'metadata.namespace=default' },
  ];
  for (const tc of accepted) {
    test(`accepts ${tc.name}`, () => {
      const [g, p, s] = tc.given;
      assert.equal(fieldSelectorToString(convertFieldSelector(info(g, p), parseFieldSelector(s))), tc.want);
    });
  }
  const rejected: { name: string; given: [string, string, string]; want: string }[] = [
    { name: 'pod unknown', given: ['', 'pods', 'spec.foo=x'], want: 'field label not supported: spec.foo' },
    { name: 'node has no namespace', given: ['', 'nodes', 'metadata.namespace=x'], want: 'field label not supported: metadata.namespace' },
    { name: 'deployment default conversion', given: ['apps', 'deployments', 'spec.replicas=1'], want: '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"' },
    { name: 'configmap', given: ['', 'configmaps', 'data=x'], want: '"data" is not a known field selector: only "metadata.name", "metadata.namespace"' },
  ];
  for (const tc of rejected) {
    test(`rejects ${tc.name}`, () => {
      const [g, p, s] = tc.given;
      assert.throws(() => convertFieldSelector(info(g, p), parseFieldSelector(s)), (e: unknown) => e instanceof StatusError && e.code === 400 && e.status.message === tc.want);
    });
  }
  test('pod field values', () => {
    const pod = makePod('default', 'web-1', (p) => { p.spec.serviceAccountName = 'sa1'; });
    assert.deepEqual(fieldValuesOf(info('', 'pods'), pod), {
      'metadata.name': 'web-1', 'metadata.namespace': 'default', 'spec.nodeName': 'node1', 'spec.restartPolicy': '', 'spec.schedulerName': '',
      'spec.serviceAccountName': 'sa1', 'spec.hostNetwork': 'false', 'status.phase': 'Running', 'status.podIP': '10.244.0.5', 'status.podIPs': '', 'status.nominatedNodeName': '',
    });
  });
  const matching: { name: string; given: [ResourceInfo, string, Parameters<typeof fieldValuesOf>[1]]; want: boolean }[] = [
    { name: 'pods on node1', given: [info('', 'pods'), 'spec.nodeName=node1', makePod('d', 'a')], want: true },
    { name: 'pods on node2', given: [info('', 'pods'), 'spec.nodeName=node2', makePod('d', 'a')], want: false },
    { name: 'unscheduled pods', given: [info('', 'pods'), 'spec.nodeName=', makePod('d', 'a', (p) => { delete p.spec.nodeName; })], want: true },
    { name: 'event by uid', given: [info('', 'events'), 'involvedObject.uid=uid-web-1', makeEvent('d', 'e')], want: true },
    { name: 'event source', given: [info('', 'events'), 'source=kubelet', makeEvent('d', 'e')], want: false },
    { name: 'schedulable nodes', given: [info('', 'nodes'), 'spec.unschedulable=false', makeNode('n')], want: true },
    { name: 'secret type', given: [info('', 'secrets'), 'type=Opaque', makeSecret('d', 's')], want: true },
    { name: 'service by name', given: [info('', 'services'), 'metadata.name=web', makeService('d', 'web')], want: true },
  ];
  for (const tc of matching) {
    test(`matches ${tc.name}`, () => {
      const [i, s, obj] = tc.given;
      assert.equal(fieldMatcher(i, convertFieldSelector(i, parseFieldSelector(s)))(obj), tc.want);
    });
  }
});

describe('resourceInfoFromCRD', () => {
  test('names, scope and defaults', () => {
    const crd = makeCRD('example.com', 'widgets', 'Widget', (c) => {
      c.spec.scope = 'Cluster';
      delete c.spec.names.singular;
      delete c.spec.names.listKind;
      c.spec.names.shortNames = ['wd'];
      c.spec.names.categories = ['all'];
    });
    const [r] = resourceInfoFromCRD(crd);
    assert.ok(r !== undefined);
    assert.deepEqual(
      { group: r.group, version: r.version, kind: r.kind, listKind: r.listKind, plural: r.plural, singular: r.singular, namespaced: r.namespaced, short: r.shortNames, cats: r.categories, crd: r.crd },
      { group: 'example.com', version: 'v1', kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', namespaced: false, short: ['wd'], cats: ['all'], crd: 'widgets.example.com' },
    );
    assert.deepEqual(r.subresources, []);
    assert.equal(r.hasStatus, false);
    assert.deepEqual(r.fieldSelectors.meta, ['metadata.name']);
  });
  test('served versions only, storage flag, subresources and scale paths', () => {
    const crd = makeCRD('example.com', 'widgets', 'Widget', (c) => {
      c.spec.versions = [
        { name: 'v1', served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } } },
        { name: 'v2', served: true, storage: false },
        { name: 'v0', served: false, storage: false },
      ];
    });
    const infos = resourceInfoFromCRD(crd);
    assert.deepEqual(infos.map((i) => [i.version, i.storageVersion, i.hasStatus]), [['v1', true, true], ['v2', false, false]]);
    assert.deepEqual(infos[0]?.subresources.map((s) => [s.name, s.group, s.version, s.kind]), [['scale', 'autoscaling', 'v1', 'Scale'], ['status', 'example.com', 'v1', 'Widget']]);
    assert.deepEqual(infos[0]?.scalePaths, { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' });
  });
  test('accepted names win over spec names', () => {
    const crd = makeCRD('example.com', 'widgets', 'Widget', (c) => {
      c.status = { acceptedNames: { plural: 'widgets', kind: 'Widget', shortNames: ['w'] } };
      c.spec.names.shortNames = ['wd'];
    });
    assert.deepEqual(resourceInfoFromCRD(crd)[0]?.shortNames, ['w']);
  });
  test('selectable fields', () => {
    const crd = makeCRD('example.com', 'widgets', 'Widget', (c) => {
      const v = c.spec.versions[0];
      if (v !== undefined) v.selectableFields = [{ jsonPath: '.spec.color' }];
    });
    const [r] = resourceInfoFromCRD(crd);
    assert.ok(r !== undefined);
    const sel = convertFieldSelector(r, parseFieldSelector('spec.color=blue'));
    const w = makeCustomResource('example.com/v1', 'Widget', 'd', 'w', (o) => { o['spec'] = { color: 'blue' }; });
    assert.equal(fieldMatcher(r, sel)(w), true);
    assert.throws(() => convertFieldSelector(r, parseFieldSelector('spec.size=1')), /field label not supported: spec.size/);
  });
  test('malformed CRD objects yield nothing', () => {
    assert.deepEqual(resourceInfoFromCRD({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'x' } }), []);
  });
  test('established', () => {
    assert.equal(isCRDEstablished(makeCRD('a.io', 'bs', 'B')), false);
    assert.equal(isCRDEstablished(makeCRD('a.io', 'bs', 'B', (c) => { c.status = { conditions: [{ type: 'Established', status: 'True' }] }; })), true);
  });
});

describe('compareKubeVersions', () => {
  const cases: { name: string; given: string[]; want: string[] }[] = [
    { name: 'GA, beta, alpha, other', given: ['v1alpha1', 'foo', 'v1beta1', 'v1', 'v2', 'v2beta2', 'v1beta2', 'bar'], want: ['v2', 'v1', 'v2beta2', 'v1beta2', 'v1beta1', 'v1alpha1', 'bar', 'foo'] },
    { name: 'major numbers compare numerically', given: ['v9', 'v10'], want: ['v10', 'v9'] },
  ];
  for (const tc of cases) test(tc.name, () => assert.deepEqual([...tc.given].sort(compareKubeVersions), tc.want));
});
