import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from '../../api/types.ts';
import { makePod } from '../../api/testing.ts';
import { podDeletionCostAnnotation, podsToDelete } from './rank.ts';

const now = Date.parse('2024-05-01T10:00:00Z');
const ago = (s: number): string => new Date(now - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

/** A running, ready pod on node1 created `age` seconds ago, ready for as long. */
function pod(name: string, f?: (p: Pod & { spec: NonNullable<Pod['spec']> }) => void): Pod {
  return makePod('ns', name, (p) => {
    p.metadata.uid = `uid-${name}`;
    p.metadata.creationTimestamp = ago(3600);
    p.status = { ...p.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(3600) }] };
    f?.(p);
  });
}

const unready = (p: Pod): void => {
  p.status = { ...p.status, conditions: [{ type: 'Ready', status: 'False' }] };
};

describe('podsToDelete ranks as ActivePodsWithRanks', () => {
  const rows: Array<{ name: string; pods: Pod[]; related?: Pod[]; want: string }> = [
    { name: 'unscheduled before scheduled', pods: [pod('a'), pod('b', (p) => { p.spec.nodeName = ''; })], want: 'b' },
    { name: 'pending before running', pods: [pod('a'), pod('b', (p) => { p.status = { ...p.status, phase: 'Pending' }; })], want: 'b' },
    { name: 'unknown before running', pods: [pod('a'), pod('b', (p) => { p.status = { ...p.status, phase: 'Unknown' }; })], want: 'b' },
    { name: 'not ready before ready', pods: [pod('a'), pod('b', unready)], want: 'b' },
    { name: 'lower deletion cost first', pods: [pod('a'), pod('b', (p) => { p.metadata.annotations = { [podDeletionCostAnnotation]: '-5' }; })], want: 'b' },
    { name: 'invalid deletion cost counts as 0', pods: [pod('a', (p) => { p.metadata.annotations = { [podDeletionCostAnnotation]: 'x' }; }), pod('b', (p) => { p.metadata.annotations = { [podDeletionCostAnnotation]: '1' }; })], want: 'a' },
    {
      name: 'doubled up on a node first',
      pods: [pod('a', (p) => { p.spec.nodeName = 'n1'; }), pod('b', (p) => { p.spec.nodeName = 'n2'; })],
      related: [pod('x', (p) => { p.spec.nodeName = 'n2'; }), pod('y', (p) => { p.spec.nodeName = 'n2'; }), pod('z', (p) => { p.spec.nodeName = 'n1'; })],
      want: 'b',
    },
    {
      name: 'ready for less time first (log buckets)',
      pods: [pod('a'), pod('b', (p) => { p.status = { ...p.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(10) }] }; })],
      want: 'b',
    },
    {
      name: 'same log bucket of readiness: lower uid first, restarts not consulted',
      pods: [
        pod('a', (p) => { p.status = { ...p.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(3000) }] }; }),
        pod('b', (p) => { p.status = { ...p.status, containerStatuses: [{ name: 'app', ready: true, restartCount: 4 }] }; }),
      ],
      want: 'a',
    },
    { name: 'more restarts first', pods: [pod('a'), pod('b', (p) => { p.status = { ...p.status, containerStatuses: [{ name: 'app', ready: true, restartCount: 2 }] }; })], want: 'b' },
    { name: 'newer first', pods: [pod('a'), pod('b', (p) => { p.metadata.creationTimestamp = ago(5); })], want: 'b' },
    { name: 'same log bucket of age: lower uid first', pods: [pod('b', (p) => { p.metadata.creationTimestamp = ago(3500); }), pod('a')], want: 'a' },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const got = podsToDelete(r.pods, r.related ?? r.pods, 1, now).map((p) => p.metadata.name);
      assert.deepEqual(got, [r.want]);
    });
  }

  test('asking for all returns all', () => {
    assert.equal(podsToDelete([pod('a'), pod('b')], [], 5, now).length, 2);
  });
});
