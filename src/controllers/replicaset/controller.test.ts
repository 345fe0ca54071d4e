import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod, ReplicaSet } from '../../api/types.ts';
import { builtin } from '../../client/index.ts';
import { fakeEnv, type FakeEnv } from '../fake.ts';
import { newReplicaSet, runningStatus } from '../testing.ts';
import { expectationsTimeoutMs } from '../common/expectations.ts';
import { ReplicaSetController } from './controller.ts';

const rsRef = builtin('replicasets', 'apps');
const podsRef = builtin('pods');

async function start(env: FakeEnv): Promise<ReplicaSetController> {
  const c = new ReplicaSetController(env.deps);
  env.factory.start();
  void c.run();
  await env.settle();
  return c;
}

async function podsOf(env: FakeEnv): Promise<Pod[]> {
  return (await env.client.resource<Pod>(podsRef).list('ns')).items;
}

describe('ReplicaSetController', () => {
  test('creates the pods from the template, owned, and reports status', async () => {
    const env = fakeEnv();
    const c = await start(env);
    await env.client.resource<ReplicaSet>(rsRef).create('ns', newReplicaSet('ns', 'web', 3));
    await env.settle();
    const pods = await podsOf(env);
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.equal(p.metadata.generateName, 'web-');
      assert.deepEqual(p.metadata.labels, { app: 'web' });
      const ref = p.metadata.ownerReferences?.[0];
      assert.deepEqual([ref?.kind, ref?.name, ref?.controller, ref?.blockOwnerDeletion], ['ReplicaSet', 'web', true, true]);
    }
    assert.deepEqual(env.recorder.events.map((e) => e.replace(/: \S+$/, '')), ['Normal SuccessfulCreate Created pod', 'Normal SuccessfulCreate Created pod', 'Normal SuccessfulCreate Created pod']);
    const rs = await env.client.resource<ReplicaSet>(rsRef).get('ns', 'web');
    assert.deepEqual(rs.status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });
    for (const p of pods) await env.client.resource<Pod>(podsRef).updateStatus({ ...p, status: runningStatus(p, '10.244.0.9', env.clock.now()) });
    await env.settle();
    assert.equal((await env.client.resource<ReplicaSet>(rsRef).get('ns', 'web')).status?.availableReplicas, 3);
    await c.stop();
  });

  test('expectations: no second round of creations until the first is observed (or expires)', async () => {
    const env = fakeEnv();
    // Creations are acknowledged but never stored, so the informer never sees them.
    let creates = 0;
    env.client.addReactor('create', 'pods', (a) => {
      creates++;
      const obj = structuredClone(a.object) as Pod;
      obj.metadata.name = `${obj.metadata.generateName ?? ''}${creates}`;
      return { result: obj };
    });
    const c = await start(env);
    await env.client.resource<ReplicaSet>(rsRef).create('ns', newReplicaSet('ns', 'web', 2));
    await env.settle();
    assert.equal(creates, 2);
    c.controller.enqueue('ns/web');
    await env.settle();
    assert.equal(creates, 2, 'expectations hold back a second round');
    assert.deepEqual(c.expectations.pending('ns/web'), { add: 2, del: 0 });
    await env.settle(expectationsTimeoutMs + 1);
    c.controller.enqueue('ns/web');
    await env.settle();
    assert.equal(creates, 4, 'after 5 minutes the controller trusts its cache again');
    await c.stop();
  });

  test('scaling down deletes the lowest-ranked pods first; failed pods are replaced', async () => {
    const env = fakeEnv();
    const c = await start(env);
    const rc = env.client.resource<ReplicaSet>(rsRef);
    const pc = env.client.resource<Pod>(podsRef);
    await rc.create('ns', newReplicaSet('ns', 'web', 3));
    await env.settle();
    const [a, b, d] = await podsOf(env);
    assert.ok(a !== undefined && b !== undefined && d !== undefined);
    for (const p of [a, d]) await pc.updateStatus({ ...p, status: runningStatus(p, '10.244.0.9', env.clock.now()) });
    await env.settle();
    await rc.patch('ns', 'web', { spec: { replicas: 2 } }, 'merge');
    await env.settle();
    const left = await podsOf(env);
    assert.deepEqual(left.map((p) => p.metadata.name).sort(), [a.metadata.name, d.metadata.name].sort(), 'the pending pod went first');
    assert.ok(env.recorder.events.includes(`Normal SuccessfulDelete Deleted pod: ${b.metadata.name ?? ''}`));
    const failed = left[0];
    assert.ok(failed !== undefined);
    await pc.updateStatus({ ...failed, status: { ...failed.status, phase: 'Failed' } });
    await env.settle();
    const after = await podsOf(env);
    assert.equal(after.filter((p) => p.status?.phase !== 'Failed').length, 2);
    assert.equal(after.length, 3, 'the failed pod stays (pod GC removes it), a replacement is made');
    await c.stop();
  });

  test('a failing creation sets ReplicaFailure, records FailedCreate and retries', async () => {
    const env = fakeEnv();
    let fail = true;
    env.client.addReactor('create', 'pods', () => (fail ? { error: new Error('pods "web-x" is forbidden: exceeded quota') } : undefined));
    const c = await start(env);
    await env.client.resource<ReplicaSet>(rsRef).create('ns', newReplicaSet('ns', 'web', 1));
    await env.settle();
    const rs = await env.client.resource<ReplicaSet>(rsRef).get('ns', 'web');
    assert.deepEqual(rs.status?.conditions?.map((x) => [x.type, x.reason, x.message]), [['ReplicaFailure', 'FailedCreate', 'pods "web-x" is forbidden: exceeded quota']]);
    assert.ok(env.recorder.events.includes('Warning FailedCreate Error creating: pods "web-x" is forbidden: exceeded quota'));
    fail = false;
    await env.settle(1000);
    assert.equal((await podsOf(env)).length, 1);
    assert.equal((await env.client.resource<ReplicaSet>(rsRef).get('ns', 'web')).status?.conditions, undefined);
    await c.stop();
  });
});
