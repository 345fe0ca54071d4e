import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod, ReplicaSet } from '../../api/types.ts';
import { makePod, makeReplicaSet } from '../../api/testing.ts';
import { availabilityRecheckMs, calculateStatus, replicaAction, statusUpdate } from './reconcile.ts';

const now = Date.parse('2024-05-01T10:00:00Z');
const rs = (f?: (r: ReplicaSet) => void): ReplicaSet => makeReplicaSet('ns', 'rs', (r) => {
  r.metadata.generation = 2;
  r.spec = { ...r.spec, replicas: 3, template: { metadata: { labels: { app: 'web', tier: 'fe' } } } };
  r.status = {};
  f?.(r);
});
const ready = (name: string, sinceSeconds = 600, labels: Record<string, string> = { app: 'web', tier: 'fe' }): Pod => makePod('ns', name, (p) => {
  p.metadata.labels = labels;
  p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(now - sinceSeconds * 1000).toISOString() }] };
});
const pending = (name: string): Pod => makePod('ns', name, (p) => {
  p.metadata.labels = { app: 'web' };
  p.status = { phase: 'Pending' };
});

describe('replicaAction', () => {
  const rows = [
    { name: 'too few: create the difference', pods: [ready('a')], burst: 500, want: { kind: 'create', count: 2 } },
    { name: 'burst caps creations', pods: [], burst: 2, want: { kind: 'create', count: 2 } },
    { name: 'right number: nothing', pods: [ready('a'), ready('b'), ready('c')], burst: 500, want: { kind: 'none' } },
  ];
  for (const r of rows) test(r.name, () => assert.deepEqual(replicaAction(rs(), r.pods, r.pods, now, r.burst), r.want));

  test('too many: delete the lowest ranked', () => {
    const got = replicaAction(rs(), [ready('a'), pending('b'), ready('c'), ready('d'), pending('e')], [], now);
    assert.equal(got.kind, 'delete');
    assert.deepEqual(got.kind === 'delete' ? got.pods.map((p) => p.metadata.name).sort() : [], ['b', 'e']);
  });
});

describe('calculateStatus', () => {
  const rows = [
    {
      name: 'counts replicas, fully labeled, ready and available',
      set: rs(), pods: [ready('a'), ready('b', 600, { app: 'web' }), pending('c')], err: undefined,
      want: { replicas: 3, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 2 },
    },
    {
      name: 'minReadySeconds holds back availability',
      set: rs((r) => { r.spec = { ...r.spec, minReadySeconds: 30 }; }), pods: [ready('a', 10), ready('b', 60)], err: undefined,
      want: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1 },
    },
    {
      name: 'a failed creation sets ReplicaFailure',
      set: rs(), pods: [ready('a')], err: new Error('pods "x" is forbidden: exceeded quota'),
      want: {
        replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1,
        conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2024-05-01T10:00:00Z', reason: 'FailedCreate', message: 'pods "x" is forbidden: exceeded quota' }],
      },
    },
    {
      name: 'success clears ReplicaFailure',
      set: rs((r) => { r.status = { conditions: [{ type: 'ReplicaFailure', status: 'True' }] }; }), pods: [], err: undefined,
      want: { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0 },
    },
  ];
  for (const r of rows) test(r.name, () => assert.deepEqual(calculateStatus(r.set, r.pods, r.err, now), r.want));
});

describe('statusUpdate', () => {
  test('nothing to write when counts, generation and conditions agree', () => {
    const set = rs((r) => { r.status = { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 }; });
    assert.equal(statusUpdate(set, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 }), undefined);
  });
  test('a new generation is written with observedGeneration', () => {
    const set = rs((r) => { r.status = { replicas: 1, observedGeneration: 1 }; });
    assert.deepEqual(statusUpdate(set, { replicas: 1 }), { replicas: 1, observedGeneration: 2 });
  });
});

describe('availabilityRecheckMs', () => {
  const rows = [
    { name: 'all ready, not all available: after minReadySeconds', set: rs((r) => { r.spec = { ...r.spec, minReadySeconds: 10 }; }), status: { readyReplicas: 3, availableReplicas: 1 }, want: 10_000 },
    { name: 'without minReadySeconds: never', set: rs(), status: { readyReplicas: 3, availableReplicas: 1 }, want: undefined },
    { name: 'all available: never', set: rs((r) => { r.spec = { ...r.spec, minReadySeconds: 10 }; }), status: { readyReplicas: 3, availableReplicas: 3 }, want: undefined },
  ];
  for (const r of rows) test(r.name, () => assert.equal(availabilityRecheckMs(r.set, r.status), r.want));
});
