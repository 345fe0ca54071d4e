// A log-structured in-memory Store: every write appends a version to its key and an event to a
// revision-ordered log. Lists at a past revision read each key's versions; watches replay the log.
// Nothing survives the process; used for tests and throwaway clusters.

import { closedError, compactedError, conflictError, existsError, futureError, notFoundError } from './errors.ts';
import { compareKeys, lowerBound } from './keys.ts';
import type { KeyValue, ListOptions, ListResult, Store, Watch, WatchCallbacks, WatchEvent } from './types.ts';
import { WatchHub } from './watchhub.ts';

/** One retained version of a key; a tombstone keeps the deleted value with the delete's revision. */
interface Version {
  readonly kv: KeyValue;
  readonly deleted: boolean;
}

/** The in-memory Store. KeyValues and events it hands out are frozen: they are its own history. */
export class MemoryStore implements Store {
  #rev = 0;
  #compacted = 0;
  #closed = false;
  /** Every key with a retained version, sorted by compareKeys. */
  #keys: string[] = [];
  /** Retained versions per key, oldest first. */
  readonly #versions = new Map<string, Version[]>();
  /** Events with revision > #compacted, in revision order. Replaced (not spliced) on compaction so replays in progress keep their view. */
  #log: WatchEvent[] = [];
  readonly #hub = new WatchHub();

  async currentRevision(): Promise<number> {
    this.#check();
    return this.#rev;
  }

  async compactedRevision(): Promise<number> {
    this.#check();
    return this.#compacted;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.#check();
    const last = this.#versions.get(key)?.at(-1);
    return last === undefined || last.deleted ? undefined : last.kv;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#check();
    const rev = this.#readRevision(opts.revision);
    const limit = opts.limit ?? 0;
    const start = opts.startKey !== undefined && compareKeys(opts.startKey, prefix) > 0 ? opts.startKey : prefix;
    const items: KeyValue[] = [];
    let more = false;
    for (let i = lowerBound(this.#keys, start); i < this.#keys.length; i++) {
      const key = this.#keys[i] as string;
      if (!key.startsWith(prefix)) break; // keys with the prefix are contiguous
      const v = versionAt(this.#versions.get(key), rev);
      if (v === undefined || v.deleted) continue;
      if (limit > 0 && items.length === limit) {
        more = true;
        break;
      }
      items.push(v.kv);
    }
    return { items, revision: rev, more };
  }

  async count(prefix: string): Promise<number> {
    this.#check();
    let n = 0;
    for (let i = lowerBound(this.#keys, prefix); i < this.#keys.length; i++) {
      const key = this.#keys[i] as string;
      if (!key.startsWith(prefix)) break;
      if (this.#versions.get(key)?.at(-1)?.deleted === false) n++;
    }
    return n;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.#check();
    const last = this.#versions.get(key)?.at(-1);
    if (last !== undefined && !last.deleted) throw existsError(key);
    const rev = this.#rev + 1;
    const kv = Object.freeze({ key, value, createRevision: rev, modRevision: rev });
    this.#append(key, { kv, deleted: false }, Object.freeze({ type: 'put', kv }));
    return kv;
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.#check();
    const prev = this.#current(key, expectedRevision);
    const rev = this.#rev + 1;
    const kv = Object.freeze({ key, value, createRevision: prev.createRevision, modRevision: rev });
    this.#append(key, { kv, deleted: false }, Object.freeze({ type: 'put', kv, prev }));
    return kv;
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#check();
    const prev = this.#current(key, expectedRevision);
    const rev = this.#rev + 1;
    const kv = Object.freeze({ ...prev, modRevision: rev });
    this.#append(key, { kv, deleted: true }, Object.freeze({ type: 'delete', kv, prev }));
    return kv;
  }

  async watch(prefix: string, afterRevision: number, cb: WatchCallbacks): Promise<Watch> {
    this.#check();
    if (afterRevision < this.#compacted) throw compactedError(afterRevision, this.#compacted);
    if (afterRevision > this.#rev) throw futureError(afterRevision, this.#rev);
    // Bind the log and its bounds now: the replay may run later (if called from a callback), and
    // compaction replaces #log rather than mutating it.
    const log = this.#log;
    const upto = this.#rev;
    let i = firstAfter(log, afterRevision);
    const history = (function* () {
      for (; i < log.length; i++) {
        const ev = log[i] as WatchEvent;
        if (ev.kv.modRevision > upto) return;
        yield ev;
      }
    })();
    return this.#hub.watch(prefix, afterRevision, upto, cb, history);
  }

  async compact(rev: number): Promise<void> {
    this.#check();
    if (rev > this.#rev) throw futureError(rev, this.#rev);
    if (rev <= this.#compacted) return;
    this.#compacted = rev;
    this.#log = this.#log.slice(firstAfter(this.#log, rev));
    // Per key: keep the newest version <= rev unless it is a tombstone, and everything after it.
    for (const [key, versions] of this.#versions) {
      let keep = versions.length;
      while (keep > 0 && (versions[keep - 1] as Version).kv.modRevision > rev) keep--;
      if (keep === 0) continue; // every version is newer than rev
      const newest = versions[keep - 1] as Version;
      versions.splice(0, newest.deleted ? keep : keep - 1);
      if (versions.length === 0) this.#versions.delete(key);
    }
    if (this.#versions.size !== this.#keys.length) this.#keys = this.#keys.filter((k) => this.#versions.has(k));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.close(closedError());
  }

  #check(): void {
    if (this.#closed) throw closedError();
  }

  /** The key's live value, checked against `expectedRevision` when given. */
  #current(key: string, expectedRevision: number | undefined): KeyValue {
    const last = this.#versions.get(key)?.at(-1);
    if (last === undefined || last.deleted) throw notFoundError(key);
    if (expectedRevision !== undefined && last.kv.modRevision !== expectedRevision) {
      throw conflictError(last.kv, expectedRevision);
    }
    return last.kv;
  }

  #append(key: string, version: Version, ev: WatchEvent): void {
    this.#rev = version.kv.modRevision;
    let versions = this.#versions.get(key);
    if (versions === undefined) {
      versions = [];
      this.#versions.set(key, versions);
      this.#keys.splice(lowerBound(this.#keys, key), 0, key);
    }
    versions.push(version);
    this.#log.push(ev);
    this.#hub.publish(ev);
  }

  #readRevision(revision: number | undefined): number {
    if (revision === undefined || revision === 0) return this.#rev;
    if (revision < this.#compacted) throw compactedError(revision, this.#compacted);
    if (revision > this.#rev) throw futureError(revision, this.#rev);
    return revision;
  }
}

/** The newest version at or before `rev`. */
function versionAt(versions: readonly Version[] | undefined, rev: number): Version | undefined {
  if (versions === undefined) return undefined;
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i] as Version;
    if (v.kv.modRevision <= rev) return v;
  }
  return undefined;
}

/** Index of the first event in `log` with revision > `rev`. */
function firstAfter(log: readonly WatchEvent[], rev: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((log[mid] as WatchEvent).kv.modRevision <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
