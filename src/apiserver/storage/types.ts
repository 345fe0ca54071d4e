// The revisioned key-value store every backend implements, with etcd v3's semantics:
// one global revision counter; every write gets the next revision, which becomes the object's
// resourceVersion; reads and watches can name a revision. Keys are strings like
// `/registry/services/specs/default/web`; values are opaque strings (JSON documents).

/** One key at one revision. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created the key (etcd create_revision). */
  createRevision: number;
  /** Revision of the last write to the key (etcd mod_revision) = resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  /** Read as of this revision (0 or absent = current). Older than the compacted revision → StoreError 'compacted'. */
  revision?: number;
  /** At most this many items (0 or absent = all). */
  limit?: number;
  /** Start listing at this key (inclusive), for continue tokens. */
  startKey?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when `limit` cut the list short; continue from the key after the last item. */
  more: boolean;
}

/** A change seen by a watch. For 'delete', `kv` is the key's last value and `kv.modRevision` the delete's revision. */
export interface WatchEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
  /** The value before this change (absent for the first put of a key). */
  prev?: KeyValue;
}

export interface Watch {
  /** Stops delivery; safe to call more than once. */
  cancel(): void;
}

export interface WatchCallbacks {
  /** Called once per change, in revision order, never twice, none skipped. */
  onEvent(ev: WatchEvent): void;
  /** Called at most once if the watch ends on its own (store closed, backend failure); no events follow. */
  onError?(err: Error): void;
}

export type StoreErrorCode = 'exists' | 'not-found' | 'conflict' | 'compacted' | 'future-revision' | 'closed';

/** Errors with a stable code; `current` carries the key's current value for 'conflict'. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly current: KeyValue | undefined;
  /** For 'compacted': the compacted revision. */
  readonly compactRevision: number | undefined;
  constructor(code: StoreErrorCode, message: string, extra: { current?: KeyValue; compactRevision?: number } = {}) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
    this.current = extra.current;
    this.compactRevision = extra.compactRevision;
  }
}

/** The revisioned store. All methods are async so network backends (etcd) fit the same shape. */
export interface Store {
  /** Current (latest) revision. */
  currentRevision(): Promise<number>;
  /** Key at the current revision, or undefined. */
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys with this prefix in key order, at a revision. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of live keys with this prefix. */
  count(prefix: string): Promise<number>;
  /** Writes a new key; StoreError 'exists' if present. Returns the new KeyValue. */
  create(key: string, value: string): Promise<KeyValue>;
  /**
   * Replaces a key only if its modRevision equals `expectedRevision`; StoreError 'conflict' (with
   * `current`) otherwise, 'not-found' if the key does not exist.
   */
  update(key: string, value: string, expectedRevision: number): Promise<KeyValue>;
  /**
   * Deletes a key, conditional on `expectedRevision` when given. Returns the deleted value, with
   * modRevision set to the revision of the delete. 'not-found' / 'conflict' as for update.
   */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;
  /**
   * Delivers every change to keys with this prefix whose revision is > `afterRevision`, starting
   * with history from the log, then live. Throws StoreError 'compacted' (synchronously in the
   * returned promise) when `afterRevision` < compacted revision, 'future-revision' when beyond current.
   */
  watch(prefix: string, afterRevision: number, cb: WatchCallbacks): Promise<Watch>;
  /** Drops history up to and including revision `rev` (keeps the latest value of each live key). */
  compact(rev: number): Promise<void>;
  /** The revision history was compacted to (0 if never). */
  compactedRevision(): Promise<number>;
  /** Closes the store; pending watches get onError('closed'). */
  close(): Promise<void>;
}
