import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node, Pod } from '../../api/types.ts';
import { readyNode } from '../testing.ts';
import { filterNode, needsScheduling, schedule, tolerates } from './fit.ts';

function pod(f?: (p: Pod & { spec: NonNullable<Pod['spec']> }) => void): Pod {
  const p = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c' }], schedulerName: 'default-scheduler' } };
  f?.(p);
  return p;
}

describe('tolerates', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const rows = [
    { name: 'Equal with same value', t: { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, want: true },
    { name: 'empty operator means Equal', t: { key: 'dedicated', value: 'gpu' }, want: true },
    { name: 'different value', t: { key: 'dedicated', value: 'cpu' }, want: false },
    { name: 'Exists on the key', t: { key: 'dedicated', operator: 'Exists' }, want: true },
    { name: 'Exists with no key tolerates everything', t: { operator: 'Exists' }, want: true },
    { name: 'other effect', t: { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, want: false },
    { name: 'other key', t: { key: 'x', operator: 'Exists' }, want: false },
  ];
  for (const r of rows) test(r.name, () => assert.equal(tolerates(r.t, taint), r.want));
});

describe('filterNode', () => {
  const rows: Array<{ name: string; pod: Pod; node: Node; load?: number; want: string | undefined }> = [
    { name: 'a ready node fits', pod: pod(), node: readyNode('n'), want: undefined },
    { name: 'unschedulable', pod: pod(), node: readyNode('n', (n) => { n.spec = { unschedulable: true }; }), want: 'node(s) were unschedulable' },
    {
      name: 'unschedulable, tolerated',
      pod: pod((p) => { p.spec.tolerations = [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }]; }),
      node: readyNode('n', (n) => { n.spec = { unschedulable: true }; }), want: undefined,
    },
    { name: 'not ready', pod: pod(), node: readyNode('n', (n) => { n.status = { conditions: [{ type: 'Ready', status: 'False' }] }; }), want: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }' },
    { name: 'unknown readiness', pod: pod(), node: readyNode('n', (n) => { n.status = { conditions: [{ type: 'Ready', status: 'Unknown' }] }; }), want: 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }' },
    {
      name: 'control-plane taint',
      pod: pod(), node: readyNode('n', (n) => { n.spec = { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }; }),
      want: 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }',
    },
    { name: 'PreferNoSchedule does not filter', pod: pod(), node: readyNode('n', (n) => { n.spec = { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }; }), want: undefined },
    { name: 'nodeSelector mismatch', pod: pod((p) => { p.spec.nodeSelector = { disk: 'ssd' }; }), node: readyNode('n'), want: "node(s) didn't match Pod's node affinity/selector" },
    { name: 'nodeSelector match', pod: pod((p) => { p.spec.nodeSelector = { disk: 'ssd' }; }), node: readyNode('n', (n) => { (n.metadata.labels ??= {})['disk'] = 'ssd'; }), want: undefined },
    {
      name: 'required node affinity: In',
      pod: pod((p) => { p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } }; }),
      node: readyNode('n', (n) => { (n.metadata.labels ??= {})['zone'] = 'c'; }), want: "node(s) didn't match Pod's node affinity/selector",
    },
    {
      name: 'required node affinity: matchFields on the name',
      pod: pod((p) => { p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }] } } }; }),
      node: readyNode('n'), want: undefined,
    },
    { name: 'full node', pod: pod(), node: readyNode('n', (n) => { n.status = { ...n.status, allocatable: { pods: '2' } }; }), load: 2, want: 'Too many pods' },
  ];
  for (const r of rows) test(r.name, () => assert.equal(filterNode(r.pod, r.node, r.load ?? 0)?.reason, r.want));
});

describe('schedule', () => {
  test('least loaded fitting node, ties by name', () => {
    const nodes = [readyNode('b'), readyNode('a'), readyNode('c')];
    assert.deepEqual(schedule(pod(), nodes, new Map([['a', 2], ['b', 1], ['c', 1]])), { node: 'b' });
    assert.deepEqual(schedule(pod(), nodes, new Map()), { node: 'a' });
  });
  const rows = [
    { name: 'no nodes', nodes: [] as Node[], want: 'no nodes available to schedule pods' },
    {
      name: 'one not-ready node',
      nodes: [readyNode('n', (n) => { n.status = { conditions: [{ type: 'Ready', status: 'False' }] }; })],
      want: '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    },
    {
      name: 'reasons sorted and counted; full nodes are resolvable by preemption',
      nodes: [
        readyNode('a', (n) => { n.status = { ...n.status, allocatable: { pods: '0' } }; }),
        readyNode('b', (n) => { n.spec = { unschedulable: true }; }),
        readyNode('c', (n) => { n.spec = { unschedulable: true }; }),
      ],
      want: '0/3 nodes are available: 1 Too many pods, 2 node(s) were unschedulable. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    },
  ];
  for (const r of rows) test(r.name, () => assert.deepEqual(schedule(pod(), r.nodes, new Map()), { message: r.want }));
});

describe('needsScheduling', () => {
  const rows = [
    { name: 'unbound, default scheduler', pod: pod(), want: true },
    { name: 'bound', pod: pod((p) => { p.spec.nodeName = 'n'; }), want: false },
    { name: 'another scheduler', pod: pod((p) => { p.spec.schedulerName = 'custom'; }), want: false },
    { name: 'being deleted', pod: pod((p) => { p.metadata.deletionTimestamp = 'x'; }), want: false },
    { name: 'finished', pod: pod((p) => { p.status = { phase: 'Succeeded' }; }), want: false },
  ];
  for (const r of rows) test(r.name, () => assert.equal(needsScheduling(r.pod), r.want));
});
