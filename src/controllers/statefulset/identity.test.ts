import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newStatefulSet } from '../testing.ts';
import { identityMatches, newStatefulSetPod, parentAndOrdinal, revisionName } from './identity.ts';

describe('parentAndOrdinal', () => {
  const rows = [
    { name: 'simple', given: 'web-0', want: { parent: 'web', ordinal: 0 } },
    { name: 'dashes in the parent', given: 'my-db-12', want: { parent: 'my-db', ordinal: 12 } },
    { name: 'no ordinal', given: 'web', want: { parent: '', ordinal: -1 } },
    { name: 'not a number', given: 'web-x', want: { parent: '', ordinal: -1 } },
    { name: 'beyond int32', given: 'web-99999999999', want: { parent: '', ordinal: -1 } },
  ];
  for (const r of rows) test(r.name, () => assert.deepEqual(parentAndOrdinal(r.given), r.want));
});

describe('newStatefulSetPod', () => {
  test('name, hostname, subdomain, identity and revision labels, controller reference', () => {
    const set = newStatefulSet('ns', 'db', 3, (s) => { s.metadata.uid = 'u1'; });
    const rev = revisionName(set);
    const pod = newStatefulSetPod(set, 2, rev);
    assert.equal(pod.metadata.name, 'db-2');
    assert.equal(pod.metadata.generateName, undefined);
    assert.equal(pod.metadata.namespace, 'ns');
    assert.equal(pod.spec?.hostname, 'db-2');
    assert.equal(pod.spec?.subdomain, 'db');
    assert.deepEqual(pod.metadata.labels, { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': rev });
    assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
    assert.equal(identityMatches(set, pod), true);
    assert.equal(identityMatches(set, { ...pod, metadata: { ...pod.metadata, labels: { app: 'db' } } }), false);
  });
});
