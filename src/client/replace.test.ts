import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../api/types.ts';
import { FakeClient } from './fake.ts';
import { createOrReplace } from './replace.ts';
import { builtin } from './types.ts';

test('createOrReplace creates a missing object and replaces a stored one at its resourceVersion', async () => {
  const res = new FakeClient().resource<KubeObject>(builtin('configmaps'));
  const want = (v: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { v } } as KubeObject);
  await createOrReplace(res, want('1'));
  assert.deepEqual((await res.get('ns', 'c'))['data'], { v: '1' });
  const before = (await res.get('ns', 'c')).metadata.resourceVersion;
  await createOrReplace(res, want('2'));
  const after = await res.get('ns', 'c');
  assert.deepEqual(after['data'], { v: '2' });
  assert.notEqual(after.metadata.resourceVersion, before);
});
