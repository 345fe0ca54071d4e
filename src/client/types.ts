// The client interface every component programs against. Two implementations: `Client` (rest.ts,
// HTTP to a real API server) and `FakeClient` (fake.ts, in memory); client.conformance.ts holds
// them to the same behaviour. Pure types and one lookup helper.
import type { KubeList, KubeObject } from '../api/types.ts';
import type { Status } from '../machinery/status.ts';
import { builtinResources } from '../api/resources.ts';

/** Which resource a handle talks to. A full `ResourceInfo` fits too. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** The kind (optional; the fake uses it to stamp `kind` on objects of unknown resources). */
  readonly kind?: string;
}

/** Per-request options every call takes. */
export interface RequestOptions {
  /** Aborts the request; it then rejects with ClientError ERR_CLIENT_ABORTED. */
  signal?: AbortSignal;
  /** Overrides the client's default timeout (ms) for this request; 0 = none. */
  timeoutMs?: number;
}

export interface ListOptions extends RequestOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Page size. With a limit, exactly one page is returned and `metadata.continue` says where the
   * next starts; without one, pages are followed until the end (see `pageSize`).
   */
  limit?: number;
  /** Continue token from a previous page (with `limit`). */
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /**
   * Without `limit`: fetch the whole list in chunks of this many, following continue tokens (as
   * client-go's pager). If a token expires (410) the list is redone in one request. 0/absent = one request.
   */
  pageSize?: number;
}

export interface WriteOptions extends RequestOptions {
  /** `dryRun=All`: validate and return the result without storing it. */
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export interface DeleteOptions extends RequestOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type PatchType = 'merge' | 'strategic' | 'json';

/** The Content-Type of each patch type. */
export const patchContentTypes: Readonly<Record<PatchType, string>> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export interface WatchOptions {
  /**
   * Start after this resourceVersion (the `metadata.resourceVersion` of a list). Absent or "0":
   * the server first sends the current objects as ADDED.
   */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Ask for BOOKMARK events that carry a fresher resourceVersion to resume from. */
  allowWatchBookmarks?: boolean;
  /** The server ends the watch (cleanly) after this many seconds. */
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  /** Aborting works as `stop()`: the watch ends and `done` resolves. */
  signal?: AbortSignal;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/** One watch event. BOOKMARK objects carry only `metadata.resourceVersion` (and annotations). */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

/**
 * A running watch. `done` resolves when the stream ends cleanly (server timeout or close, or
 * `stop()`), and rejects with a StatusError for an ERROR event (410 Gone: `isGone(err)` — relist),
 * a ClientError for network failures, or whatever `onEvent` threw.
 */
export interface WatchHandle {
  stop(): void;
  readonly done: Promise<void>;
}

/** A handle on one resource: CRUD, list and watch. Namespace `''` for cluster-scoped resources. */
export interface ResourceClient<T extends KubeObject = KubeObject> {
  readonly ref: ResourceRef;
  get(namespace: string, name: string, opts?: RequestOptions): Promise<T>;
  /** `namespace` undefined or '' lists across all namespaces. */
  list(namespace: string | undefined, opts?: ListOptions): Promise<KubeList<T>>;
  create(namespace: string, obj: T, opts?: WriteOptions): Promise<T>;
  /** PUT; a stale `metadata.resourceVersion` fails with StatusError 409 Conflict. */
  update(obj: T, opts?: WriteOptions): Promise<T>;
  updateStatus(obj: T, opts?: WriteOptions): Promise<T>;
  patch(namespace: string, name: string, patch: unknown, type: PatchType, opts?: WriteOptions): Promise<T>;
  patchStatus(namespace: string, name: string, patch: unknown, type: PatchType, opts?: WriteOptions): Promise<T>;
  /**
   * Deletes (or marks for deletion, with finalizers or a grace period). Resolves with the object
   * as the server returns it, or a Success Status (real clusters, immediate deletion): see `isStatus`.
   */
  delete(namespace: string, name: string, opts?: DeleteOptions): Promise<T | Status>;
  /** Deletes every object matching the selectors; resolves with what the server returns. */
  deleteCollection(namespace: string | undefined, opts?: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'>): Promise<KubeList<T> | Status>;
  watch(namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): WatchHandle;
}

export interface RawRequestOptions extends RequestOptions {
  /** Query parameters appended to the path. */
  query?: Record<string, string | number | boolean | undefined>;
  /** Content-Type of the body (default application/json). */
  contentType?: string;
  headers?: Record<string, string>;
}

/** The answer to a raw request (2xx only; others reject with StatusError). */
export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text. */
  body: string;
  /** The body parsed as JSON (throws ClientError ERR_CLIENT_DECODE if it is not). */
  json<R = unknown>(): R;
}

/** The API client: resource handles plus raw requests for subresources (scale, binding, log). */
export interface ApiClient {
  /** Namespace of the configuration (kubeconfig context or in-cluster), 'default' otherwise. */
  readonly namespace: string;
  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T>;
  /** Any path (`/api/v1/namespaces/ns/pods/p/log`); an object body is sent as JSON, a string as is. */
  request(method: string, path: string, body?: unknown, opts?: RawRequestOptions): Promise<RawResponse>;
  /** Releases sockets and stops open watches. */
  close(): void;
}

/**
 * The ResourceRef of a built-in resource by plural (and group when ambiguous): `builtin('pods')`,
 * `builtin('deployments', 'apps')`. Throws for unknown names.
 */
export function builtin(plural: string, group?: string): ResourceRef {
  const found = builtinResources.filter((r) => r.plural === plural && (group === undefined || r.group === group));
  const first = found[0];
  if (first === undefined) throw new Error(`no built-in resource ${group === undefined ? plural : `${plural}.${group}`}`);
  if (found.length > 1 && group === undefined) throw new Error(`resource ${plural} exists in several groups: name one`);
  return first;
}

/** `apps/v1` or `v1`. */
export function apiVersionOfRef(ref: Pick<ResourceRef, 'group' | 'version'>): string {
  return ref.group === '' ? ref.version : `${ref.group}/${ref.version}`;
}

/** The URL path of a resource collection, object or subresource. */
export function resourcePath(ref: ResourceRef, namespace: string | undefined, name?: string, subresource?: string): string {
  let p = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  if (ref.namespaced && namespace !== undefined && namespace !== '') p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${ref.plural}`;
  if (name !== undefined) {
    if (name === '') throw new Error(`resource name may not be empty (${ref.plural})`);
    p += `/${encodeURIComponent(name)}`;
    if (subresource !== undefined && subresource !== '') p += `/${subresource}`;
  }
  return p;
}

/** The cache key client-go uses: `namespace/name`, or `name` for cluster-scoped objects. */
export function keyOf(obj: Pick<KubeObject, 'metadata'>): string {
  const ns = obj.metadata.namespace ?? '';
  const name = obj.metadata.name ?? '';
  return ns === '' ? name : `${ns}/${name}`;
}

/** Splits a `namespace/name` key (no slash: cluster-scoped, namespace ''). */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
