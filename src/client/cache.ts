// The informer's cache: objects by `namespace/name` key with secondary indexes (client-go's
// cache.Indexer). Mutated only by the informer, synchronously, so every read sees a consistent
// state. Objects are shared with event handlers and readers: treat them as read-only (clone before
// changing one to send an update). Pure: no I/O.
import type { KubeObject } from '../api/types.ts';
import { keyOf } from './types.ts';

/** Index values of an object (an object may sit under several values, or none). */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => readonly string[];

/** The index every cache has: by `metadata.namespace` ('' for cluster-scoped objects). */
export const namespaceIndex = 'namespace';

/** A keyed, indexed object cache. */
export class Cache<T extends KubeObject = KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Readonly<Record<string, IndexFunc<T>>> = {}) {
    this.addIndexers({ [namespaceIndex]: (o: T) => [o.metadata.namespace ?? ''], ...indexers });
  }

  /** Adds indexers (at any time; existing objects are indexed at once). Names must be new. */
  addIndexers(indexers: Readonly<Record<string, IndexFunc<T>>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.#indexers.has(name)) throw new Error(`indexer "${name}" already exists`);
      this.#indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.#indices.set(name, index);
      for (const [key, obj] of this.#items) addTo(index, safeIndex(fn, obj), key);
    }
  }

  get size(): number {
    return this.#items.size;
  }

  /** The object `namespace/name` (namespace '' for cluster-scoped). */
  get(namespace: string, name: string): T | undefined {
    return this.#items.get(namespace === '' ? name : `${namespace}/${name}`);
  }

  getByKey(key: string): T | undefined {
    return this.#items.get(key);
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** Every object (a new array). */
  list(): T[] {
    return [...this.#items.values()];
  }

  listKeys(): string[] {
    return [...this.#items.keys()];
  }

  /** Objects whose index `indexName` has `value` (e.g. `byIndex('namespace', 'default')`). */
  byIndex(indexName: string, value: string): T[] {
    const out: T[] = [];
    for (const key of this.indexKeys(indexName, value)) {
      const o = this.#items.get(key);
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  /** Keys whose index `indexName` has `value`. Throws for an unknown index. */
  indexKeys(indexName: string, value: string): string[] {
    const index = this.#indices.get(indexName);
    if (index === undefined) throw new Error(`index "${indexName}" does not exist`);
    return [...(index.get(value) ?? [])];
  }

  /** The values present in an index. */
  indexValues(indexName: string): string[] {
    const index = this.#indices.get(indexName);
    if (index === undefined) throw new Error(`index "${indexName}" does not exist`);
    return [...index.keys()];
  }

  /** Inserts or replaces an object; returns the previous one. */
  set(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.#items.get(key);
    if (old !== undefined) this.#unindex(key, old);
    this.#items.set(key, obj);
    for (const [name, fn] of this.#indexers) addTo(this.#indices.get(name), safeIndex(fn, obj), key);
    return old;
  }

  /** Removes the object with this key; returns it. */
  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return old;
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name);
      if (index === undefined) continue;
      for (const v of safeIndex(fn, obj)) {
        const keys = index.get(v);
        if (keys === undefined) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(v);
      }
    }
  }
}

function addTo(index: Map<string, Set<string>> | undefined, values: readonly string[], key: string): void {
  if (index === undefined) return;
  for (const v of values) {
    let keys = index.get(v);
    if (keys === undefined) index.set(v, (keys = new Set()));
    keys.add(key);
  }
}

/** Index functions see objects straight from the server: a throwing one indexes nothing. */
function safeIndex<T extends KubeObject>(fn: IndexFunc<T>, obj: T): readonly string[] {
  try {
    return fn(obj);
  } catch {
    return [];
  }
}
