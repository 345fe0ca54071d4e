import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gcResources, groupKindKey } from './discovery.ts';

describe('gcResources', () => {
  test('deletable, watchable top-level resources; not events, not subresources', () => {
    const got = gcResources({
      groupVersion: 'v1',
      resources: [
        { name: 'pods', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list', 'watch'] },
        { name: 'pods/status', namespaced: true, kind: 'Pod', verbs: ['get', 'patch'] },
        { name: 'events', namespaced: true, kind: 'Event', verbs: ['create', 'delete', 'get', 'list', 'watch'] },
        { name: 'bindings', namespaced: true, kind: 'Binding', verbs: ['create'] },
        { name: 'namespaces', namespaced: false, kind: 'Namespace', verbs: ['delete', 'get', 'list', 'watch'] },
      ],
    });
    assert.deepEqual(got, [
      { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' },
      { group: '', version: 'v1', plural: 'namespaces', namespaced: false, kind: 'Namespace' },
    ]);
    assert.deepEqual(gcResources({ groupVersion: 'apps/v1', resources: [{ name: 'deployments', namespaced: true, kind: 'Deployment', verbs: ['list', 'watch', 'delete'] }] }),
      [{ group: 'apps', version: 'v1', plural: 'deployments', namespaced: true, kind: 'Deployment' }]);
  });
  test('owner references map by group and kind, any version', () => {
    assert.equal(groupKindKey('apps/v1', 'ReplicaSet'), groupKindKey('apps/v1beta2', 'ReplicaSet'));
    assert.equal(groupKindKey('v1', 'Pod'), '/Pod');
  });
});
