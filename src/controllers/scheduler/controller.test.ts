import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node, Pod } from '../../api/types.ts';
import { builtin } from '../../client/index.ts';
import { fakeEnv } from '../fake.ts';
import { readyNode } from '../testing.ts';
import { Scheduler } from './controller.ts';

const podsRef = builtin('pods');
const nodesRef = builtin('nodes');

const mk = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'x' }] } });

describe('Scheduler', () => {
  test('spreads a burst evenly (bindings in flight count), records Scheduled', async () => {
    const env = fakeEnv();
    await env.client.seed(nodesRef, [readyNode('n1'), readyNode('n2')]);
    await env.client.seed(podsRef, ['a', 'b', 'c', 'd'].map(mk));
    const s = new Scheduler(env.deps);
    env.factory.start();
    void s.run();
    await env.settle();
    const pods = (await env.client.resource<Pod>(podsRef).list('ns')).items;
    const per = new Map<string, number>();
    for (const p of pods) per.set(p.spec?.nodeName ?? '', (per.get(p.spec?.nodeName ?? '') ?? 0) + 1);
    assert.deepEqual([...per].sort(), [['n1', 2], ['n2', 2]]);
    const bindings = env.client.actions.filter((a) => a.subresource === 'binding');
    assert.equal(bindings.length, 4);
    assert.deepEqual((bindings[0]?.object as { target?: unknown }).target, { apiVersion: 'v1', kind: 'Node', name: 'n1' });
    assert.equal(env.recorder.events.filter((e) => /^Normal Scheduled Successfully assigned ns\/[abcd] to n[12]$/.test(e)).length, 4);
    assert.equal(pods.every((p) => p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status === 'True'), true);
    await s.stop();
  });

  test('nothing fits: FailedScheduling and PodScheduled=False, retried when a node becomes ready', async () => {
    const env = fakeEnv();
    await env.client.seed(nodesRef, [readyNode('n1', (n) => { n.status = { conditions: [{ type: 'Ready', status: 'False' }] }; })]);
    await env.client.seed(podsRef, [mk('a')]);
    const s = new Scheduler(env.deps);
    env.factory.start();
    void s.run();
    await env.settle();
    const msg = '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
    assert.deepEqual(env.recorder.events, [`Warning FailedScheduling ${msg}`]);
    const p = await env.client.resource<Pod>(podsRef).get('ns', 'a');
    const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
    assert.deepEqual([c?.status, c?.reason, c?.message], ['False', 'Unschedulable', msg]);
    await env.client.resource<Node>(nodesRef).patchStatus('', 'n1', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'strategic');
    await env.settle();
    assert.equal((await env.client.resource<Pod>(podsRef).get('ns', 'a')).spec?.nodeName, 'n1');
    await s.stop();
  });
});
