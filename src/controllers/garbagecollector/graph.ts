// The garbage collector's dependency graph (upstream's GraphBuilder, reduced to what the decisions
// need): every watched object by uid with its owner references, deletion state and finalizers, and
// the reverse index from an owner's uid to its dependents. Updated synchronously from informer
// events; `observe` returns which uids need attention, so the shell only queues. Pure.
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import type { GCResource } from './discovery.ts';

export const foregroundFinalizer = 'foregroundDeletion';
export const orphanFinalizer = 'orphan';

/** What the graph keeps of one object. */
export interface GraphNode {
  uid: string;
  resource: GCResource;
  namespace: string;
  name: string;
  owners: readonly OwnerReference[];
  deleting: boolean;
  finalizers: readonly string[];
}

export function nodeOf(resource: GCResource, obj: KubeObject): GraphNode {
  const m = obj.metadata;
  return {
    uid: m.uid ?? '',
    resource,
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    owners: m.ownerReferences ?? [],
    deleting: m.deletionTimestamp !== undefined && m.deletionTimestamp !== null,
    finalizers: m.finalizers ?? [],
  };
}

/** Being deleted and waiting for its dependents (foreground deletion). */
export function deletingDependents(n: GraphNode): boolean {
  return n.deleting && n.finalizers.includes(foregroundFinalizer);
}

/** Being deleted with dependents to orphan. */
export function orphaning(n: GraphNode): boolean {
  return n.deleting && n.finalizers.includes(orphanFinalizer);
}

function sameRefs(a: readonly OwnerReference[], b: readonly OwnerReference[]): boolean {
  return a.length === b.length && a.every((r, i) => {
    const o = b[i];
    return o !== undefined && o.uid === r.uid && o.blockOwnerDeletion === r.blockOwnerDeletion && o.controller === r.controller && o.name === r.name && o.kind === r.kind && o.apiVersion === r.apiVersion;
  });
}

/** Objects by uid and dependents by owner uid. */
export class Graph {
  readonly #nodes = new Map<string, GraphNode>();
  readonly #dependents = new Map<string, Set<string>>();

  get size(): number {
    return this.#nodes.size;
  }

  get(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  /** The objects that name `uid` as an owner. */
  dependents(uid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.#dependents.get(uid) ?? []) {
      const n = this.#nodes.get(d);
      if (n !== undefined) out.push(n);
    }
    return out;
  }

  /**
   * Records an added or changed object; returns the uids to process: the object itself when its
   * owners or deletion state changed, its dependents when it starts waiting for them, and owners
   * that are being deleted with a finalizer and may now be able to finish.
   */
  observe(next: GraphNode): string[] {
    const prev = this.#nodes.get(next.uid);
    this.#nodes.set(next.uid, next);
    if (prev !== undefined) for (const r of prev.owners) this.#dependents.get(r.uid)?.delete(next.uid);
    for (const r of next.owners) {
      let s = this.#dependents.get(r.uid);
      if (s === undefined) this.#dependents.set(r.uid, (s = new Set()));
      s.add(next.uid);
    }
    const out = new Set<string>();
    const changed = prev === undefined || !sameRefs(prev.owners, next.owners) || prev.deleting !== next.deleting ||
      prev.finalizers.join('\x00') !== next.finalizers.join('\x00');
    if (changed && (next.owners.length > 0 || deletingDependents(next) || orphaning(next))) out.add(next.uid);
    if (deletingDependents(next) && (prev === undefined || !deletingDependents(prev))) for (const d of this.dependents(next.uid)) out.add(d.uid);
    if (changed) this.#ownersWaiting(prev, next, out);
    return [...out];
  }

  /** Records that an object is gone; returns its dependents and its waiting owners. */
  remove(uid: string): string[] {
    const prev = this.#nodes.get(uid);
    if (prev === undefined) return [];
    this.#nodes.delete(uid);
    for (const r of prev.owners) {
      const s = this.#dependents.get(r.uid);
      s?.delete(uid);
      if (s !== undefined && s.size === 0 && !this.#nodes.has(r.uid)) this.#dependents.delete(r.uid);
    }
    const out = new Set<string>();
    for (const d of this.dependents(uid)) out.add(d.uid);
    this.#ownersWaiting(prev, undefined, out);
    if ((this.#dependents.get(uid)?.size ?? 0) === 0) this.#dependents.delete(uid);
    return [...out];
  }

  #ownersWaiting(prev: GraphNode | undefined, next: GraphNode | undefined, out: Set<string>): void {
    for (const r of [...(prev?.owners ?? []), ...(next?.owners ?? [])]) {
      const o = this.#nodes.get(r.uid);
      if (o !== undefined && (deletingDependents(o) || orphaning(o))) out.add(o.uid);
    }
  }
}
