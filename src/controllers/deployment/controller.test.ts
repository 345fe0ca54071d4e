import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment, ReplicaSet } from '../../api/types.ts';
import { builtin } from '../../client/index.ts';
import { computeHash } from '../common/hash.ts';
import { fakeEnv, type FakeEnv } from '../fake.ts';
import { newDeployment } from '../testing.ts';
import { DeploymentController } from './controller.ts';
import { revisionAnnotation } from './util.ts';

const deployRef = builtin('deployments', 'apps');
const rsRef = builtin('replicasets', 'apps');

async function start(env: FakeEnv): Promise<DeploymentController> {
  const c = new DeploymentController(env.deps);
  env.factory.start();
  void c.run();
  await env.settle();
  return c;
}

/** Plays the ReplicaSet controller: every set has its pods, all available. */
async function fulfil(env: FakeEnv): Promise<void> {
  const rc = env.client.resource<ReplicaSet>(rsRef);
  for (const rs of (await rc.list('ns')).items) {
    const n = rs.spec?.replicas ?? 0;
    await rc.updateStatus({ ...rs, status: { replicas: n, fullyLabeledReplicas: n, readyReplicas: n, availableReplicas: n, observedGeneration: rs.metadata.generation ?? 1 } });
  }
}

describe('DeploymentController', () => {
  test('creates the ReplicaSet, annotates the revision, completes when the set is available', async () => {
    const env = fakeEnv();
    const c = await start(env);
    const dc = env.client.resource<Deployment>(deployRef);
    await dc.create('ns', newDeployment('ns', 'web', 3));
    await env.settle();
    const d0 = await dc.get('ns', 'web');
    const hash = computeHash(d0.spec?.template);
    const rss = (await env.client.resource<ReplicaSet>(rsRef).list('ns')).items;
    assert.deepEqual(rss.map((r) => [r.metadata.name, r.spec?.replicas]), [[`web-${hash}`, 3]]);
    assert.equal(d0.metadata.annotations?.[revisionAnnotation], '1');
    assert.ok(env.recorder.events.includes(`Normal ScalingReplicaSet Scaled up replica set web-${hash} from 0 to 3`));
    await fulfil(env);
    await env.settle();
    const d = await dc.get('ns', 'web');
    assert.deepEqual({ ...d.status, conditions: undefined }, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0, conditions: undefined });
    assert.equal(d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
    await c.stop();
  });

  test('a name taken by another object: collisionCount goes up and the next hash is used', async () => {
    const env = fakeEnv();
    const dc = env.client.resource<Deployment>(deployRef);
    // The stored (defaulted) template is what gets hashed.
    const stored = await dc.create('ns', newDeployment('ns', 'web', 1));
    const taken = computeHash(stored.spec?.template);
    await env.client.resource<ReplicaSet>(rsRef).create('ns', {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `web-${taken}`, namespace: 'ns' },
      spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    const c = await start(env);
    await env.settle(1000);
    const got = await dc.get('ns', 'web');
    assert.equal(got.status?.collisionCount, 1);
    const next = computeHash(got.spec?.template, 1);
    const names = (await env.client.resource<ReplicaSet>(rsRef).list('ns')).items.map((r) => r.metadata.name).sort();
    assert.deepEqual(names, [`web-${next}`, `web-${taken}`].sort());
    await c.stop();
  });

  test('adopts a matching orphan ReplicaSet instead of making a new one', async () => {
    const env = fakeEnv();
    const dc = env.client.resource<Deployment>(deployRef);
    const d = await dc.create('ns', newDeployment('ns', 'web', 2));
    const hash = computeHash(d.spec?.template);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = { labels: { app: 'web', 'pod-template-hash': hash } };
    await env.client.resource<ReplicaSet>(rsRef).create('ns', {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-orphan', namespace: 'ns', labels: { app: 'web', 'pod-template-hash': hash } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } }, template },
    });
    const c = await start(env);
    await env.settle();
    const rss = (await env.client.resource<ReplicaSet>(rsRef).list('ns')).items;
    assert.equal(rss.length, 1);
    assert.equal(rss[0]?.metadata.ownerReferences?.[0]?.name, 'web');
    assert.equal(rss[0]?.metadata.annotations?.[revisionAnnotation], '1');
    await c.stop();
  });
});
