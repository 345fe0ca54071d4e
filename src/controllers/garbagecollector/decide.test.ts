import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OwnerReference } from '../../api/types.ts';
import type { GCResource } from './discovery.ts';
import { decideForDeleting, decideForDependent, type Decision, type OwnerState } from './decide.ts';
import type { GraphNode } from './graph.ts';

const res: GCResource = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
const ref = (uid: string, block = true): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, blockOwnerDeletion: block });
const node = (uid: string, o: Partial<GraphNode> = {}): GraphNode => ({ uid, resource: res, namespace: 'ns', name: uid, owners: [], deleting: false, finalizers: [], ...o });

describe('decideForDependent', () => {
  const rows: Array<{ name: string; node: GraphNode; owners: Array<[string, OwnerState]>; hasDependents: boolean; want: Decision }> = [
    { name: 'no owners', node: node('p'), owners: [], hasDependents: false, want: { kind: 'none' } },
    { name: 'solid owner', node: node('p'), owners: [['a', 'solid']], hasDependents: false, want: { kind: 'none' } },
    { name: 'owner gone: background delete', node: node('p'), owners: [['a', 'dangling']], hasDependents: false, want: { kind: 'delete', policy: 'Background' } },
    { name: 'owner gone, we carry the orphan finalizer', node: node('p', { finalizers: ['orphan'] }), owners: [['a', 'dangling']], hasDependents: true, want: { kind: 'delete', policy: 'Orphan' } },
    { name: 'one solid, one gone: drop the gone reference', node: node('p'), owners: [['a', 'solid'], ['b', 'dangling']], hasDependents: false, want: { kind: 'removeOwnerRefs', uids: ['b'] } },
    { name: 'one solid, one waiting: drop the waiting reference', node: node('p'), owners: [['a', 'solid'], ['b', 'waiting']], hasDependents: false, want: { kind: 'removeOwnerRefs', uids: ['b'] } },
    { name: 'owner waiting, we have dependents: foreground', node: node('rs'), owners: [['d', 'waiting']], hasDependents: true, want: { kind: 'delete', policy: 'Foreground' } },
    { name: 'owner waiting, no dependents: background', node: node('p'), owners: [['d', 'waiting']], hasDependents: false, want: { kind: 'delete', policy: 'Background' } },
  ];
  for (const r of rows) {
    test(r.name, () => assert.deepEqual(decideForDependent(r.node, r.owners.map(([uid, state]) => ({ ref: ref(uid), state })), r.hasDependents), r.want));
  }
});

describe('decideForDeleting', () => {
  const owner = node('rs', { deleting: true, finalizers: ['foregroundDeletion'] });
  const rows: Array<{ name: string; node: GraphNode; deps: GraphNode[]; want: Decision }> = [
    { name: 'foreground, no dependents: remove the finalizer', node: owner, deps: [], want: { kind: 'removeFinalizer', finalizer: 'foregroundDeletion' } },
    { name: 'foreground, only non-blocking dependents: remove the finalizer', node: owner, deps: [node('p', { owners: [ref('rs', false)] })], want: { kind: 'removeFinalizer', finalizer: 'foregroundDeletion' } },
    { name: 'foreground, blocking dependents: wait (and process them)', node: owner, deps: [node('p', { owners: [ref('rs')] })], want: { kind: 'waitForDependents', uids: ['p'] } },
    {
      name: 'foreground, a blocking dependent already deleting its own: wait without requeueing it',
      node: owner, deps: [node('p', { owners: [ref('rs')], deleting: true, finalizers: ['foregroundDeletion'] })], want: { kind: 'waitForDependents', uids: [] },
    },
    { name: 'orphan, no dependents: remove the finalizer', node: node('rs', { deleting: true, finalizers: ['orphan'] }), deps: [], want: { kind: 'removeFinalizer', finalizer: 'orphan' } },
    { name: 'deleted without a GC finalizer: nothing', node: node('rs', { deleting: true, finalizers: ['example.com/x'] }), deps: [], want: { kind: 'none' } },
  ];
  for (const r of rows) test(r.name, () => assert.deepEqual(decideForDeleting(r.node, r.deps), r.want));
  test('orphan with dependents: orphan them', () => {
    const d = decideForDeleting(node('rs', { deleting: true, finalizers: ['orphan'] }), [node('p', { owners: [ref('rs')] })]);
    assert.equal(d.kind, 'orphan');
  });
});
