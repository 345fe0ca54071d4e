import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OwnerReference } from '../../api/types.ts';
import type { GCResource } from './discovery.ts';
import { Graph, type GraphNode } from './graph.ts';

const pods: GCResource = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
const rss: GCResource = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true, kind: 'ReplicaSet' };

const ref = (uid: string, block = true): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: true, blockOwnerDeletion: block });
function node(uid: string, o: Partial<GraphNode> = {}): GraphNode {
  return { uid, resource: o.owners === undefined ? rss : pods, namespace: 'ns', name: uid, owners: [], deleting: false, finalizers: [], ...o };
}

describe('Graph', () => {
  test('an object with owners is queued when added, not when nothing relevant changes', () => {
    const g = new Graph();
    assert.deepEqual(g.observe(node('rs')), []);
    assert.deepEqual(g.observe(node('p1', { owners: [ref('rs')] })), ['p1']);
    assert.deepEqual(g.observe(node('p1', { owners: [ref('rs')] })), []);
    assert.deepEqual(g.dependents('rs').map((n) => n.uid), ['p1']);
  });

  test('an owner entering foreground deletion queues itself and its dependents', () => {
    const g = new Graph();
    g.observe(node('rs'));
    g.observe(node('p1', { owners: [ref('rs')] }));
    g.observe(node('p2', { owners: [ref('rs')] }));
    assert.deepEqual(g.observe(node('rs', { deleting: true, finalizers: ['foregroundDeletion'] })).sort(), ['p1', 'p2', 'rs']);
  });

  test('a dependent going away queues its dependents and its waiting owner', () => {
    const g = new Graph();
    g.observe(node('rs', { deleting: true, finalizers: ['foregroundDeletion'] }));
    g.observe(node('p1', { owners: [ref('rs')] }));
    g.observe(node('child', { owners: [ref('p1')] }));
    assert.deepEqual(g.remove('p1').sort(), ['child', 'rs']);
    assert.equal(g.get('p1'), undefined);
    assert.deepEqual(g.dependents('rs'), []);
  });

  test('changed owner references move the dependent between owners', () => {
    const g = new Graph();
    g.observe(node('a'));
    g.observe(node('b'));
    g.observe(node('p', { owners: [ref('a')] }));
    assert.deepEqual(g.observe(node('p', { owners: [ref('b')] })), ['p']);
    assert.deepEqual(g.dependents('a'), []);
    assert.deepEqual(g.dependents('b').map((n) => n.uid), ['p']);
  });
});
