import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  coreVersions, groupList, apiGroup, resourceList, aggregatedDiscovery, wantsAggregatedDiscovery, storageVersionHash,
  type APIResource,
} from './discovery.ts';
import { builtinResources, ResourceCatalog } from './resources.ts';
import { makeCRD } from './testing.ts';

function byName(list: APIResource[] | undefined, name: string): APIResource | undefined {
  return list?.find((r) => r.name === name);
}

describe('legacy discovery', () => {
  test('/api lists v1 with the server address', () => {
    assert.deepEqual(coreVersions('127.0.0.1', 6443), {
      kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
    });
    assert.equal(coreVersions('::1', 6443).serverAddressByClientCIDRs[0]?.serverAddress, '[::1]:6443');
  });

  test('/apis lists every named group with its preferred version', () => {
    const doc = groupList(builtinResources);
    assert.equal(doc.kind, 'APIGroupList');
    assert.deepEqual(doc.groups.map((g) => g.name), ['apps', 'networking.k8s.io', 'apiextensions.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io']);
    for (const g of doc.groups) {
      assert.deepEqual(g.preferredVersion, { groupVersion: `${g.name}/v1`, version: 'v1' });
      assert.deepEqual(g.versions, [{ groupVersion: `${g.name}/v1`, version: 'v1' }]);
    }
  });

  test('/apis/G', () => {
    assert.deepEqual(apiGroup(builtinResources, 'apps'), {
      kind: 'APIGroup', apiVersion: 'v1', name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
    });
    assert.equal(apiGroup(builtinResources, 'batch'), undefined);
    assert.equal(apiGroup(builtinResources, ''), undefined);
  });

  test('every built-in resource is listed once in its group/version', () => {
    const seen: string[] = [];
    for (const g of [{ name: '', v: 'v1' }, ...groupList(builtinResources).groups.map((x) => ({ name: x.name, v: 'v1' }))]) {
      const list = resourceList(builtinResources, g.name, g.v);
      assert.ok(list !== undefined, `group ${g.name}`);
      for (const r of list.resources) if (!r.name.includes('/')) seen.push(`${g.name}/${r.name}`);
    }
    assert.deepEqual(seen.sort(), builtinResources.map((r) => `${r.group}/${r.plural}`).sort());
  });

  test('/api/v1 entries', () => {
    const list = resourceList(builtinResources, '', 'v1');
    assert.equal(list?.groupVersion, 'v1');
    assert.deepEqual(byName(list?.resources, 'services'), {
      name: 'services', singularName: 'service', namespaced: true, kind: 'Service',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['svc'], categories: ['all'], storageVersionHash: '0/CO1lhkEBI=',
    });
    assert.deepEqual(byName(list?.resources, 'services/status'), { name: 'services/status', singularName: '', namespaced: true, kind: 'Service', verbs: ['get', 'patch', 'update'] });
    assert.deepEqual(byName(list?.resources, 'pods/log'), { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
    assert.deepEqual(byName(list?.resources, 'pods/exec'), { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
    assert.deepEqual(byName(list?.resources, 'pods/binding'), { name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] });
    assert.deepEqual(byName(list?.resources, 'pods/eviction'), { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    assert.equal(byName(list?.resources, 'nodes')?.namespaced, false);
    assert.deepEqual(byName(list?.resources, 'nodes')?.shortNames, ['no']);
    assert.equal(byName(list?.resources, 'pods')?.storageVersionHash, 'xPOwRZ+Yhw8=');
    assert.deepEqual(byName(list?.resources, 'namespaces')?.verbs, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
    assert.deepEqual(byName(list?.resources, 'endpoints')?.shortNames, ['ep']);
    assert.equal(byName(list?.resources, 'endpoints')?.singularName, 'endpoints');
  });

  test('/apis/apps/v1 scale subresources are autoscaling/v1 Scale', () => {
    const list = resourceList(builtinResources, 'apps', 'v1');
    for (const r of ['deployments', 'replicasets', 'statefulsets']) {
      assert.deepEqual(byName(list?.resources, `${r}/scale`), { name: `${r}/scale`, singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
      assert.ok(byName(list?.resources, `${r}/status`) !== undefined);
      assert.deepEqual(byName(list?.resources, r)?.categories, ['all']);
    }
    assert.deepEqual(byName(list?.resources, 'deployments')?.shortNames, ['deploy']);
    assert.equal(byName(list?.resources, 'deployments')?.storageVersionHash, '8aSe+NMegvE=');
  });

  test('unknown group/version', () => {
    assert.equal(resourceList(builtinResources, 'batch', 'v1'), undefined);
    assert.equal(resourceList(builtinResources, 'apps', 'v1beta1'), undefined);
  });

  test('storageVersionHash', () => {
    assert.equal(storageVersionHash('', 'v1', 'Namespace'), 'Q3oi5N2YM8M=');
  });
});

describe('aggregated discovery v2', () => {
  test('/api: only the core group, unnamed', () => {
    const doc = aggregatedDiscovery(builtinResources, 'core');
    assert.equal(doc.kind, 'APIGroupDiscoveryList');
    assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
    assert.equal(doc.items.length, 1);
    const core = doc.items[0];
    assert.deepEqual(core?.metadata, {});
    assert.equal(core?.versions[0]?.version, 'v1');
    assert.equal(core?.versions[0]?.freshness, 'Current');
    const pods = core?.versions[0]?.resources.find((r) => r.resource === 'pods');
    assert.deepEqual(pods?.responseKind, { group: '', version: 'v1', kind: 'Pod' });
    assert.equal(pods?.scope, 'Namespaced');
    assert.equal(pods?.singularResource, 'pod');
    assert.deepEqual(pods?.shortNames, ['po']);
    assert.deepEqual(pods?.categories, ['all']);
    assert.deepEqual(pods?.subresources?.map((s) => s.subresource), ['attach', 'binding', 'eviction', 'exec', 'log', 'portforward', 'status']);
    assert.deepEqual(pods?.subresources?.find((s) => s.subresource === 'eviction')?.responseKind, { group: 'policy', version: 'v1', kind: 'Eviction' });
    const ns = core?.versions[0]?.resources.find((r) => r.resource === 'namespaces');
    assert.equal(ns?.scope, 'Cluster');
  });

  test('/apis: every named group, no core', () => {
    const doc = aggregatedDiscovery(builtinResources, 'groups');
    assert.deepEqual(doc.items.map((i) => i.metadata.name), ['apps', 'networking.k8s.io', 'apiextensions.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io']);
    const deploy = doc.items[0]?.versions[0]?.resources.find((r) => r.resource === 'deployments');
    assert.deepEqual(deploy?.subresources?.find((s) => s.subresource === 'scale'), { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
    const count = doc.items.flatMap((i) => i.versions.flatMap((v) => v.resources)).length;
    assert.equal(count, builtinResources.filter((r) => r.group !== '').length);
  });

  test('CRD groups follow the built-in ones with every served version, preferred first', () => {
    const crd = makeCRD('example.com', 'widgets', 'Widget', (c) => {
      c.spec.versions = [
        { name: 'v1alpha1', served: true, storage: false },
        { name: 'v1', served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } },
        { name: 'v1beta1', served: false, storage: false },
      ];
      c.spec.names.shortNames = ['wd'];
      c.spec.names.categories = ['all'];
    });
    const cat = ResourceCatalog.withCRDs([crd, makeCRD('aaa.io', 'things', 'Thing')]);
    assert.deepEqual(groupList(cat).groups.map((g) => g.name).slice(-2), ['aaa.io', 'example.com']);
    const g = apiGroup(cat, 'example.com');
    assert.deepEqual(g?.versions.map((v) => v.version), ['v1', 'v1alpha1']);
    assert.equal(g?.preferredVersion.version, 'v1');
    const list = resourceList(cat, 'example.com', 'v1');
    assert.deepEqual(list?.resources.map((r) => r.name), ['widgets', 'widgets/scale', 'widgets/status']);
    assert.deepEqual(byName(list?.resources, 'widgets')?.shortNames, ['wd']);
    const agg = aggregatedDiscovery(cat, 'groups').items.find((i) => i.metadata.name === 'example.com');
    assert.deepEqual(agg?.versions.map((v) => v.version), ['v1', 'v1alpha1']);
    assert.deepEqual(agg?.versions[0]?.resources[0]?.subresources?.map((s) => s.subresource), ['scale', 'status']);
    assert.equal(resourceList(cat, 'example.com', 'v1beta1'), undefined);
  });
});

describe('wantsAggregatedDiscovery', () => {
  const cases: { name: string; given: string | undefined; want: boolean }[] = [
    {
      name: 'kubectl 1.32',
      given: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
      want: true,
    },
    { name: 'plain json', given: 'application/json, */*', want: false },
    { name: 'absent', given: undefined, want: false },
    { name: 'v2beta1 only', given: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', want: false },
    { name: 'json listed first wins', given: 'application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', want: false },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(wantsAggregatedDiscovery(tc.given), tc.want));
});
