import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../api/types.ts';
import { claimAction, type ClaimAction } from './owners.ts';

const owner = (o: Partial<KubeObject['metadata']> = {}): KubeObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'ns', uid: 'u1', ...o } });
const pod = (ref?: { uid: string; controller?: boolean }, o: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns', uid: 'p1', ...(ref !== undefined ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: ref.uid, controller: ref.controller ?? true }] } : {}), ...o },
});

describe('claimAction', () => {
  const rows: Array<{ name: string; controller: KubeObject; obj: KubeObject; matches: boolean; want: ClaimAction }> = [
    { name: 'ours and matching', controller: owner(), obj: pod({ uid: 'u1' }), matches: true, want: 'own' },
    { name: 'ours, no longer matching', controller: owner(), obj: pod({ uid: 'u1' }), matches: false, want: 'release' },
    { name: 'ours, not matching, we are being deleted', controller: owner({ deletionTimestamp: 'x' }), obj: pod({ uid: 'u1' }), matches: false, want: 'ignore' },
    { name: 'someone else\'s', controller: owner(), obj: pod({ uid: 'u2' }), matches: true, want: 'ignore' },
    { name: 'non-controller owner reference only: orphan', controller: owner(), obj: pod({ uid: 'u2', controller: false }), matches: true, want: 'adopt' },
    { name: 'orphan matching', controller: owner(), obj: pod(), matches: true, want: 'adopt' },
    { name: 'orphan not matching', controller: owner(), obj: pod(), matches: false, want: 'ignore' },
    { name: 'orphan being deleted', controller: owner(), obj: pod(undefined, { deletionTimestamp: 'x' }), matches: true, want: 'ignore' },
    { name: 'orphan in another namespace', controller: owner(), obj: pod(undefined, { namespace: 'other' }), matches: true, want: 'ignore' },
    { name: 'we are being deleted: no adoption', controller: owner({ deletionTimestamp: 'x' }), obj: pod(), matches: true, want: 'ignore' },
  ];
  for (const r of rows) test(r.name, () => assert.equal(claimAction(r.controller, r.obj, r.matches), r.want));
});
