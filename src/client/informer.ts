// Informers as client-go's reflector + shared informer: list, then watch from the list's
// resourceVersion (with bookmarks to keep it fresh); re-watch when a watch ends cleanly; relist on
// 410 Gone or a failed watch, delivering the difference against the cache (adds, updates by
// resourceVersion, deletes) so handlers never see an unchanged object twice; back off with jitter on
// errors; resync on a period; hasSynced/waitForSync; a shared informer per resource and selector.
// The loop never throws outward: it logs and retries.
import type { KubeObject } from '../api/types.ts';
import { StatusError } from '../machinery/status.ts';
import { isClientError, isGone } from './errors.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { Cache, type IndexFunc } from './cache.ts';
import { realClock, sleep, type Clock, type Timer } from './clock.ts';
import { keyOf, type ApiClient, type ResourceClient, type ResourceRef, type WatchEvent, type WatchHandle } from './types.ts';

/** Callbacks for cache changes. Called synchronously, in order, after the cache has changed. */
export interface EventHandler<T extends KubeObject = KubeObject> {
  /** A new object; `initialList` is true for objects of the first list (and replays to late handlers). */
  onAdd?(obj: T, initialList: boolean): void;
  /** A changed object (a newer resourceVersion), or `old === obj` on a periodic resync. */
  onUpdate?(old: T, obj: T): void;
  /**
   * A removed object: its last state. `finalStateUnknown` when the delete was not seen but
   * inferred by a relist (client-go's DeletedFinalStateUnknown): the object is the last one cached.
   */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export type LogFn = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface InformerOptions<T extends KubeObject = KubeObject> {
  /** Only this namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Period (ms) to re-deliver every cached object as onUpdate(obj, obj); 0 = never (default). */
  resyncMs?: number;
  /** Extra indexes; `namespace` is always there. */
  indexers?: Readonly<Record<string, IndexFunc<T>>>;
  clock?: Clock;
  /** Back-off between failed attempts (default 800 ms doubling to 30 s, jitter 1.0). */
  backoff?: BackoffOptions;
  /** Server-side watch timeout (default random 300–600 s, as client-go). */
  watchTimeoutSeconds?: number;
  /** List page size (default 500, as client-go's pager). */
  pageSize?: number;
  /** A watch that lasts this long (ms) or delivers an event resets the back-off (default 60 s). */
  healthyAfterMs?: number;
  /** Name in log lines (default the resource plural). */
  name?: string;
  log?: LogFn;
}

/** Counters, for tests and metrics. */
export interface InformerStats {
  /** Successful lists (the first one included). */
  lists: number;
  /** Watches opened. */
  watches: number;
  /** Watch events applied (bookmarks included, duplicates not). */
  events: number;
  /** Failed lists or watches (410 included). */
  errors: number;
  /** Relists caused by 410 Gone. */
  gone: number;
}

type Handlers<T extends KubeObject> = Required<EventHandler<T>>;

function retryInPlace(err: unknown): boolean {
  if (isClientError(err, 'ERR_CLIENT_NETWORK') && err.syscallCode === 'ECONNREFUSED') return true;
  return err instanceof StatusError && err.status.code === 429;
}

const noop = (): void => undefined;

function sameUID(a: KubeObject, b: KubeObject): boolean {
  const x = a.metadata.uid ?? '';
  const y = b.metadata.uid ?? '';
  return x === '' || y === '' || x === y;
}

function toHandlers<T extends KubeObject>(h: EventHandler<T>): Handlers<T> {
  return {
    onAdd: h.onAdd?.bind(h) ?? noop,
    onUpdate: h.onUpdate?.bind(h) ?? noop,
    onDelete: h.onDelete?.bind(h) ?? noop,
  };
}

/** List + watch + cache for one resource (and selector). */
export class Informer<T extends KubeObject = KubeObject> {
  readonly resource: ResourceClient<T>;
  readonly cache: Cache<T>;
  readonly stats: InformerStats = { lists: 0, watches: 0, events: 0, errors: 0, gone: 0 };
  readonly #opts: InformerOptions<T>;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #log: LogFn;
  readonly #name: string;
  readonly #handlers: Handlers<T>[] = [];
  #synced = false;
  #syncWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #started = false;
  #stopped = false;
  #stopper = new AbortController();
  #watch: WatchHandle | undefined;
  #loop: Promise<void> | undefined;
  #resyncTimer: Timer | undefined;
  #lastRV = '';

  constructor(resource: ResourceClient<T>, opts: InformerOptions<T> = {}) {
    this.resource = resource;
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#backoff = new Backoff(opts.backoff);
    this.#log = opts.log ?? noop;
    this.#name = opts.name ?? resource.ref.plural;
    this.cache = new Cache<T>(opts.indexers ?? {});
  }

  /** The namespace/selector this informer watches, as one string (the factory's sharing key). */
  get selectorKey(): string {
    return `${this.#opts.namespace ?? ''}|${this.#opts.labelSelector ?? ''}|${this.#opts.fieldSelector ?? ''}`;
  }

  /**
   * Adds handlers; objects already cached are replayed to them as onAdd(obj, true) right away.
   * Returns a function that removes them.
   */
  addEventHandler(h: EventHandler<T>): () => void {
    const hs = toHandlers(h);
    this.#handlers.push(hs);
    for (const o of this.cache.list()) this.#call(() => hs.onAdd(o, true));
    return () => {
      const i = this.#handlers.indexOf(hs);
      if (i >= 0) this.#handlers.splice(i, 1);
    };
  }

  /** Adds indexes to the cache (existing objects are indexed at once). */
  addIndexers(indexers: Readonly<Record<string, IndexFunc<T>>>): void {
    this.cache.addIndexers(indexers);
  }

  /** True once the first list has been applied to the cache. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once synced; rejects if the informer stops first or `signal` aborts. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    if (this.#stopped) return Promise.reject(new Error(`informer ${this.#name} stopped before it synced`));
    return new Promise<void>((resolve, reject) => {
      const w = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        this.#syncWaiters = this.#syncWaiters.filter((x) => x !== w);
        reject(signal?.reason);
      };
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(w);
    });
  }

  /** The resourceVersion the next watch resumes from ('' before the first list). */
  lastSyncResourceVersion(): string {
    return this.#lastRV;
  }

  get running(): boolean {
    return this.#started && !this.#stopped;
  }

  /** Starts listing and watching in the background. Calling it again does nothing. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#loop = this.#run();
    this.#scheduleResync();
  }

  /** Stops the watch and the loop; resolves when they have ended. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopper.abort(new Error('informer stopped'));
    this.#watch?.stop();
    if (this.#resyncTimer !== undefined) this.#clock.clearTimeout(this.#resyncTimer);
    for (const w of this.#syncWaiters.splice(0)) w.reject(new Error(`informer ${this.#name} stopped before it synced`));
    await this.#loop;
  }

  // ---- the loop ----

  async #run(): Promise<void> {
    let needList = true;
    let lastWasGone = false;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#listAndReplace();
          needList = false;
        }
        const outcome = await this.#watchOnce();
        if (this.#stopped) break;
        if (outcome.healthy) this.#backoff.reset();
        else if (!outcome.sawEvents) {
          // A watch that closes at once without news: do not spin.
          await sleep(this.#clock, this.#backoff.next(), this.#stopper.signal);
        }
        lastWasGone = false;
      } catch (err) {
        if (this.#stopped) break;
        this.stats.errors++;
        // As client-go's reflector: a refused connection or 429 means the server is busy or
        // restarting; retry the watch where it ended instead of relisting everything.
        if (!retryInPlace(err)) needList = true;
        if (isGone(err)) {
          this.stats.gone++;
          this.#log('info', `${this.#name}: watch resourceVersion ${this.#lastRV} expired; relisting`);
          // The first 410 relists at once; repeated ones back off.
          if (lastWasGone) await this.#sleepQuietly(this.#backoff.next());
          lastWasGone = true;
          continue;
        }
        lastWasGone = false;
        const delay = this.#backoff.next();
        this.#log('warn', `${this.#name}: ${err instanceof Error ? err.message : String(err)}; retrying in ${delay} ms`);
        await this.#sleepQuietly(delay);
      }
    }
  }

  async #sleepQuietly(ms: number): Promise<void> {
    try {
      await sleep(this.#clock, ms, this.#stopper.signal);
    } catch {
      // stopped
    }
  }

  async #listAndReplace(): Promise<void> {
    const o = this.#opts;
    const list = await this.resource.list(o.namespace, {
      ...(o.labelSelector !== undefined ? { labelSelector: o.labelSelector } : {}),
      ...(o.fieldSelector !== undefined ? { fieldSelector: o.fieldSelector } : {}),
      pageSize: o.pageSize ?? 500,
      signal: this.#stopper.signal,
      timeoutMs: 60_000,
    });
    if (this.#stopped) return;
    this.stats.lists++;
    this.#replace(list.items, list.metadata.resourceVersion ?? '');
  }

  /** Applies a full list as a diff against the cache. */
  #replace(items: readonly T[], rv: string): void {
    const initial = !this.#synced;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.cache.getByKey(key);
      if (old !== undefined && old.metadata.resourceVersion === obj.metadata.resourceVersion) continue;
      this.cache.set(obj);
      if (old === undefined) this.#emit((h) => h.onAdd(obj, initial));
      else if (!sameUID(old, obj)) {
        // Deleted and re-created while we were not watching.
        this.#emit((h) => h.onDelete(old, true));
        this.#emit((h) => h.onAdd(obj, initial));
      } else this.#emit((h) => h.onUpdate(old, obj));
    }
    for (const key of this.cache.listKeys()) {
      if (seen.has(key)) continue;
      const old = this.cache.delete(key);
      if (old !== undefined) this.#emit((h) => h.onDelete(old, true));
    }
    this.#lastRV = rv;
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w.resolve();
    }
  }

  /** One watch from the last resourceVersion; resolves when it ends cleanly, rejects on error. */
  async #watchOnce(): Promise<{ healthy: boolean; sawEvents: boolean }> {
    const o = this.#opts;
    const started = this.#clock.now();
    let sawEvents = false;
    const timeoutSeconds = o.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
    this.stats.watches++;
    const handle = this.resource.watch(o.namespace, {
      resourceVersion: this.#lastRV,
      allowWatchBookmarks: true,
      timeoutSeconds,
      ...(o.labelSelector !== undefined ? { labelSelector: o.labelSelector } : {}),
      ...(o.fieldSelector !== undefined ? { fieldSelector: o.fieldSelector } : {}),
    }, (ev) => {
      if (this.#stopped) return;
      sawEvents = true;
      this.#apply(ev);
    });
    this.#watch = handle;
    if (this.#stopped) handle.stop();
    try {
      await handle.done;
    } catch (err) {
      if (sawEvents || this.#clock.now() - started >= (o.healthyAfterMs ?? 60_000)) this.#backoff.reset();
      throw err;
    } finally {
      this.#watch = undefined;
    }
    return { healthy: sawEvents || this.#clock.now() - started >= (o.healthyAfterMs ?? 60_000), sawEvents };
  }

  #apply(ev: WatchEvent<T>): void {
    const obj = ev.object;
    const rv = obj.metadata?.resourceVersion ?? '';
    if (ev.type === 'BOOKMARK') {
      if (rv !== '') this.#lastRV = rv;
      this.stats.events++;
      return;
    }
    const key = keyOf(obj);
    const old = this.cache.getByKey(key);
    if (ev.type === 'DELETED') {
      if (old !== undefined) {
        this.cache.delete(key);
        this.#emit((h) => h.onDelete(obj, false));
      }
    } else {
      if (old !== undefined && old.metadata.resourceVersion === rv) {
        if (rv !== '') this.#lastRV = rv;
        return; // already have this version
      }
      this.cache.set(obj);
      if (old === undefined) this.#emit((h) => h.onAdd(obj, false));
      else if (!sameUID(old, obj)) {
        this.#emit((h) => h.onDelete(old, true));
        this.#emit((h) => h.onAdd(obj, false));
      } else this.#emit((h) => h.onUpdate(old, obj));
    }
    this.stats.events++;
    if (rv !== '') this.#lastRV = rv;
  }

  #emit(fn: (h: Handlers<T>) => void): void {
    for (const h of this.#handlers) this.#call(() => fn(h));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log('error', `${this.#name}: event handler failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }

  #scheduleResync(): void {
    const period = this.#opts.resyncMs ?? 0;
    if (period <= 0 || this.#stopped) return;
    this.#resyncTimer = this.#clock.setTimeout(() => {
      this.#resyncTimer = undefined;
      if (this.#stopped) return;
      if (this.#synced) this.resync();
      this.#scheduleResync();
    }, period);
  }

  /** Re-delivers every cached object as onUpdate(obj, obj) (what the resync period does). */
  resync(): void {
    for (const o of this.cache.list()) this.#emit((h) => h.onUpdate(o, o));
  }
}

// ---- the factory ----

/** Options for every informer a factory makes. */
export type FactoryOptions = Omit<InformerOptions, 'namespace' | 'labelSelector' | 'fieldSelector' | 'indexers' | 'name'> & {
  /** Default namespace for informers that do not name one (default: all). */
  namespace?: string;
};

export interface InformerRequest {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * Shares one informer per resource + namespace + selectors among the components of a process.
 * Informers made after `start()` start at once.
 */
export class InformerFactory {
  readonly client: ApiClient;
  readonly #opts: FactoryOptions;
  readonly #informers = new Map<string, Informer<KubeObject>>();
  #started = false;
  #stopped = false;

  constructor(client: ApiClient, opts: FactoryOptions = {}) {
    this.client = client;
    this.#opts = opts;
  }

  /**
   * The shared informer for a resource (and namespace/selectors). Ask for one resource with one
   * object type `T` throughout a process: the instance is shared.
   */
  informerFor<T extends KubeObject = KubeObject>(ref: ResourceRef, req: InformerRequest = {}): Informer<T> {
    const namespace = req.namespace ?? this.#opts.namespace;
    const key = `${ref.group}/${ref.version}/${ref.plural}|${namespace ?? ''}|${req.labelSelector ?? ''}|${req.fieldSelector ?? ''}`;
    let inf = this.#informers.get(key);
    if (inf === undefined) {
      const { namespace: _ns, ...rest } = this.#opts;
      inf = new Informer<KubeObject>(this.client.resource(ref), {
        ...rest,
        name: ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`,
        ...(namespace !== undefined ? { namespace } : {}),
        ...(req.labelSelector !== undefined ? { labelSelector: req.labelSelector } : {}),
        ...(req.fieldSelector !== undefined ? { fieldSelector: req.fieldSelector } : {}),
      });
      this.#informers.set(key, inf);
      if (this.#started && !this.#stopped) inf.start();
    }
    // The cache holds whatever the server sends; `T` is the caller's view of it.
    return inf as unknown as Informer<T>;
  }

  /** Starts every informer made so far (and later ones on creation). */
  start(): void {
    if (this.#stopped) return;
    this.#started = true;
    for (const inf of this.#informers.values()) inf.start();
  }

  hasSynced(): boolean {
    return [...this.#informers.values()].every((i) => i.hasSynced());
  }

  /** Resolves when every informer made so far has synced. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }
}
