// An in-memory ApiClient for other components' unit tests: the same interface as the real client,
// the same metadata rules as the API server's registry (uid, creationTimestamp, generation,
// resourceVersion from one global revision, optimistic concurrency, status subresource, graceful
// deletion with finalizers, defaulting and ObjectMeta validation), the same StatusErrors, label and
// field selectors, paging, and watches with history, compaction (410) and selector semantics.
// client.conformance.ts runs against this and the real client, so the two cannot drift.
//
// Differences from a real server (deliberate): no namespace admission (objects may be created in
// namespaces that do not exist), no cascading deletion, continue tokens do not pin a snapshot, no
// Service IP allocation or other resource-specific strategies beyond pods' and namespaces' basics.
import { randomUUID } from 'node:crypto';
import type { KubeList, KubeObject } from '../api/types.ts';
import {
  builtinResources, convertFieldSelector, fieldMatcher, hasSubresource, type ResourceInfo,
} from '../api/resources.ts';
import { defaultObject } from '../api/defaults.ts';
import { validateObjectMeta } from '../api/meta-validation.ts';
import { applyPatch } from '../api/patch/index.ts';
import { parseSelector } from '../machinery/labels.ts';
import { parseFieldSelector } from '../machinery/fields.ts';
import {
  alreadyExists, badRequest, conflict, fieldErr, gone, invalid, methodNotSupported, notFound, notFoundPath,
  type FieldError, type GroupResource, type Status,
} from '../machinery/status.ts';
import { ClientError, isStatus } from './errors.ts';
import { realClock, type Clock, type Timer } from './clock.ts';
import {
  apiVersionOfRef, keyOf, patchContentTypes,
  type ApiClient, type DeleteOptions, type ListOptions, type PatchType, type RawRequestOptions, type RawResponse,
  type RequestOptions, type ResourceClient, type ResourceRef, type WatchEvent, type WatchHandle, type WatchOptions,
  type WriteOptions,
} from './types.ts';

/** What a call did, as recorded in `FakeClient.actions` and shown to reactors. */
export interface FakeAction {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
  group: string;
  /** Plural (`pods`). */
  resource: string;
  namespace: string;
  name: string;
  /** `status`, `scale`, `binding`, `log`, ... or ''. */
  subresource: string;
  /** The body of create/update (a copy). */
  object?: unknown;
  patch?: unknown;
  patchType?: PatchType;
}

/** A reactor's verdict: fail the call, answer it, or (undefined) let the fake handle it. */
export type ReactorResult = { error: Error } | { result: unknown } | undefined;
export type Reactor = (action: FakeAction) => ReactorResult;

export interface FakeClientOptions {
  /** The client's default namespace (default 'default'). */
  namespace?: string;
  /** Clock for timestamps and watch timeouts. */
  clock?: Clock;
  /** Extra resources (e.g. from `resourceInfoFromCRD`) so their field selectors and status behave exactly. */
  resources?: readonly ResourceInfo[];
}

interface LogEntry {
  rev: number;
  type: 'put' | 'delete';
  obj: KubeObject;
  prev: KubeObject | undefined;
}

interface Table {
  info: ResourceInfo;
  gr: GroupResource;
  objects: Map<string, KubeObject>;
  log: LogEntry[];
  watches: Set<FakeWatch>;
}

type Matcher = (o: KubeObject) => boolean;

const clone = <T>(v: T): T => structuredClone(v);

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function gvrKey(ref: Pick<ResourceRef, 'group' | 'version' | 'plural'>): string {
  return `${ref.group}/${ref.version}/${ref.plural}`;
}

/** A ResourceInfo for a ref the fake does not know: CRD-like, with a status subresource. */
function synthesizeInfo(ref: ResourceRef): ResourceInfo {
  const kind = ref.kind ?? '';
  return {
    group: ref.group, version: ref.version, kind, listKind: `${kind}List`, plural: ref.plural, singular: ref.plural,
    namespaced: ref.namespaced, shortNames: [], categories: [],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [{ name: 'status', group: ref.group, version: ref.version, kind, verbs: ['get', 'patch', 'update'] }],
    hasStatus: true, storageVersion: true,
    fieldSelectors: { meta: ['metadata.name', 'metadata.namespace'], fields: {}, unknown: 'not-known' },
    nameRule: 'DNS1123Subdomain', crd: `${ref.plural}.${ref.group}`,
  };
}

function isResourceInfo(ref: ResourceRef): ref is ResourceInfo {
  return (ref as Partial<ResourceInfo>).fieldSelectors !== undefined && (ref as Partial<ResourceInfo>).subresources !== undefined;
}

/** Encoding for the "unchanged" test: the object without its resourceVersion, as stored. */
function encodeForCompare(o: KubeObject): string {
  const { resourceVersion: _rv, ...meta } = o.metadata;
  return JSON.stringify({ ...o, metadata: meta });
}

function stripForGeneration(o: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
}

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
function generateName(base: string): string {
  const b = base.length > 58 ? base.slice(0, 58) : base;
  let s = '';
  for (let i = 0; i < 5; i++) s += nameAlphabet[Math.floor(Math.random() * nameAlphabet.length)];
  return b + s;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'fake', ...t })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad');
    return { rv: t.rv, start: t.start };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function parseRV(v: string | undefined): number {
  if (v === undefined || v === '' || v === '0') return 0;
  if (!/^\d+$/.test(v)) throw badRequest(`Invalid value: "${v}": must be an unsigned integer`);
  return Number(v);
}

/** One open watch: events are queued and delivered on a later turn, as over a socket. */
class FakeWatch {
  readonly namespace: string | undefined;
  matches: Matcher;
  readonly #onEvent: (ev: WatchEvent) => void;
  readonly #queue: Array<WatchEvent | { end: true; error?: unknown }> = [];
  #scheduled = false;
  #finished = false;
  #resolve!: () => void;
  #reject!: (e: unknown) => void;
  readonly done: Promise<void>;
  onFinish: () => void = () => undefined;

  constructor(namespace: string | undefined, matches: Matcher, onEvent: (ev: WatchEvent) => void) {
    this.namespace = namespace;
    this.matches = matches;
    this.#onEvent = onEvent;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.done.catch(() => undefined);
  }

  get finished(): boolean {
    return this.#finished;
  }

  push(ev: WatchEvent): void {
    if (this.#finished) return;
    this.#queue.push({ type: ev.type, object: clone(ev.object) });
    this.#schedule();
  }

  /** Ends after the queued events (error: after them, as the server writes ERROR last). */
  end(error?: unknown): void {
    if (this.#finished) return;
    this.#queue.push(error === undefined ? { end: true } : { end: true, error });
    this.#schedule();
  }

  /** Ends at once, dropping queued events (the client hung up). */
  stop(): void {
    this.#finish();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    while (!this.#finished) {
      const item = this.#queue.shift();
      if (item === undefined) return;
      if ('end' in item) {
        this.#finish(item.error);
        return;
      }
      try {
        this.#onEvent(item);
      } catch (err) {
        this.#finish(err);
        return;
      }
    }
  }

  #finish(error?: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#queue.length = 0;
    this.onFinish();
    if (error === undefined) this.#resolve();
    else this.#reject(error);
  }
}

/** The in-memory client. */
export class FakeClient implements ApiClient {
  readonly namespace: string;
  /** Every call, in order (reset with `clearActions`). */
  readonly actions: FakeAction[] = [];
  readonly #clock: Clock;
  readonly #infos = new Map<string, ResourceInfo>();
  readonly #tables = new Map<string, Table>();
  readonly #reactors: Array<{ verb: string; resource: string; fn: Reactor }> = [];
  #rev = 1;
  #compacted = 0;
  #record = true;

  constructor(opts: FakeClientOptions = {}) {
    this.namespace = opts.namespace ?? 'default';
    this.#clock = opts.clock ?? realClock;
    for (const r of [...(opts.resources ?? []), ...builtinResources]) if (!this.#infos.has(gvrKey(r))) this.#infos.set(gvrKey(r), r);
  }

  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T> {
    return new FakeResource<T>(this, this.#table(ref));
  }

  /**
   * Adds a reactor in front of the others (client-go's PrependReactor). `verb` and `resource`
   * (plural) may be '*'. Return `{ error }` to fail the call, `{ result }` to answer it.
   */
  addReactor(verb: FakeAction['verb'] | '*', resource: string, fn: Reactor): void {
    this.#reactors.unshift({ verb, resource, fn });
  }

  clearActions(): void {
    this.actions.length = 0;
  }

  /** Stores objects without recording actions (test set-up). */
  async seed(ref: ResourceRef, objects: readonly KubeObject[]): Promise<void> {
    const r = this.resource(ref);
    this.#record = false;
    try {
      for (const o of objects) await r.create(o.metadata.namespace ?? '', o);
    } finally {
      this.#record = true;
    }
  }

  /** The latest revision (the resourceVersion of the last write). */
  currentRevision(): number {
    return this.#rev;
  }

  /** Drops watch history up to `rev` (default: now); watches from older revisions then get 410 Gone. */
  compact(rev: number = this.#rev): void {
    if (rev <= this.#compacted) return;
    this.#compacted = rev;
    for (const t of this.#tables.values()) t.log = t.log.filter((e) => e.rev > rev);
  }

  /** Ends every open watch cleanly, as a server restart or watch timeout does. */
  closeWatches(): void {
    for (const t of this.#tables.values()) for (const w of [...t.watches]) w.end();
  }

  /** Number of open watches (all resources). */
  openWatches(): number {
    let n = 0;
    for (const t of this.#tables.values()) n += t.watches.size;
    return n;
  }

  close(): void {
    for (const t of this.#tables.values()) for (const w of [...t.watches]) w.stop();
  }

  async request(method: string, path: string, body?: unknown, opts: RawRequestOptions = {}): Promise<RawResponse> {
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?\/?$/.exec(path.split('?')[0] ?? '');
    if (m === null) throw notFoundPath();
    const group = m[2] ?? '';
    const version = m[1] ?? m[3] ?? '';
    const ns = decodeURIComponent(m[4] ?? '');
    const plural = m[5] ?? '';
    const name = m[6] === undefined ? '' : decodeURIComponent(m[6]);
    const sub = m[7] ?? '';
    const info = this.#infos.get(gvrKey({ group, version, plural }));
    if (info === undefined) throw notFoundPath();
    const r = this.resource(info) as FakeResource<KubeObject>;
    const payload: unknown = typeof body === 'string' ? JSON.parse(body) : body === undefined ? undefined : clone(body);
    const q: Record<string, string | number | boolean | undefined> = { ...Object.fromEntries(new URLSearchParams(path.split('?')[1] ?? '')), ...(opts.query ?? {}) };
    const answer = (code: number, v: unknown): RawResponse => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return {
        statusCode: code, headers: { 'content-type': typeof v === 'string' ? 'text/plain' : 'application/json' }, body: text,
        json: <R>() => {
          try {
            return JSON.parse(text) as R;
          } catch (err) {
            throw new ClientError('ERR_CLIENT_DECODE', `${method} ${path}: the response is not JSON`, { cause: err });
          }
        },
      };
    };
    const verb = method.toUpperCase();
    if (sub !== '' && sub !== 'status') {
      const out = await r.subresource(verb, ns, name, sub, payload, opts);
      return answer(isStatus(out) ? out.code : verb === 'POST' ? 201 : 200, out);
    }
    const wo: WriteOptions = q['dryRun'] === 'All' ? { dryRun: true } : {};
    switch (verb) {
      case 'GET':
        if (name === '') {
          const lo: ListOptions = {};
          if (typeof q['labelSelector'] === 'string') lo.labelSelector = q['labelSelector'];
          if (typeof q['fieldSelector'] === 'string') lo.fieldSelector = q['fieldSelector'];
          if (q['limit'] !== undefined) lo.limit = Number(q['limit']);
          if (typeof q['continue'] === 'string') lo.continue = q['continue'];
          return answer(200, await r.list(ns, lo));
        }
        return answer(200, sub === 'status' ? await r.get(ns, name) : await r.get(ns, name));
      case 'POST':
        if (name !== '') throw methodNotSupported(r.table.gr, 'create');
        return answer(201, await r.create(ns, payload as KubeObject, wo));
      case 'PUT': {
        const obj = payload as KubeObject;
        obj.metadata = { ...(obj.metadata ?? {}), name, ...(ns !== '' ? { namespace: ns } : {}) };
        return answer(200, sub === 'status' ? await r.updateStatus(obj, wo) : await r.update(obj, wo));
      }
      case 'PATCH': {
        const ct = opts.contentType ?? patchContentTypes.merge;
        const type = (Object.entries(patchContentTypes).find(([, v]) => v === ct)?.[0] ?? 'merge') as PatchType;
        return answer(200, sub === 'status' ? await r.patchStatus(ns, name, payload, type, wo) : await r.patch(ns, name, payload, type, wo));
      }
      case 'DELETE':
        if (name === '') {
          return answer(200, await r.deleteCollection(ns, {
            ...(typeof q['labelSelector'] === 'string' ? { labelSelector: q['labelSelector'] } : {}),
            ...(typeof q['fieldSelector'] === 'string' ? { fieldSelector: q['fieldSelector'] } : {}),
          }));
        }
        return answer(200, await r.delete(ns, name, (payload ?? {}) as DeleteOptions));
      default:
        throw methodNotSupported(r.table.gr, method.toLowerCase());
    }
  }

  // ---- internals shared with FakeResource (not for tests to call) ----

  #table(ref: ResourceRef): Table {
    const key = gvrKey(ref);
    // Versions of one group/plural share storage, as on a server.
    const storeKey = `${ref.group}/${ref.plural}`;
    let t = this.#tables.get(storeKey);
    if (t === undefined) {
      const info = isResourceInfo(ref) ? ref : this.#infos.get(key) ?? synthesizeInfo(ref);
      t = { info, gr: { group: ref.group, resource: ref.plural }, objects: new Map(), log: [], watches: new Set() };
      this.#tables.set(storeKey, t);
    }
    return t;
  }

  /** @internal Records the action and runs the reactors; returns a reactor's answer, if any. */
  react(action: FakeAction): { result: unknown } | undefined {
    if (this.#record) this.actions.push(clone(action));
    for (const r of this.#reactors) {
      if (r.verb !== '*' && r.verb !== action.verb) continue;
      if (r.resource !== '*' && r.resource !== action.resource) continue;
      const out = r.fn(action);
      if (out === undefined) continue;
      if ('error' in out) throw out.error;
      return { result: clone(out.result) };
    }
    return undefined;
  }

  now(): number {
    return this.#clock.now();
  }

  get clock(): Clock {
    return this.#clock;
  }

  get compactedRevision(): number {
    return this.#compacted;
  }

  /** @internal Commits a change: takes the next revision, stores, logs, and tells the watches. */
  commit(t: Table, type: 'put' | 'delete', obj: KubeObject): KubeObject {
    const key = keyOf(obj);
    const prev = t.objects.get(key);
    const rev = ++this.#rev;
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(rev);
    if (type === 'put') t.objects.set(key, stored);
    else t.objects.delete(key);
    const entry: LogEntry = { rev, type, obj: stored, prev };
    t.log.push(entry);
    for (const w of t.watches) dispatch(w, entry);
    return clone(stored);
  }
}

/** Sends one change to a watch with upstream's selector semantics. */
function dispatch(w: FakeWatch, e: LogEntry): void {
  const inNs = (o: KubeObject | undefined): boolean => o !== undefined && (w.namespace === undefined || (o.metadata.namespace ?? '') === w.namespace);
  const matches = (o: KubeObject | undefined): boolean => o !== undefined && inNs(o) && w.matches(o);
  if (e.type === 'delete') {
    if (matches(e.obj)) w.push({ type: 'DELETED', object: e.obj });
    return;
  }
  const now = matches(e.obj);
  const before = matches(e.prev);
  if (now && before) w.push({ type: 'MODIFIED', object: e.obj });
  else if (now) w.push({ type: 'ADDED', object: e.obj });
  else if (before) w.push({ type: 'DELETED', object: e.obj });
}

class FakeResource<T extends KubeObject> implements ResourceClient<T> {
  readonly ref: ResourceRef;
  readonly table: Table;
  readonly #f: FakeClient;

  constructor(f: FakeClient, table: Table) {
    this.#f = f;
    this.table = table;
    this.ref = table.info;
  }

  get #info(): ResourceInfo {
    return this.table.info;
  }

  #ns(namespace: string | undefined): string {
    return this.#info.namespaced ? namespace ?? '' : '';
  }

  #action(verb: FakeAction['verb'], namespace: string | undefined, name: string, extra: Partial<FakeAction> = {}): FakeAction {
    return { verb, group: this.#info.group, resource: this.#info.plural, namespace: this.#ns(namespace), name, subresource: '', ...extra };
  }

  #key(namespace: string, name: string): string {
    return this.#info.namespaced ? `${namespace}/${name}` : name;
  }

  #current(namespace: string, name: string): KubeObject {
    const o = this.table.objects.get(this.#key(this.#ns(namespace), name));
    if (o === undefined) throw notFound(this.table.gr, name);
    return clone(o);
  }

  #matcher(labelSelector: string | undefined, fieldSelector: string | undefined): Matcher {
    const ls = labelSelector !== undefined && labelSelector !== '' ? parseSelector(labelSelector) : undefined;
    const fs = fieldSelector !== undefined && fieldSelector !== '' ? fieldMatcher(this.#info, convertFieldSelector(this.#info, parseFieldSelector(fieldSelector))) : undefined;
    return (o) => (ls === undefined || ls.matches(o.metadata.labels ?? {})) && (fs === undefined || fs(o));
  }

  #requireNamespace(namespace: string): void {
    // The URL /api/v1/pods (no namespace) has no create/update/get of single objects: 404.
    if (this.#info.namespaced && namespace === '') throw notFoundPath();
  }

  #requireSubresource(sub: string): void {
    if (!hasSubresource(this.#info, sub)) throw notFoundPath();
  }

  #invalid(obj: KubeObject, errs: FieldError[]): void {
    if (errs.length > 0) throw invalid(this.#info.kind, this.#info.group, obj.metadata.name ?? obj.metadata.generateName ?? '', errs);
  }

  async get(namespace: string, name: string, _opts: RequestOptions = {}): Promise<T> {
    const r = this.#f.react(this.#action('get', namespace, name));
    if (r !== undefined) return r.result as T;
    this.#requireNamespace(this.#ns(namespace));
    return this.#current(namespace, name) as T;
  }

  async list(namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList<T>> {
    const r = this.#f.react(this.#action('list', namespace, ''));
    if (r !== undefined) return r.result as KubeList<T>;
    const ns = this.#ns(namespace);
    const match = this.#matcher(opts.labelSelector, opts.fieldSelector);
    let start = '';
    if (opts.limit !== undefined && opts.limit > 0 && opts.continue !== undefined && opts.continue !== '') {
      const t = decodeContinue(opts.continue);
      if (t.rv < this.#f.compactedRevision) {
        throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      start = t.start;
    }
    const keys = [...this.table.objects.keys()].filter((k) => k >= start && (ns === '' || k.startsWith(`${ns}/`))).sort();
    const items: T[] = [];
    let next: string | undefined;
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : 0;
    for (const k of keys) {
      const o = this.table.objects.get(k);
      if (o === undefined || !match(o)) continue;
      if (limit > 0 && items.length >= limit) {
        next = k;
        break;
      }
      items.push(clone(o) as T);
    }
    const rv = this.#f.currentRevision();
    return {
      kind: this.#info.listKind,
      apiVersion: apiVersionOfRef(this.#info),
      metadata: { resourceVersion: String(rv), ...(next !== undefined ? { continue: encodeContinue({ rv, start: next }) } : {}) },
      items,
    };
  }

  async create(namespace: string, input: T, opts: WriteOptions = {}): Promise<T> {
    const r = this.#f.react(this.#action('create', namespace, input.metadata?.name ?? '', { object: input }));
    if (r !== undefined) return r.result as T;
    const info = this.#info;
    const ns = this.#ns(namespace);
    this.#requireNamespace(ns);
    const obj = this.#decode(clone(input));
    const bodyNs = obj.metadata.namespace;
    if (info.namespaced && bodyNs !== undefined && bodyNs !== '' && bodyNs !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const out = defaultObject(info, obj);
    const meta = out.metadata;
    if (info.namespaced) meta.namespace = ns;
    else delete meta.namespace;
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.#f.now());
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta['selfLink'];
    out.apiVersion = apiVersionOfRef(info);
    out.kind = info.kind;
    prepareForCreate(info, out);
    if ((meta.name === undefined || meta.name === '') && meta.generateName !== undefined && meta.generateName !== '') {
      do meta.name = generateName(meta.generateName);
      while (this.table.objects.has(this.#key(ns, meta.name)));
    }
    this.#invalid(out, validateObjectMeta(info, meta));
    if (opts.dryRun === true) return out as T;
    if (this.table.objects.has(this.#key(ns, meta.name ?? ''))) throw alreadyExists(this.table.gr, meta.name ?? '');
    return this.#f.commit(this.table, 'put', out) as T;
  }

  /** Checks apiVersion/kind of a body and fills them, as the server's decoder. */
  #decode(obj: KubeObject): KubeObject {
    const info = this.#info;
    const prefix = `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}`;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw badRequest(`${prefix}: json: cannot unmarshal ${Array.isArray(obj) ? 'array' : typeof obj} into Go value of type struct`);
    const apiVersion = apiVersionOfRef(info);
    if (obj.kind !== undefined && obj.kind !== '' && info.kind !== '' && obj.kind !== info.kind) {
      throw badRequest(`${prefix}: the kind in the data (${obj.kind}) does not match the expected kind (${info.kind})`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
    }
    obj.apiVersion = apiVersion;
    if (info.kind !== '') obj.kind = info.kind;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    return obj;
  }

  /** The registry's update: rv check, system fields carried over, status rules, generation, no-op detection. */
  #update(namespace: string, name: string, input: KubeObject, subresource: '' | 'status', dryRun: boolean): KubeObject {
    const info = this.#info;
    const old = this.#current(namespace, name);
    const wantRV = input.metadata.resourceVersion;
    if (wantRV !== undefined && wantRV !== '' && wantRV !== old.metadata.resourceVersion) throw conflict(this.table.gr, name);
    let obj = clone(input);
    if (subresource === '') obj = defaultObject(info, obj, { operation: 'update' });
    const meta = obj.metadata;
    const oldMeta = old.metadata;
    if (meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    meta.name = name;
    meta.uid = oldMeta.uid ?? meta.uid ?? '';
    meta.creationTimestamp = oldMeta.creationTimestamp ?? '';
    if (info.namespaced) meta.namespace = oldMeta.namespace ?? '';
    if (oldMeta.deletionTimestamp !== undefined) {
      meta.deletionTimestamp = oldMeta.deletionTimestamp;
      if (oldMeta.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    obj.apiVersion = old.apiVersion;
    obj.kind = old.kind;
    delete meta.resourceVersion;
    let next: KubeObject;
    if (subresource === 'status') {
      next = { ...clone(old), status: obj['status'] };
      if (obj['status'] === undefined) delete next['status'];
      delete next.metadata.resourceVersion;
    } else {
      next = obj;
      if (info.hasStatus) {
        if (old['status'] === undefined) delete next['status'];
        else next['status'] = clone(old['status']);
      }
      prepareForUpdate(info, next, old);
      next.metadata.generation = (oldMeta.generation ?? 1) + (stripForGeneration(next) !== stripForGeneration(old) ? 1 : 0);
    }
    const errs: FieldError[] = validateObjectMeta(info, next.metadata, old.metadata);
    if (next.metadata.name !== old.metadata.name) errs.push(fieldErr.invalid('metadata.name', next.metadata.name ?? '', 'field is immutable'));
    this.#invalid(next, errs);
    if (dryRun) return next;
    if (encodeForCompare(old) === encodeForCompare(next)) return old;
    const m = next.metadata;
    if (m.deletionTimestamp !== undefined && (m.finalizers === undefined || m.finalizers.length === 0) && (m.deletionGracePeriodSeconds ?? 0) === 0) {
      next.metadata.resourceVersion = old.metadata.resourceVersion ?? '';
      return this.#f.commit(this.table, 'delete', next);
    }
    return this.#f.commit(this.table, 'put', next);
  }

  async update(obj: T, opts: WriteOptions = {}): Promise<T> {
    const name = nameOf(obj, 'update');
    const r = this.#f.react(this.#action('update', obj.metadata.namespace, name, { object: obj }));
    if (r !== undefined) return r.result as T;
    const ns = this.#ns(obj.metadata.namespace);
    this.#requireNamespace(ns);
    return this.#update(ns, name, this.#decode(clone(obj)), '', opts.dryRun === true) as T;
  }

  async updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    const name = nameOf(obj, 'updateStatus');
    const r = this.#f.react(this.#action('update', obj.metadata.namespace, name, { object: obj, subresource: 'status' }));
    if (r !== undefined) return r.result as T;
    const ns = this.#ns(obj.metadata.namespace);
    this.#requireNamespace(ns);
    this.#requireSubresource('status');
    return this.#update(ns, name, this.#decode(clone(obj)), 'status', opts.dryRun === true) as T;
  }

  #patch(namespace: string, name: string, patch: unknown, type: PatchType, sub: '' | 'status', opts: WriteOptions): T {
    const ns = this.#ns(namespace);
    this.#requireNamespace(ns);
    if (sub === 'status') this.#requireSubresource('status');
    const cur = this.#current(ns, name);
    // The patch crosses the wire as JSON.
    const body: unknown = patch === undefined ? null : JSON.parse(JSON.stringify(patch));
    const patched = applyPatch(patchContentTypes[type], cur, body, cur.apiVersion, cur.kind);
    if (patched.metadata?.resourceVersion !== undefined && patched.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      throw conflict(this.table.gr, name);
    }
    patched.metadata = { ...(patched.metadata ?? {}), resourceVersion: cur.metadata.resourceVersion ?? '' };
    return this.#update(ns, name, patched, sub, opts.dryRun === true) as T;
  }

  async patch(namespace: string, name: string, patch: unknown, type: PatchType, opts: WriteOptions = {}): Promise<T> {
    const r = this.#f.react(this.#action('patch', namespace, name, { patch, patchType: type }));
    if (r !== undefined) return r.result as T;
    return this.#patch(namespace, name, patch, type, '', opts);
  }

  async patchStatus(namespace: string, name: string, patch: unknown, type: PatchType, opts: WriteOptions = {}): Promise<T> {
    const r = this.#f.react(this.#action('patch', namespace, name, { patch, patchType: type, subresource: 'status' }));
    if (r !== undefined) return r.result as T;
    return this.#patch(namespace, name, patch, type, 'status', opts);
  }

  #delete(ns: string, name: string, opts: DeleteOptions): T {
    const info = this.#info;
    const obj = this.#current(ns, name);
    const gr = this.table.gr;
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== obj.metadata.uid) {
      throw conflict(gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`);
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
    const grace = gracePeriod(info, obj, opts.gracePeriodSeconds);
    const terminating = obj.metadata.deletionTimestamp !== undefined;
    const graceful = grace > 0 && (!terminating || (obj.metadata.deletionGracePeriodSeconds ?? 0) > grace);
    if (finalizers.length > 0 || graceful) {
      if (finalizers.length > 0) meta.finalizers = finalizers;
      if (!terminating || graceful) {
        meta.deletionTimestamp = rfc3339(this.#f.now() + grace * 1000);
        meta.deletionGracePeriodSeconds = grace;
      }
      if (opts.dryRun === true) return next as T;
      if (encodeForCompare(obj) === encodeForCompare(next)) return obj as T;
      return this.#f.commit(this.table, 'put', next) as T;
    }
    if (opts.dryRun === true) return obj as T;
    return this.#f.commit(this.table, 'delete', obj) as T;
  }

  async delete(namespace: string, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    const r = this.#f.react(this.#action('delete', namespace, name));
    if (r !== undefined) return r.result as T | Status;
    const ns = this.#ns(namespace);
    this.#requireNamespace(ns);
    return this.#delete(ns, name, opts);
  }

  async deleteCollection(namespace: string | undefined, opts: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {}): Promise<KubeList<T> | Status> {
    const r = this.#f.react(this.#action('deletecollection', namespace, ''));
    if (r !== undefined) return r.result as KubeList<T> | Status;
    const ns = this.#ns(namespace);
    const match = this.#matcher(opts.labelSelector, opts.fieldSelector);
    const items: T[] = [];
    for (const k of [...this.table.objects.keys()].sort()) {
      const o = this.table.objects.get(k);
      if (o === undefined || (ns !== '' && (o.metadata.namespace ?? '') !== ns) || !match(o)) continue;
      items.push(this.#delete(o.metadata.namespace ?? '', o.metadata.name ?? '', opts));
    }
    return { kind: this.#info.listKind, apiVersion: apiVersionOfRef(this.#info), metadata: {}, items };
  }

  watch(namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): WatchHandle {
    const ns = this.#ns(namespace);
    const w = new FakeWatch(ns === '' ? undefined : ns, () => true, onEvent as (ev: WatchEvent) => void);
    const handle: WatchHandle = { stop: () => w.stop(), done: w.done };
    try {
      const r = this.#f.react(this.#action('watch', namespace, ''));
      if (r !== undefined) {
        w.end();
        return handle;
      }
      const match = this.#matcher(opts.labelSelector, opts.fieldSelector);
      w.matches = match;
      const rv = parseRV(opts.resourceVersion);
      if (rv > 0 && rv < this.#f.compactedRevision) {
        w.end(gone(`too old resource version: ${rv} (${this.#f.compactedRevision})`));
        return handle;
      }
      const inNs = (o: KubeObject): boolean => ns === '' || (o.metadata.namespace ?? '') === ns;
      if (rv === 0 || opts.sendInitialEvents === true) {
        for (const k of [...this.table.objects.keys()].sort()) {
          const o = this.table.objects.get(k);
          if (o !== undefined && inNs(o) && match(o)) w.push({ type: 'ADDED', object: o });
        }
        if (opts.sendInitialEvents === true && opts.allowWatchBookmarks === true) {
          w.push({ type: 'BOOKMARK', object: bookmark(this.#info, this.#f.currentRevision(), { 'k8s.io/initial-events-end': 'true' }) });
        }
      } else {
        for (const e of this.table.log) if (e.rev > rv) dispatch(w, e);
      }
    } catch (err) {
      w.end(err);
      return handle;
    }
    this.table.watches.add(w);
    let timer: Timer | undefined;
    const clock = this.#f.clock;
    if (opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0) timer = clock.setTimeout(() => w.end(), opts.timeoutSeconds * 1000);
    const onAbort = (): void => w.stop();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted === true) w.stop();
    w.onFinish = () => {
      this.table.watches.delete(w);
      if (timer !== undefined) clock.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    return handle;
  }

  /** Raw subresources: `pods/binding` (POST), `scale` (GET, PUT, merge PATCH); others answer as the server does without a node agent. */
  async subresource(method: string, namespace: string, name: string, sub: string, body: unknown, _opts: RequestOptions): Promise<unknown> {
    const verb: FakeAction['verb'] = method === 'GET' ? 'get' : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : 'delete';
    const r = this.#f.react(this.#action(verb, namespace, name, { subresource: sub, ...(body !== undefined ? { object: body } : {}) }));
    if (r !== undefined) return r.result;
    this.#requireSubresource(sub);
    const ns = this.#ns(namespace);
    if (sub === 'binding' && method === 'POST') {
      const node = (body as { target?: { name?: string } } | undefined)?.target?.name ?? '';
      if (node === '') throw badRequest(`Binding "${name}" is invalid: target.name: Required value`);
      const pod = this.#current(ns, name);
      const spec = (pod['spec'] ?? {}) as { nodeName?: string };
      if (spec.nodeName !== undefined && spec.nodeName !== '') throw conflict(this.table.gr, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      pod['spec'] = { ...spec, nodeName: node };
      const bound = this.#update(ns, name, pod, '', false);
      // The server sets PodScheduled=True with the binding.
      const status = (bound['status'] ?? {}) as { conditions?: Array<{ type?: string }> };
      const conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date(this.#f.now()).toISOString().replace(/\.\d+Z$/, 'Z') }];
      this.#update(ns, name, { ...bound, status: { ...status, conditions } }, 'status', false);
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } satisfies Status;
    }
    if (sub === 'scale') {
      const cur = this.#current(ns, name);
      if (method === 'GET') return toScale(cur);
      if (method === 'PUT' || method === 'PATCH') {
        const scale = method === 'PUT' ? (body as KubeObject) : applyPatch(patchContentTypes.merge, toScale(cur), body, 'autoscaling/v1', 'Scale');
        const want = scale.metadata?.resourceVersion;
        if (method === 'PUT' && want !== undefined && want !== '' && want !== cur.metadata.resourceVersion) throw conflict(this.table.gr, name);
        const replicas = (scale['spec'] as { replicas?: unknown } | undefined)?.replicas;
        if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) throw badRequest(`Scale.autoscaling "${name}" is invalid: spec.replicas: must be greater than or equal to 0`);
        cur['spec'] = { ...((cur['spec'] as Record<string, unknown> | undefined) ?? {}), replicas };
        return toScale(this.#update(ns, name, cur, '', false));
      }
    }
    if (sub === 'log') throw badRequest(`pod ${name} does not have a host assigned`);
    throw methodNotSupported(this.table.gr, method.toLowerCase());
  }
}

function nameOf(obj: KubeObject, verb: string): string {
  const name = obj.metadata?.name;
  if (name === undefined || name === '') throw new TypeError(`${verb}: metadata.name is required`);
  return name;
}

function bookmark(info: ResourceInfo, rev: number, annotations?: Record<string, string>): KubeObject {
  return { kind: info.kind, apiVersion: apiVersionOfRef(info), metadata: { resourceVersion: String(rev), ...(annotations !== undefined ? { annotations } : {}) } };
}

/** The strategies the server builds in: namespaces and pods get their initial status. */
function prepareForCreate(info: ResourceInfo, obj: KubeObject): void {
  if (info.group !== '') return;
  if (info.plural === 'namespaces') {
    obj['status'] = { phase: 'Active' };
    const spec = (obj['spec'] ?? {}) as { finalizers?: string[] };
    obj['spec'] = { ...spec, finalizers: spec.finalizers ?? ['kubernetes'] };
  } else if (info.plural === 'pods') {
    obj['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
  }
}

function prepareForUpdate(info: ResourceInfo, obj: KubeObject, old: KubeObject): void {
  if (info.group === '' && info.plural === 'namespaces') {
    obj['spec'] = old['spec'];
    if (obj.metadata.deletionTimestamp !== undefined) obj['status'] = { phase: 'Terminating' };
  }
}

/** Pods on a node that have not finished wait for their node agent; everything else goes at once. */
function gracePeriod(info: ResourceInfo, obj: KubeObject, requested: number | undefined): number {
  if (info.group !== '' || info.plural !== 'pods') return 0;
  const spec = (obj['spec'] ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const status = (obj['status'] ?? {}) as { phase?: string };
  if (spec.nodeName === undefined || spec.nodeName === '' || status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
  return Math.max(0, requested ?? spec.terminationGracePeriodSeconds ?? 30);
}

function toScale(obj: KubeObject): KubeObject {
  const spec = (obj['spec'] ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const status = (obj['status'] ?? {}) as { replicas?: number };
  const m = obj.metadata;
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', resourceVersion: m.resourceVersion ?? '', creationTimestamp: m.creationTimestamp ?? '' },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
  };
}
