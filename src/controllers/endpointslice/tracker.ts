// Remembers the slices this controller wrote, so that a sync never acts on an informer cache that
// has not yet seen its own writes (upstream's EndpointSliceTracker): acting on such a cache is how
// controllers create duplicate slices. Also tells the informer handlers which events are only the
// echo of our own writes. Keyed by `namespace/service`. No I/O.
import type { EndpointSlice } from '../../api/types.ts';

/** What we last wrote for a slice (by uid): its generation and resourceVersion, or an expected deletion. */
type Written = { generation: number; resourceVersion: string } | 'deleted';

/** A resourceVersion as a number when it is one (Switchboard and etcd use revisions); else undefined. */
function rvNumber(rv: string | undefined): bigint | undefined {
  return rv !== undefined && /^\d+$/.test(rv) ? BigInt(rv) : undefined;
}

/** Whether `cached` is older than what we wrote. */
function olderThan(cached: EndpointSlice, w: { generation: number; resourceVersion: string }): boolean {
  const g = cached.metadata.generation ?? 0;
  if (g !== w.generation) return g < w.generation;
  // Label-only writes keep the generation: compare revisions when they are numbers.
  const a = rvNumber(cached.metadata.resourceVersion);
  const b = rvNumber(w.resourceVersion);
  return a !== undefined && b !== undefined && a < b;
}

/** Our writes per Service, for stale-cache detection. */
export class SliceTracker {
  readonly #bySvc = new Map<string, Map<string, Written>>();

  #svc(key: string): Map<string, Written> {
    let m = this.#bySvc.get(key);
    if (m === undefined) this.#bySvc.set(key, (m = new Map()));
    return m;
  }

  /** Records a slice as the server returned it after a create or update. */
  update(svcKey: string, slice: EndpointSlice): void {
    const uid = slice.metadata.uid ?? '';
    if (uid === '') return;
    this.#svc(svcKey).set(uid, { generation: slice.metadata.generation ?? 0, resourceVersion: slice.metadata.resourceVersion ?? '' });
  }

  /** Records that we deleted this slice. */
  expectDeletion(svcKey: string, slice: EndpointSlice): void {
    const uid = slice.metadata.uid ?? '';
    if (uid !== '') this.#svc(svcKey).set(uid, 'deleted');
  }

  /**
   * True when `slices` (the cache's view) lacks one of our writes: a slice we wrote is missing or
   * older, or one we deleted is still there. The sync should wait and retry.
   */
  stale(svcKey: string, slices: readonly EndpointSlice[]): boolean {
    const m = this.#bySvc.get(svcKey);
    if (m === undefined || m.size === 0) return false;
    const seen = new Set<string>();
    for (const s of slices) {
      const uid = s.metadata.uid ?? '';
      seen.add(uid);
      const w = m.get(uid);
      if (w === undefined) continue;
      if (w === 'deleted' || olderThan(s, w)) return true;
    }
    for (const [uid, w] of m) if (w !== 'deleted' && !seen.has(uid)) return true;
    return false;
  }

  /** Whether an add/update event is news rather than the echo of our own write. */
  shouldSync(svcKey: string, slice: EndpointSlice): boolean {
    const w = this.#bySvc.get(svcKey)?.get(slice.metadata.uid ?? '');
    if (w === undefined || w === 'deleted') return true;
    if ((slice.metadata.generation ?? 0) !== w.generation) return (slice.metadata.generation ?? 0) > w.generation;
    const a = rvNumber(slice.metadata.resourceVersion);
    const b = rvNumber(w.resourceVersion);
    return a !== undefined && b !== undefined && a > b;
  }

  /** Forgets a deleted slice; true when the deletion was not ours (the Service needs a sync). */
  handleDeletion(svcKey: string, slice: EndpointSlice): boolean {
    const m = this.#bySvc.get(svcKey);
    const uid = slice.metadata.uid ?? '';
    const w = m?.get(uid);
    m?.delete(uid);
    if (m !== undefined && m.size === 0) this.#bySvc.delete(svcKey);
    return w !== 'deleted';
  }

  /** Forgets everything about a Service (it is gone). */
  deleteService(svcKey: string): void {
    this.#bySvc.delete(svcKey);
  }

  /** Slices tracked (for tests). */
  size(): number {
    let n = 0;
    for (const m of this.#bySvc.values()) n += m.size;
    return n;
  }
}

/** Per-key retry delays for expected races (stale cache, 409): 5 ms doubling to 1 s, reset on success. */
export class QuietRetry {
  readonly #attempts = new Map<string, number>();

  /** The delay for the next retry of `key` (counts it). */
  next(key: string): number {
    const n = this.#attempts.get(key) ?? 0;
    this.#attempts.set(key, n + 1);
    return Math.min(1000, 5 * 2 ** n);
  }

  forget(key: string): void {
    this.#attempts.delete(key);
  }
}
