// The generic registry: CRUD, list and watch of one resource over the revisioned Store, with
// kube-apiserver's metadata rules (uid, creationTimestamp, generation, resourceVersion from the
// store revision, optimistic concurrency, graceful deletion, finalizers, propagation policy).
import { randomUUID } from 'node:crypto';
import type { Store, KeyValue, WatchEvent, Watch } from './storage/types.ts';
import { StoreError } from './storage/types.ts';
import {
  StatusError, alreadyExists, conflict, notFound, gone, invalid, badRequest, internalError, fieldErr,
  type FieldError, type GroupResource,
} from '../machinery/status.ts';
import type { KubeObject, ObjectMeta } from '../api/types.ts';
import type { ResourceInfo } from '../api/resources.ts';
import type { Strategy, Transaction } from './strategy.ts';
import { noopTransaction } from './strategy.ts';

/** Selects objects in list and watch. Both return true when absent. */
export interface Filter {
  label?: (labels: Record<string, string>) => boolean;
  field?: (obj: KubeObject) => boolean;
}

export interface ListOptions {
  filter?: Filter;
  limit?: number;
  continueToken?: string;
  /** Exact revision to read at (resourceVersionMatch=Exact or a continue token). */
  revision?: number;
}

export interface ListOutcome {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteOutcome {
  object: KubeObject;
  /** True when the object is gone from storage; false when it is only marked for deletion. */
  deleted: boolean;
}

/** A watch event in API terms. */
export interface ApiWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

export function nowRFC3339(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Parses a stored value and stamps its resourceVersion from the store's revision. */
export function decodeKV(kv: KeyValue, modRevision: number = kv.modRevision): KubeObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  obj.metadata.resourceVersion = String(modRevision);
  return obj;
}

function encodeObject(obj: KubeObject): string {
  // resourceVersion lives in the store's revision, never in the stored bytes (as upstream).
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return JSON.stringify({ ...obj, metadata: meta });
}

interface ContinueToken {
  v: 'meta.k8s.io/v1';
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  const t: ContinueToken = { v: 'meta.k8s.io/v1', rv, start };
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return t as ContinueToken;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

/** The key prefix under which all resources of `info` live (a trailing slash keeps prefixes apart). */
export function resourcePrefix(info: Pick<ResourceInfo, 'group' | 'plural'>): string {
  return `/registry/${info.group === '' ? 'core' : info.group}/${info.plural}/`;
}

/** CRUD and watch for one resource type. */
export class Registry {
  readonly info: ResourceInfo;
  readonly gr: GroupResource;
  private readonly store: Store;
  private readonly strategy: Strategy;

  constructor(store: Store, info: ResourceInfo, strategy: Strategy = {}) {
    this.store = store;
    this.info = info;
    this.strategy = strategy;
    this.gr = { group: info.group, resource: info.plural };
  }

  key(namespace: string, name: string): string {
    return this.info.namespaced ? `${resourcePrefix(this.info)}${namespace}/${name}` : `${resourcePrefix(this.info)}${name}`;
  }

  prefix(namespace?: string): string {
    return this.info.namespaced && namespace ? `${resourcePrefix(this.info)}${namespace}/` : resourcePrefix(this.info);
  }

  private mapStoreError(err: unknown, name: string): never {
    if (err instanceof StatusError) throw err;
    if (err instanceof StoreError) {
      switch (err.code) {
        case 'exists': throw alreadyExists(this.gr, name);
        case 'not-found': throw notFound(this.gr, name);
        case 'conflict': throw conflict(this.gr, name);
        case 'compacted': throw gone(`too old resource version: ${err.message}`);
        case 'future-revision': throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 504, reason: 'Timeout', message: `Too large resource version: ${err.message}`, details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 } });
        case 'closed': throw internalError('storage is closed');
      }
    }
    throw internalError(err);
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    let kv: KeyValue | undefined;
    try {
      kv = await this.store.get(this.key(namespace, name));
    } catch (err) {
      this.mapStoreError(err, name);
    }
    if (kv === undefined) throw notFound(this.gr, name);
    return decodeKV(kv);
  }

  async tryGet(namespace: string, name: string): Promise<KubeObject | undefined> {
    const kv = await this.store.get(this.key(namespace, name));
    return kv === undefined ? undefined : decodeKV(kv);
  }

  /** Lists with selectors and paging; a continue token pins the revision of the first page. */
  async list(namespace: string | undefined, opts: ListOptions = {}): Promise<ListOutcome> {
    const prefix = this.prefix(namespace);
    let revision = opts.revision ?? 0;
    let startKey: string | undefined;
    if (opts.continueToken !== undefined && opts.continueToken !== '') {
      const t = decodeContinue(opts.continueToken);
      revision = t.rv;
      startKey = t.start;
      if (!startKey.startsWith(prefix)) throw badRequest('continue key is not valid: the key is not under the requested prefix');
    }
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : 0;
    const items: KubeObject[] = [];
    const match = (o: KubeObject) =>
      (opts.filter?.label === undefined || opts.filter.label(o.metadata.labels ?? {})) &&
      (opts.filter?.field === undefined || opts.filter.field(o));
    let readRevision = revision;
    let nextStart: string | undefined;
    try {
      // Read pages until `limit` matching items are found or the prefix is exhausted; selectors
      // may reject many items, so a page of `limit` keys can yield fewer matches.
      for (;;) {
        const page = await this.store.list(prefix, {
          ...(readRevision > 0 ? { revision: readRevision } : {}),
          ...(limit > 0 ? { limit: Math.max(limit - items.length, 1) + 1 } : {}),
          ...(startKey !== undefined ? { startKey } : {}),
        });
        readRevision = page.revision;
        let consumed = 0;
        for (const kv of page.items) {
          if (limit > 0 && items.length >= limit) {
            nextStart = kv.key;
            break;
          }
          consumed++;
          const obj = decodeKV(kv);
          if (match(obj)) items.push(obj);
        }
        if (nextStart !== undefined) break;
        if (!page.more) break;
        const last = page.items[consumed - 1];
        if (last === undefined) break;
        startKey = last.key + '\x00';
      }
    } catch (err) {
      if (err instanceof StoreError && err.code === 'compacted') {
        throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      this.mapStoreError(err, '');
    }
    const out: ListOutcome = { items, resourceVersion: String(readRevision) };
    if (nextStart !== undefined) out.continueToken = encodeContinue(readRevision, nextStart);
    return out;
  }

  private stampNew(obj: KubeObject, namespace: string): void {
    const meta = obj.metadata;
    if (this.info.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowRFC3339();
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    obj.apiVersion = this.info.group === '' ? this.info.version : `${this.info.group}/${this.info.version}`;
    obj.kind = this.info.kind;
  }

  private throwInvalid(obj: KubeObject, errs: FieldError[]): void {
    if (errs.length > 0) throw invalid(this.info.kind, this.info.group, obj.metadata.name ?? obj.metadata.generateName ?? '', errs);
  }

  /** Creates an object: defaulting is the caller's; here: metadata, allocation, validation, write. */
  async create(namespace: string, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = clone(input);
    this.stampNew(obj, namespace);
    this.strategy.prepareForCreate?.(obj);
    const generated = (obj.metadata.name === undefined || obj.metadata.name === '') && obj.metadata.generateName !== undefined && obj.metadata.generateName !== '';
    const txn: Transaction = this.strategy.beginCreate ? await this.strategy.beginCreate(obj, opts.dryRun === true) : noopTransaction;
    try {
      if (generated) obj.metadata.name = generateName(obj.metadata.generateName ?? '');
      this.throwInvalid(obj, this.strategy.validate?.(obj) ?? []);
      const name = obj.metadata.name ?? '';
      if (opts.dryRun === true) {
        txn.revert();
        return obj;
      }
      let kv: KeyValue;
      for (let attempt = 0; ; attempt++) {
        try {
          kv = await this.store.create(this.key(namespace, name), encodeObject(obj));
          break;
        } catch (err) {
          // A generated name that collides is retried with a fresh suffix, as upstream's
          // generateName retries on AlreadyExists.
          if (generated && err instanceof StoreError && err.code === 'exists' && attempt < 8) {
            obj.metadata.name = generateName(obj.metadata.generateName ?? '');
            continue;
          }
          this.mapStoreError(err, obj.metadata.name ?? '');
        }
      }
      txn.commit();
      return decodeKV(kv);
    } catch (err) {
      txn.revert();
      throw err;
    }
  }

  /**
   * Replaces an object (PUT). `subresource` 'status' keeps everything but status; the main resource
   * keeps status when the resource has a status subresource. A resourceVersion in `input` must match.
   */
  async update(namespace: string, name: string, input: KubeObject, opts: WriteOptions & { subresource?: string; allowCreate?: boolean } = {}): Promise<{ object: KubeObject; created: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (kv === undefined) {
        if (opts.allowCreate === true && opts.subresource === undefined) {
          const created = await this.create(namespace, input, opts);
          return { object: created, created: true };
        }
        throw notFound(this.gr, name);
      }
      const old = decodeKV(kv);
      const wantRV = input.metadata.resourceVersion;
      if (wantRV !== undefined && wantRV !== '' && wantRV !== old.metadata.resourceVersion) throw conflict(this.gr, name);
      const obj = this.prepareUpdated(old, clone(input), opts.subresource);
      if (obj.metadata.name !== name) {
        throw badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${name})`);
      }
      const txn = this.strategy.beginUpdate ? await this.strategy.beginUpdate(obj, old, opts.dryRun === true) : noopTransaction;
      try {
        this.throwInvalid(obj, [...validateImmutableMeta(obj, old), ...(this.strategy.validateUpdate?.(obj, old) ?? [])]);
        if (opts.dryRun === true) {
          txn.revert();
          // A dry run writes nothing, so the object keeps the stored revision (kubectl diff shows no RV change).
          obj.metadata.resourceVersion = old.metadata.resourceVersion ?? '';
          return { object: obj, created: false };
        }
        if (unchanged(old, obj)) {
          txn.revert();
          return { object: old, created: false };
        }
        if (shouldDeleteNow(obj)) {
          const outcome = await this.removeFromStore(key, Number(old.metadata.resourceVersion), name);
          txn.commit();
          return { object: outcome, created: false };
        }
        let written: KeyValue;
        try {
          written = await this.store.update(key, encodeObject(obj), kv.modRevision);
        } catch (err) {
          txn.revert();
          // A racing writer bumped the revision: retry only when the caller did not pin one.
          if (err instanceof StoreError && err.code === 'conflict' && (wantRV === undefined || wantRV === '') && attempt < 5) continue;
          this.mapStoreError(err, name);
        }
        txn.commit();
        return { object: decodeKV(written), created: false };
      } catch (err) {
        txn.revert();
        throw err;
      }
    }
  }

  /** Read-modify-write with retries on conflict (PATCH and the scale subresource use it). */
  async guaranteedUpdate(namespace: string, name: string, fn: (current: KubeObject) => KubeObject | Promise<KubeObject>, opts: WriteOptions & { subresource?: string } = {}): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(namespace, name);
      const next = await fn(clone(current));
      next.metadata.resourceVersion = current.metadata.resourceVersion ?? '';
      try {
        return (await this.update(namespace, name, next, opts)).object;
      } catch (err) {
        if (err instanceof StatusError && err.reason === 'Conflict' && attempt < 8) continue;
        throw err;
      }
    }
  }

  private prepareUpdated(old: KubeObject, obj: KubeObject, subresource: string | undefined): KubeObject {
    const meta = obj.metadata;
    const oldMeta = old.metadata;
    // Fields the system owns are carried over from the stored object.
    meta.uid = oldMeta.uid ?? meta.uid ?? '';
    meta.creationTimestamp = oldMeta.creationTimestamp ?? '';
    if (this.info.namespaced) meta.namespace = oldMeta.namespace ?? '';
    if (oldMeta.deletionTimestamp !== undefined) {
      meta.deletionTimestamp = oldMeta.deletionTimestamp;
      if (oldMeta.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (meta.name === undefined || meta.name === '') meta.name = oldMeta.name ?? '';
    obj.apiVersion = old.apiVersion;
    obj.kind = old.kind;
    delete meta.resourceVersion;
    if (subresource === 'status') {
      // Status writes change only status (and nothing in metadata but what the object had).
      const next: KubeObject = { ...clone(old), status: obj['status'] };
      if (obj['status'] === undefined) delete next['status'];
      delete next.metadata.resourceVersion;
      return next;
    }
    // A binding sets spec.nodeName and the PodScheduled condition together, as upstream's binding REST.
    if (this.info.hasStatus && subresource !== 'binding') {
      if (old['status'] === undefined) delete obj['status'];
      else obj['status'] = clone(old['status']);
    }
    this.strategy.prepareForUpdate?.(obj, old);
    // generation counts changes to everything but metadata and status.
    const specChanged = JSON.stringify(stripForGeneration(obj)) !== JSON.stringify(stripForGeneration(old));
    meta.generation = (oldMeta.generation ?? 1) + (specChanged ? 1 : 0);
    return obj;
  }

  private async removeFromStore(key: string, expected: number, name: string): Promise<KubeObject> {
    try {
      const kv = await this.store.delete(key, expected);
      const obj = decodeKV(kv);
      this.strategy.afterDelete?.(obj);
      return obj;
    } catch (err) {
      this.mapStoreError(err, name);
    }
  }

  /** DELETE: graceful period, finalizers and propagation policy, as upstream's store.Delete. */
  async delete(namespace: string, name: string, opts: DeleteOptions = {}): Promise<DeleteOutcome> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (kv === undefined) throw notFound(this.gr, name);
      const obj = decodeKV(kv);
      const pre = opts.preconditions;
      if (pre?.uid !== undefined && pre.uid !== obj.metadata.uid) {
        throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== obj.metadata.resourceVersion) {
        throw conflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`);
      }
      const next = clone(obj);
      const meta = next.metadata;
      let finalizers = [...(meta.finalizers ?? [])];
      if (opts.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) {
        finalizers = finalizers.filter((f) => f !== 'orphan');
        finalizers.push('foregroundDeletion');
      } else if (opts.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) {
        finalizers = finalizers.filter((f) => f !== 'foregroundDeletion');
        finalizers.push('orphan');
      }
      const grace = this.strategy.gracePeriod?.(obj, opts.gracePeriodSeconds) ?? 0;
      const alreadyTerminating = obj.metadata.deletionTimestamp !== undefined;
      const graceful = grace > 0 && (!alreadyTerminating || (obj.metadata.deletionGracePeriodSeconds ?? 0) > grace);
      if (finalizers.length > 0 || graceful) {
        if (finalizers.length > 0) meta.finalizers = finalizers;
        if (!alreadyTerminating || graceful) {
          meta.deletionTimestamp = nowRFC3339(new Date(Date.now() + grace * 1000));
          meta.deletionGracePeriodSeconds = grace;
        }
        if (opts.dryRun === true) return { object: next, deleted: false };
        if (unchanged(obj, next)) return { object: obj, deleted: false };
        try {
          const written = await this.store.update(key, encodeObject(next), kv.modRevision);
          return { object: decodeKV(written), deleted: false };
        } catch (err) {
          if (err instanceof StoreError && err.code === 'conflict' && attempt < 5) continue;
          this.mapStoreError(err, name);
        }
      }
      if (opts.dryRun === true) return { object: obj, deleted: true };
      try {
        const gone = await this.store.delete(key, kv.modRevision);
        const deleted = decodeKV(gone);
        this.strategy.afterDelete?.(deleted);
        return { object: deleted, deleted: true };
      } catch (err) {
        if (err instanceof StoreError && err.code === 'conflict' && attempt < 5) continue;
        this.mapStoreError(err, name);
      }
    }
  }

  /** The revision a watch without a resourceVersion starts from, with the objects to replay as ADDED. */
  async snapshot(namespace: string | undefined, filter: Filter): Promise<{ items: KubeObject[]; revision: number }> {
    const l = await this.list(namespace, { filter });
    return { items: l.items, revision: Number(l.resourceVersion) };
  }

  /**
   * Watches changes after `afterRevision`. Selector semantics as upstream: an object that stops
   * matching is sent as DELETED, one that starts matching as ADDED.
   */
  async watch(namespace: string | undefined, afterRevision: number, filter: Filter, onEvent: (ev: ApiWatchEvent) => void, onError: (err: StatusError) => void): Promise<Watch> {
    const matches = (o: KubeObject | undefined): boolean =>
      o !== undefined &&
      (filter.label === undefined || filter.label(o.metadata.labels ?? {})) &&
      (filter.field === undefined || filter.field(o));
    try {
      return await this.store.watch(this.prefix(namespace), afterRevision, {
        onEvent: (ev: WatchEvent) => {
          const rev = ev.kv.modRevision;
          if (ev.type === 'delete') {
            const last = decodeKV(ev.kv, rev);
            if (matches(last)) onEvent({ type: 'DELETED', object: last });
            return;
          }
          const cur = decodeKV(ev.kv);
          const prev = ev.prev === undefined ? undefined : decodeKV(ev.prev);
          const now = matches(cur);
          const before = matches(prev);
          if (now && before) onEvent({ type: 'MODIFIED', object: cur });
          else if (now) onEvent({ type: 'ADDED', object: cur });
          else if (before) {
            // Left the selector: DELETED carrying the new state at the new revision.
            onEvent({ type: 'DELETED', object: cur });
          }
        },
        onError: (err: Error) => onError(err instanceof StatusError ? err : internalError(err)),
      });
    } catch (err) {
      if (err instanceof StoreError && err.code === 'compacted') {
        throw gone(`too old resource version: ${afterRevision} (${err.compactRevision ?? 0})`);
      }
      this.mapStoreError(err, '');
    }
  }
}

function stripForGeneration(o: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

function unchanged(a: KubeObject, b: KubeObject): boolean {
  return encodeObject(a) === encodeObject(b);
}

function shouldDeleteNow(obj: KubeObject): boolean {
  const m = obj.metadata;
  return m.deletionTimestamp !== undefined && (m.finalizers === undefined || m.finalizers.length === 0) && (m.deletionGracePeriodSeconds ?? 0) === 0;
}

function validateImmutableMeta(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const m: ObjectMeta = obj.metadata;
  if (m.name !== old.metadata.name) errs.push(fieldErr.invalid('metadata.name', m.name ?? '', 'field is immutable'));
  return errs;
}

// generateName suffixes use the same alphabet as upstream (no vowels, no confusable characters).
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** `<prefix>` + 5 random characters, the base cut to 58 characters as upstream's SimpleNameGenerator. */
export function generateName(base: string): string {
  const b = base.length > 58 ? base.slice(0, 58) : base;
  let s = '';
  for (let i = 0; i < 5; i++) s += nameAlphabet[Math.floor(Math.random() * nameAlphabet.length)];
  return b + s;
}
