import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment, IntOrString, ReplicaSet } from '../../api/types.ts';
import {
  desiredReplicasAnnotation, maxReplicasAnnotation, maxSurge, maxUnavailable, newRSNewReplicas, proportion, resolveFenceposts,
  revisionAnnotation, revisionHistoryAnnotation, setCondition, setNewReplicaSetAnnotations,
} from './util.ts';

function deploy(replicas: number, surge?: IntOrString, unavailable?: IntOrString, f?: (d: Deployment) => void): Deployment {
  const ru: { maxSurge?: IntOrString; maxUnavailable?: IntOrString } = {};
  if (surge !== undefined) ru.maxSurge = surge;
  if (unavailable !== undefined) ru.maxUnavailable = unavailable;
  const d: Deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', uid: 'd1' }, spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: ru } } };
  f?.(d);
  return d;
}

function rs(name: string, replicas: number, f?: (r: ReplicaSet) => void): ReplicaSet {
  const r: ReplicaSet = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'ns', uid: `uid-${name}` }, spec: { replicas } };
  f?.(r);
  return r;
}

describe('resolveFenceposts / maxSurge / maxUnavailable', () => {
  const rows: Array<{ name: string; replicas: number; surge: IntOrString; unavailable: IntOrString; want: [number, number] }> = [
    { name: 'defaults 25%/25% of 10', replicas: 10, surge: '25%', unavailable: '25%', want: [3, 2] },
    { name: 'defaults 25%/25% of 4', replicas: 4, surge: '25%', unavailable: '25%', want: [1, 1] },
    { name: 'defaults 25%/25% of 3', replicas: 3, surge: '25%', unavailable: '25%', want: [1, 0] },
    { name: 'defaults 25%/25% of 1', replicas: 1, surge: '25%', unavailable: '25%', want: [1, 0] },
    { name: 'ints', replicas: 5, surge: 2, unavailable: 1, want: [2, 1] },
    { name: 'both resolve to 0: unavailable becomes 1', replicas: 3, surge: '0%', unavailable: '10%', want: [0, 1] },
    { name: 'both 0 as ints: unavailable becomes 1', replicas: 3, surge: 0, unavailable: 0, want: [0, 1] },
    { name: 'unavailable capped at replicas', replicas: 2, surge: 0, unavailable: 5, want: [0, 2] },
    { name: '100% surge', replicas: 7, surge: '100%', unavailable: 0, want: [7, 0] },
    { name: '50% of 5: surge up, unavailable down', replicas: 5, surge: '50%', unavailable: '50%', want: [3, 2] },
    { name: 'zero replicas: nothing unavailable', replicas: 0, surge: '25%', unavailable: '25%', want: [0, 0] },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const d = deploy(r.replicas, r.surge, r.unavailable);
      assert.deepEqual([maxSurge(d), maxUnavailable(d)], r.want);
    });
  }
  test('Recreate has neither', () => {
    const d = deploy(5, 2, 2, (x) => { x.spec = { ...x.spec, strategy: { type: 'Recreate' } }; });
    assert.deepEqual([maxSurge(d), maxUnavailable(d)], [0, 0]);
  });
  test('an invalid value throws with upstream wording', () => {
    assert.throws(() => resolveFenceposts(deploy(3, 'lots', 0)), /string is not a percentage/);
  });
});

describe('newRSNewReplicas', () => {
  const rows = [
    { name: 'fresh deployment: all at once within surge', d: deploy(3, '25%', '25%'), all: [] as ReplicaSet[], newRS: rs('new', 0), want: 3 },
    { name: 'surge budget left: grow by it', d: deploy(10, 3, 2), all: [rs('old', 10)], newRS: rs('new', 0), want: 3 },
    { name: 'at the surge ceiling: stay', d: deploy(10, 3, 2), all: [rs('old', 10), rs('new', 3)], newRS: rs('new', 3), want: 3 },
    { name: 'never above desired', d: deploy(10, 3, 2), all: [rs('old', 1), rs('new', 8)], newRS: rs('new', 8), want: 10 },
    { name: 'Recreate: desired', d: deploy(4, undefined, undefined, (x) => { x.spec = { ...x.spec, strategy: { type: 'Recreate' } }; }), all: [rs('old', 4)], newRS: rs('new', 0), want: 4 },
  ];
  for (const r of rows) test(r.name, () => assert.equal(newRSNewReplicas(r.d, r.all.length > 0 ? r.all : [r.newRS], r.newRS), r.want));
});

describe('proportion (proportional scaling)', () => {
  const annotated = (name: string, replicas: number, max: number): ReplicaSet => rs(name, replicas, (r) => {
    r.metadata.annotations = { [maxReplicasAnnotation]: String(max) };
  });
  const rows = [
    { name: 'scale up 10→15 (max 13→18): 8 of 13 grows by round(8×18/13)−8', set: annotated('a', 8, 13), d: deploy(15, 3, 2), toAdd: 5, added: 0, want: 3 },
    { name: 'capped by what is left to add', set: annotated('a', 8, 13), d: deploy(15, 3, 2), toAdd: 5, added: 4, want: 1 },
    { name: 'scale down 10→5 (max 13→8): 5 of 13 shrinks to round(5×8/13)', set: annotated('a', 5, 13), d: deploy(5, 3, 2), toAdd: -5, added: 0, want: -2 },
    { name: 'scale to zero: everything goes', set: annotated('a', 5, 13), d: deploy(0, 3, 2), toAdd: -13, added: 0, want: -5 },
    { name: 'an empty set gets nothing', set: annotated('a', 0, 13), d: deploy(15, 3, 2), toAdd: 5, added: 0, want: 0 },
  ];
  for (const r of rows) test(r.name, () => assert.equal(proportion(r.set, r.d, r.toAdd, r.added), r.want));
});

describe('setNewReplicaSetAnnotations', () => {
  test('new set: revision, copied annotations (not kubectl\'s last-applied), replica annotations', () => {
    const d = deploy(3, 1, 0, (x) => {
      x.metadata.annotations = { team: 'a', 'kubectl.kubernetes.io/last-applied-configuration': '{}', [revisionAnnotation]: '4' };
    });
    const r = rs('new', 3);
    assert.equal(setNewReplicaSetAnnotations(d, r, '5', false), true);
    assert.deepEqual(r.metadata.annotations, { team: 'a', [revisionAnnotation]: '5', [desiredReplicasAnnotation]: '3', [maxReplicasAnnotation]: '4' });
  });
  test('an old set becoming new again keeps its old revision in revision-history', () => {
    const d = deploy(3, 1, 0);
    const r = rs('back', 0, (x) => { x.metadata.annotations = { [revisionAnnotation]: '2', [revisionHistoryAnnotation]: '1' }; });
    assert.equal(setNewReplicaSetAnnotations(d, r, '4', true), true);
    assert.equal(r.metadata.annotations?.[revisionAnnotation], '4');
    assert.equal(r.metadata.annotations?.[revisionHistoryAnnotation], '1,2');
  });
  test('nothing to change: false', () => {
    const d = deploy(3, 1, 0);
    const r = rs('same', 3, (x) => { x.metadata.annotations = { [revisionAnnotation]: '5' }; });
    assert.equal(setNewReplicaSetAnnotations(d, r, '5', true), false);
  });
});

describe('setCondition', () => {
  test('same status and reason: untouched; new reason with same status keeps lastTransitionTime', () => {
    const status = { conditions: [{ type: 'Progressing', status: 'True', reason: 'A', lastTransitionTime: 't0', lastUpdateTime: 't0' }] };
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'A', lastTransitionTime: 't1', lastUpdateTime: 't1' });
    assert.equal(status.conditions[0]?.lastUpdateTime, 't0');
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'B', lastTransitionTime: 't2', lastUpdateTime: 't2' });
    assert.deepEqual(status.conditions, [{ type: 'Progressing', status: 'True', reason: 'B', lastTransitionTime: 't0', lastUpdateTime: 't2' }]);
    setCondition(status, { type: 'Progressing', status: 'False', reason: 'C', lastTransitionTime: 't3', lastUpdateTime: 't3' });
    assert.equal(status.conditions[0]?.lastTransitionTime, 't3');
  });
});
