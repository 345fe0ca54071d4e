import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject, Pod, ReplicaSet } from '../../api/types.ts';
import { builtin, isNotFound, type ResourceRef } from '../../client/index.ts';
import { fakeEnv, type FakeEnv } from '../fake.ts';
import { GarbageCollector } from './controller.ts';
import type { GCResource } from './discovery.ts';

const podsRef = builtin('pods');
const rsRef = builtin('replicasets', 'apps');
const watched: GCResource[] = [
  { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' },
  { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true, kind: 'ReplicaSet' },
];

async function start(env: FakeEnv): Promise<GarbageCollector> {
  const gc = new GarbageCollector({ ...env.deps, discover: async () => watched });
  env.factory.start();
  void gc.run();
  await env.settle();
  return gc;
}

async function exists(env: FakeEnv, ref: ResourceRef, name: string): Promise<KubeObject | undefined> {
  try {
    return await env.client.resource(ref).get('ns', name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** An owner and two pods that name it, one blocking its deletion. */
async function family(env: FakeEnv): Promise<ReplicaSet> {
  const rs = await env.client.resource<ReplicaSet>(rsRef).create('ns', {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'ns' },
    spec: { replicas: 0, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } } },
  });
  const ref = (block: boolean) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: rs.metadata.uid ?? '', controller: true, blockOwnerDeletion: block });
  for (const [name, block] of [['blocker', true], ['free', false]] as const) {
    await env.client.resource<Pod>(podsRef).create('ns', { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', ownerReferences: [ref(block)] }, spec: { containers: [{ name: 'c' }] } });
  }
  return rs;
}

describe('GarbageCollector', () => {
  test('background: dependents of a deleted owner are deleted', async () => {
    const env = fakeEnv();
    const gc = await start(env);
    await family(env);
    await env.settle();
    await env.client.resource(rsRef).delete('ns', 'rs');
    await env.settle();
    assert.equal(await exists(env, podsRef, 'blocker'), undefined);
    assert.equal(await exists(env, podsRef, 'free'), undefined);
    const deletes = env.client.actions.filter((a) => a.verb === 'delete' && a.resource === 'pods');
    assert.equal(deletes.length, 2);
    await gc.stop();
  });

  test('foreground: dependents first, then the owner\'s finalizer', async () => {
    const env = fakeEnv();
    const gc = await start(env);
    // Hold the blocking pod with a finalizer so the owner has to wait.
    await family(env);
    await env.client.resource<Pod>(podsRef).patch('ns', 'blocker', { metadata: { finalizers: ['test/hold'] } }, 'merge');
    await env.settle();
    await env.client.resource(rsRef).delete('ns', 'rs', { propagationPolicy: 'Foreground' });
    await env.settle();
    assert.equal(await exists(env, podsRef, 'free'), undefined);
    assert.ok((await exists(env, podsRef, 'blocker'))?.metadata.deletionTimestamp !== undefined);
    assert.deepEqual((await exists(env, rsRef, 'rs'))?.metadata.finalizers, ['foregroundDeletion']);
    await env.client.resource<Pod>(podsRef).patch('ns', 'blocker', { metadata: { finalizers: null } }, 'merge');
    await env.settle();
    assert.equal(await exists(env, podsRef, 'blocker'), undefined);
    assert.equal(await exists(env, rsRef, 'rs'), undefined);
    await gc.stop();
  });

  test('orphan: owner references removed, dependents kept, then the owner goes', async () => {
    const env = fakeEnv();
    const gc = await start(env);
    await family(env);
    await env.settle();
    await env.client.resource(rsRef).delete('ns', 'rs', { propagationPolicy: 'Orphan' });
    await env.settle();
    assert.equal(await exists(env, rsRef, 'rs'), undefined);
    for (const name of ['blocker', 'free']) assert.deepEqual((await exists(env, podsRef, name))?.metadata.ownerReferences ?? [], []);
    await gc.stop();
  });

  test('an owner of a kind nobody watches is never assumed gone', async () => {
    const env = fakeEnv();
    const gc = new GarbageCollector({ ...env.deps, discover: async () => [watched[0] as GCResource] });
    env.factory.start();
    void gc.run();
    await env.settle();
    // Only pods are watched: ReplicaSets are an unknown kind to this collector.
    await family(env);
    await env.settle();
    await env.client.resource(rsRef).delete('ns', 'rs');
    await env.settle();
    assert.ok(await exists(env, podsRef, 'blocker'));
    assert.ok(await exists(env, podsRef, 'free'));
    await gc.stop();
  });
});
