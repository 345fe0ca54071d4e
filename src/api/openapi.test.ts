import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { openapiV3Index, openapiV3Document, openAPIPathFor } from './openapi.ts';
import { builtinResources, ResourceCatalog } from './resources.ts';
import { groupList } from './discovery.ts';
import { makeCRD } from './testing.ts';

describe('OpenAPI v3 index', () => {
  test('lists every served group/version', () => {
    const idx = openapiV3Index(builtinResources);
    const want = ['api/v1', ...groupList(builtinResources).groups.flatMap((g) => g.versions.map((v) => `apis/${v.groupVersion}`))];
    assert.deepEqual(Object.keys(idx.paths).sort(), want.sort());
    assert.ok(Object.keys(idx.paths).includes('apis/discovery.k8s.io/v1'));
    for (const [k, v] of Object.entries(idx.paths)) assert.match(v.serverRelativeURL, new RegExp(`^/openapi/v3/${k.replace(/\./g, '\\.')}\\?hash=[0-9A-F]{128}$`));
  });

  test('hash is stable and changes with the document', () => {
    const a = openapiV3Index(builtinResources).paths['api/v1']?.serverRelativeURL;
    assert.equal(openapiV3Index(builtinResources).paths['api/v1']?.serverRelativeURL, a);
    const withCRD = openapiV3Index(ResourceCatalog.withCRDs([makeCRD('example.com', 'widgets', 'Widget')]));
    assert.equal(withCRD.paths['api/v1']?.serverRelativeURL, a);
    assert.ok(withCRD.paths['apis/example.com/v1'] !== undefined);
  });
});

describe('OpenAPI v3 group/version documents', () => {
  test('one PATCH per kind with GVK and fieldValidation, no requestBody, empty schemas', () => {
    for (const key of Object.keys(openapiV3Index(builtinResources).paths)) {
      const doc = openapiV3Document(builtinResources, key);
      assert.ok(doc !== undefined, key);
      assert.deepEqual(doc.components, { schemas: {} });
      const kinds = Object.values(doc.paths).map((p) => p.patch?.['x-kubernetes-group-version-kind'].kind);
      const gv = key.replace(/^apis?\//, '');
      const expected = builtinResources.filter((r) => (r.group === '' ? r.version : `${r.group}/${r.version}`) === gv).map((r) => r.kind);
      assert.deepEqual(kinds.sort(), expected.sort());
      for (const p of Object.values(doc.paths)) {
        assert.ok(p.patch?.parameters.some((x) => x.name === 'fieldValidation' && x.in === 'query'));
        assert.equal('requestBody' in (p.patch ?? {}), false);
      }
    }
  });

  test('path shapes', () => {
    const core = openapiV3Document(builtinResources, 'api/v1');
    assert.deepEqual(core?.paths['/api/v1/namespaces/{namespace}/services/{name}']?.patch?.['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Service' });
    assert.ok(core?.paths['/api/v1/nodes/{name}']?.patch !== undefined);
    const apps = openapiV3Document(builtinResources, '/apis/apps/v1');
    assert.equal(apps?.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch?.operationId, 'patchAppsV1NamespacedDeployment');
    const net = openapiV3Document(builtinResources, 'apis/networking.k8s.io/v1');
    assert.equal(net?.paths['/apis/networking.k8s.io/v1/ingressclasses/{name}']?.patch?.operationId, 'patchNetworkingV1IngressClass');
  });

  test('unknown paths', () => {
    assert.equal(openapiV3Document(builtinResources, 'apis/batch/v1'), undefined);
    assert.equal(openapiV3Document(builtinResources, 'version'), undefined);
    assert.equal(openAPIPathFor('', 'v1'), 'api/v1');
    assert.equal(openAPIPathFor('apps', 'v1'), 'apis/apps/v1');
  });
});
