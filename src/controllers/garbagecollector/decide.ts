// What the garbage collector does with one object (upstream garbagecollector.go attemptToDeleteItem,
// processDeletingDependentsItem and attemptToOrphan), given the state of its owners and dependents.
// Pure.
import type { OwnerReference } from '../../api/types.ts';
import { deletingDependents, foregroundFinalizer, orphanFinalizer, orphaning, type GraphNode } from './graph.ts';

/**
 * An owner as seen from a dependent: `solid` exists (and is not waiting for dependents), `dangling`
 * is gone (or was replaced: another uid), `waiting` is being deleted in the foreground.
 */
export type OwnerState = 'solid' | 'dangling' | 'waiting';

export type Decision =
  | { kind: 'none' }
  /** Drop these owner references (the object keeps a solid owner). */
  | { kind: 'removeOwnerRefs'; uids: string[] }
  /** Delete the object (with a uid precondition) using this propagation policy. */
  | { kind: 'delete'; policy: 'Foreground' | 'Background' | 'Orphan' }
  /** Remove the owner reference to `ownerUID` from each of these dependents, then the orphan finalizer. */
  | { kind: 'orphan'; dependents: GraphNode[] }
  /** Remove this finalizer from the object (its dependents are handled). */
  | { kind: 'removeFinalizer'; finalizer: string }
  /** Blocking dependents still exist; process these (they are deleted because their owner waits). */
  | { kind: 'waitForDependents'; uids: string[] };

/** For an object that is not being deleted: keep it, trim dangling owners, or collect it. */
export function decideForDependent(node: GraphNode, owners: ReadonlyArray<{ ref: OwnerReference; state: OwnerState }>, hasDependents: boolean): Decision {
  if (owners.length === 0) return { kind: 'none' };
  const solid = owners.filter((o) => o.state === 'solid');
  const dangling = owners.filter((o) => o.state === 'dangling');
  const waiting = owners.filter((o) => o.state === 'waiting');
  if (solid.length > 0) {
    if (dangling.length === 0 && waiting.length === 0) return { kind: 'none' };
    return { kind: 'removeOwnerRefs', uids: [...dangling, ...waiting].map((o) => o.ref.uid) };
  }
  if (waiting.length > 0 && hasDependents) return { kind: 'delete', policy: 'Foreground' };
  const policy = node.finalizers.includes(orphanFinalizer) ? 'Orphan' : node.finalizers.includes(foregroundFinalizer) ? 'Foreground' : 'Background';
  return { kind: 'delete', policy };
}

/**
 * For an object being deleted: orphan its dependents, or wait for its blocking dependents and then
 * let it go; nothing for objects deleted without a GC finalizer.
 */
export function decideForDeleting(node: GraphNode, dependents: readonly GraphNode[]): Decision {
  if (orphaning(node)) {
    return dependents.length > 0 ? { kind: 'orphan', dependents: [...dependents] } : { kind: 'removeFinalizer', finalizer: orphanFinalizer };
  }
  if (deletingDependents(node)) {
    const blocking = dependents.filter((d) => d.owners.some((r) => r.uid === node.uid && r.blockOwnerDeletion === true));
    if (blocking.length === 0) return { kind: 'removeFinalizer', finalizer: foregroundFinalizer };
    return { kind: 'waitForDependents', uids: blocking.filter((d) => !deletingDependents(d)).map((d) => d.uid) };
  }
  return { kind: 'none' };
}
