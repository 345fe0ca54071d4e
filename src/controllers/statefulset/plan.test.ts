import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod, StatefulSet } from '../../api/types.ts';
import { newStatefulSet } from '../testing.ts';
import { newStatefulSetPod, revisionName } from './identity.ts';
import { planStatefulSet, type StatefulSetAction } from './plan.ts';

const now = Date.parse('2024-05-01T10:00:00Z');

function set(replicas: number, f?: (s: StatefulSet & { spec: NonNullable<StatefulSet['spec']> }) => void): StatefulSet {
  return newStatefulSet('ns', 'web', replicas, (s) => {
    s.metadata.uid = 'u1';
    s.metadata.generation = 1;
    s.spec = { ...s.spec, podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } };
    f?.(s as StatefulSet & { spec: NonNullable<StatefulSet['spec']> });
  });
}

type State = 'ready' | 'pending' | 'terminating' | 'failed';

function pod(s: StatefulSet, ordinal: number, state: State = 'ready', revision = revisionName(s)): Pod {
  const p = newStatefulSetPod(s, ordinal, revision);
  p.metadata.uid = `p${ordinal}`;
  if (state === 'ready') p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T09:00:00Z' }] };
  if (state === 'pending') p.status = { phase: 'Pending' };
  if (state === 'failed') p.status = { phase: 'Failed' };
  if (state === 'terminating') {
    p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    p.metadata.deletionTimestamp = '2024-05-01T10:00:00Z';
  }
  return p;
}

const show = (phases: StatefulSetAction[][]): string[][] => phases.map((ph) => ph.map((a) => `${a.kind} ${a.pod.metadata.name ?? ''}`));

describe('planStatefulSet ordering', () => {
  const rows: Array<{ name: string; set: StatefulSet; pods: (s: StatefulSet) => Pod[]; want: string[][] }> = [
    { name: 'OrderedReady: first pod only', set: set(3), pods: () => [], want: [['create web-0']] },
    { name: 'OrderedReady: waits while web-0 is pending', set: set(3), pods: (s) => [pod(s, 0, 'pending')], want: [] },
    { name: 'OrderedReady: next ordinal once web-0 is ready', set: set(3), pods: (s) => [pod(s, 0)], want: [['create web-1']] },
    { name: 'OrderedReady: a missing middle ordinal is recreated first', set: set(3), pods: (s) => [pod(s, 0), pod(s, 2)], want: [['create web-1']] },
    { name: 'OrderedReady: a failed pod is deleted (recreated next sync)', set: set(3), pods: (s) => [pod(s, 0, 'failed'), pod(s, 1)], want: [['delete web-0']] },
    { name: 'OrderedReady: scale down from the highest ordinal, one at a time', set: set(1), pods: (s) => [pod(s, 0), pod(s, 1), pod(s, 2)], want: [['delete web-2']] },
    { name: 'OrderedReady: waits for a terminating condemned pod', set: set(1), pods: (s) => [pod(s, 0), pod(s, 1), pod(s, 2, 'terminating')], want: [] },
    { name: 'OrderedReady: no scale down while a kept pod is not ready', set: set(1), pods: (s) => [pod(s, 0, 'pending'), pod(s, 1)], want: [] },
    { name: 'Parallel: every ordinal at once', set: set(3, (s) => { s.spec.podManagementPolicy = 'Parallel'; }), pods: () => [], want: [['create web-0', 'create web-1', 'create web-2']] },
    {
      name: 'Parallel: creates and deletes without waiting',
      set: set(2, (s) => { s.spec.podManagementPolicy = 'Parallel'; }),
      pods: (s) => [pod(s, 1, 'pending'), pod(s, 2), pod(s, 3, 'pending')],
      want: [['create web-0'], ['delete web-3', 'delete web-2']],
    },
    {
      name: 'RollingUpdate: highest ordinal on the old revision goes first',
      set: set(3),
      pods: (s) => [pod(s, 0, 'ready', 'web-old'), pod(s, 1, 'ready', 'web-old'), pod(s, 2, 'ready', 'web-old')],
      want: [['delete web-2']],
    },
    {
      name: 'RollingUpdate: waits for the updated pod to be ready',
      set: set(3),
      pods: (s) => [pod(s, 0, 'ready', 'web-old'), pod(s, 1, 'ready', 'web-old'), pod(s, 2, 'pending')],
      want: [],
    },
    {
      name: 'RollingUpdate: partition keeps lower ordinals',
      set: set(3, (s) => { s.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }; }),
      pods: (s) => [pod(s, 0, 'ready', 'web-old'), pod(s, 1, 'ready', 'web-old'), pod(s, 2)],
      want: [],
    },
    {
      name: 'OnDelete: never deletes for an update',
      set: set(2, (s) => { s.spec.updateStrategy = { type: 'OnDelete' }; }),
      pods: (s) => [pod(s, 0, 'ready', 'web-old'), pod(s, 1, 'ready', 'web-old')],
      want: [],
    },
    {
      name: 'a pod whose identity label was removed gets it back',
      set: set(1),
      pods: (s) => {
        const p = pod(s, 0);
        delete p.metadata.labels?.['statefulset.kubernetes.io/pod-name'];
        return [p];
      },
      want: [['update web-0']],
    },
    { name: 'being deleted: nothing but status', set: set(3, (s) => { s.metadata.deletionTimestamp = 'x'; }), pods: () => [], want: [] },
  ];
  for (const r of rows) test(r.name, () => assert.deepEqual(show(planStatefulSet(r.set, r.pods(r.set), now).phases), r.want));
});

describe('planStatefulSet status', () => {
  test('counts existing pods; the update revision becomes current when all are updated and ready', () => {
    const s = set(2, (x) => { x.status = { currentRevision: 'web-old' }; });
    const rev = revisionName(s);
    const rolling = planStatefulSet(s, [pod(s, 0, 'ready', 'web-old'), pod(s, 1)], now).status;
    assert.deepEqual(rolling, {
      observedGeneration: 1, currentRevision: 'web-old', updateRevision: rev, collisionCount: 0,
      replicas: 2, readyReplicas: 2, availableReplicas: 2, currentReplicas: 0, updatedReplicas: 1,
    });
    const done = planStatefulSet(s, [pod(s, 0), pod(s, 1)], now).status;
    assert.equal(done.currentRevision, rev);
    assert.equal(done.currentReplicas, 2);
    assert.equal(done.updatedReplicas, 2);
  });
});
