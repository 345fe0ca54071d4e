// The HTTP client: resource handles (CRUD, list with paging, watch) and raw requests over one
// keep-alive agent. Non-2xx answers become StatusErrors with the server's Status; failures that are
// not answers become ClientErrors with a stable code.
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { readFileSync } from 'node:fs';
import type { KubeList, KubeObject } from '../api/types.ts';
import { StatusError, type Status } from '../machinery/status.ts';
import { ClientError, isGone, isStatus, statusErrorFromResponse } from './errors.ts';
import type { ClientConfig } from './kubeconfig.ts';
import { NdjsonDecoder } from './ndjson.ts';
import { realClock, sleep, type Clock } from './clock.ts';
import {
  apiVersionOfRef, patchContentTypes, resourcePath,
  type ApiClient, type DeleteOptions, type ListOptions, type PatchType, type RawRequestOptions, type RawResponse,
  type RequestOptions, type ResourceClient, type ResourceRef, type WatchEvent, type WatchHandle, type WatchOptions,
  type WriteOptions,
} from './types.ts';

export interface ClientOptions {
  /** Default per-request timeout in ms (default 30 000; 0 = none). Watches use it until the stream opens. */
  timeoutMs?: number;
  /** User-Agent header (default `switchboard/0.1`). */
  userAgent?: string;
  /** Concurrent sockets per host (default Infinity; watches each hold one). */
  maxSockets?: number;
  /** Retries for answers 429/5xx that carry Retry-After, as client-go (default 3; waits capped at 10 s). */
  maxRetries?: number;
  /** Clock for retry waits and token file re-reads. */
  clock?: Clock;
}

type Query = Record<string, string | number | boolean | undefined>;

interface Buffered {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const tokenFileRefreshMs = 60_000;

const idempotent = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** A request that failed on a reused keep-alive socket before any answer. */
class StaleSocket extends Error {
  readonly error: ClientError;
  constructor(error: ClientError) {
    super(error.message);
    this.error = error;
  }
}

/** A response whose headers are in; `release` ends the timeout; `failure` is why the exchange was cut. */
interface Opened {
  res: IncomingMessage;
  release: () => void;
  failure: () => ClientError | undefined;
}

function queryString(q: Query | undefined): string {
  if (q === undefined) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.append(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

function networkError(err: unknown, what: string): ClientError {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e.code === 'string' ? e.code : undefined;
  return new ClientError('ERR_CLIENT_NETWORK', `${what}: ${e.message ?? String(err)}`, { cause: err, ...(code !== undefined ? { syscallCode: code } : {}) });
}

function parseJson<R>(body: string, what: string): R {
  try {
    return JSON.parse(body) as R;
  } catch (err) {
    throw new ClientError('ERR_CLIENT_DECODE', `${what}: the response is not JSON: ${body.slice(0, 200)}`, { cause: err });
  }
}

function withTypeMeta<T extends KubeObject>(ref: ResourceRef, list: KubeList<T>): KubeList<T> {
  // Lists from real clusters leave apiVersion/kind out of items; fill them so consumers can rely on them.
  const kind = ref.kind ?? (typeof list.kind === 'string' && list.kind.endsWith('List') ? list.kind.slice(0, -4) : '');
  const apiVersion = apiVersionOfRef(ref);
  // Go may marshal an empty list as `items: null`.
  if (!Array.isArray(list.items)) list.items = [];
  for (const it of list.items) {
    if (it.apiVersion === undefined || it.apiVersion === '') it.apiVersion = apiVersion;
    if ((it.kind === undefined || it.kind === '') && kind !== '') it.kind = kind;
  }
  return list;
}

/** The real client: HTTP(S) to an API server described by a ClientConfig. */
export class Client implements ApiClient {
  readonly config: ClientConfig;
  readonly namespace: string;
  readonly #base: URL;
  readonly #agent: HttpAgent;
  readonly #https: boolean;
  readonly #timeoutMs: number;
  readonly #userAgent: string;
  readonly #maxRetries: number;
  readonly #clock: Clock;
  readonly #watches = new Set<WatchHandle>();
  #token: { value: string; readAt: number } | undefined;

  constructor(config: ClientConfig, opts: ClientOptions = {}) {
    this.config = config;
    this.namespace = config.namespace === '' ? 'default' : config.namespace;
    try {
      this.#base = new URL(config.server);
    } catch (err) {
      throw new ClientError('ERR_CLIENT_CONFIG', `invalid server URL ${JSON.stringify(config.server)}`, { cause: err });
    }
    this.#https = this.#base.protocol === 'https:';
    if (!this.#https && this.#base.protocol !== 'http:') throw new ClientError('ERR_CLIENT_CONFIG', `unsupported server URL scheme ${this.#base.protocol}`);
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#userAgent = opts.userAgent ?? 'switchboard/0.1';
    this.#maxRetries = opts.maxRetries ?? 3;
    this.#clock = opts.clock ?? realClock;
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? Infinity, keepAliveMsecs: 30_000 };
    if (this.#https) {
      this.#agent = new HttpsAgent({
        ...common,
        ...(config.caData !== undefined ? { ca: config.caData } : {}),
        ...(config.certData !== undefined ? { cert: config.certData } : {}),
        ...(config.keyData !== undefined ? { key: config.keyData } : {}),
        rejectUnauthorized: config.insecureSkipTlsVerify !== true,
        ...(config.tlsServerName !== undefined ? { servername: config.tlsServerName } : {}),
      });
    } else {
      this.#agent = new HttpAgent(common);
    }
  }

  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T> {
    return new RestResource<T>(this, ref);
  }

  async request(method: string, path: string, body?: unknown, opts: RawRequestOptions = {}): Promise<RawResponse> {
    let payload: Buffer | undefined;
    let contentType = opts.contentType;
    if (body !== undefined) {
      if (Buffer.isBuffer(body)) payload = body;
      else if (typeof body === 'string') payload = Buffer.from(body);
      else payload = Buffer.from(JSON.stringify(body));
      contentType ??= 'application/json';
    }
    const res = await this.send(method, path + queryString(opts.query), payload, contentType, opts, opts.headers);
    const text = res.body.toString('utf8');
    return {
      statusCode: res.statusCode,
      headers: res.headers,
      body: text,
      json: <R>() => parseJson<R>(text, `${method} ${path}`),
    };
  }

  close(): void {
    for (const w of [...this.#watches]) w.stop();
    this.#agent.destroy();
  }

  // ---- transport ----

  #authorization(): string | undefined {
    const c = this.config;
    if (c.token !== undefined && c.token !== '') return `Bearer ${c.token}`;
    if (c.tokenFile !== undefined) {
      const now = this.#clock.now();
      if (this.#token === undefined || now - this.#token.readAt > tokenFileRefreshMs) {
        try {
          this.#token = { value: readFileSync(c.tokenFile, 'utf8').trim(), readAt: now };
        } catch (err) {
          // Keep using the last token read when a rotation is in progress.
          if (this.#token === undefined) throw new ClientError('ERR_CLIENT_CONFIG', `cannot read token file ${c.tokenFile}: ${(err as Error).message}`, { cause: err });
        }
      }
      return `Bearer ${this.#token.value}`;
    }
    if (c.username !== undefined) return `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`;
    return undefined;
  }

  /**
   * Starts a request and resolves with the response once its headers are in. The timeout (and the
   * caller's signal) cover the whole exchange until `release()` is called; streams call it after
   * the headers, buffered reads after the body.
   */
  async #open(method: string, pathAndQuery: string, body: Buffer | undefined, contentType: string | undefined, opts: RequestOptions, extraHeaders: Record<string, string> | undefined, accept: string): Promise<Opened> {
    try {
      return await this.#openOnce(method, pathAndQuery, body, contentType, opts, extraHeaders, accept);
    } catch (err) {
      // A kept-alive socket the server had already closed fails before any answer: the request
      // never reached the server, so an idempotent one is sent again on a fresh socket (as Go's
      // net/http does; Node's documentation recommends the same).
      if (err instanceof StaleSocket && idempotent.has(method)) return this.#openOnce(method, pathAndQuery, body, contentType, opts, extraHeaders, accept);
      throw err instanceof StaleSocket ? err.error : err;
    }
  }

  #openOnce(method: string, pathAndQuery: string, body: Buffer | undefined, contentType: string | undefined, opts: RequestOptions, extraHeaders: Record<string, string> | undefined, accept: string): Promise<Opened> {
    const url = new URL(this.#base.pathname.replace(/\/$/, '') + pathAndQuery, this.#base);
    const headers: Record<string, string> = { Accept: accept, 'User-Agent': this.#userAgent, ...extraHeaders };
    const auth = this.#authorization();
    if (auth !== undefined) headers['Authorization'] = auth;
    if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    const signal = opts.signal;
    const what = `${method} ${url.pathname}`;
    return new Promise((resolve, reject) => {
      let failed: ClientError | undefined;
      let timer: NodeJS.Timeout | undefined;
      let req: ClientRequest | undefined;
      const fail = (e: ClientError): void => {
        if (failed !== undefined) return;
        failed = e;
        release();
        req?.destroy(e);
        reject(e);
      };
      const onAbort = (): void => fail(new ClientError('ERR_CLIENT_ABORTED', `${what}: aborted`, { cause: signal?.reason }));
      const release = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted === true) {
        reject(new ClientError('ERR_CLIENT_ABORTED', `${what}: aborted`, { cause: signal.reason }));
        return;
      }
      const requestFn = this.#https ? httpsRequest : httpRequest;
      req = requestFn(url, { method, headers, agent: this.#agent });
      if (timeoutMs > 0) timer = setTimeout(() => fail(new ClientError('ERR_CLIENT_TIMEOUT', `${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => {
        release();
        if (failed === undefined) {
          failed = networkError(err, what);
          const code = (err as NodeJS.ErrnoException).code;
          if (req?.reusedSocket === true && (code === 'ECONNRESET' || code === 'EPIPE')) reject(new StaleSocket(failed));
          else reject(failed);
        }
      });
      req.on('response', (res) => resolve({ res, release, failure: () => failed }));
      req.end(body);
    });
  }

  /** Sends a request and reads the whole answer; non-2xx → StatusError; Retry-After answers are retried. */
  async send(method: string, pathAndQuery: string, body: Buffer | undefined, contentType: string | undefined, opts: RequestOptions = {}, extraHeaders?: Record<string, string>): Promise<Buffered> {
    for (let attempt = 0; ; attempt++) {
      const { res, release, failure } = await this.#open(method, pathAndQuery, body, contentType, opts, extraHeaders, 'application/json, */*');
      let buf: Buffer;
      try {
        buf = await readAll(res, failure, `${method} ${pathAndQuery}`);
      } finally {
        release();
      }
      const code = res.statusCode ?? 0;
      if (code >= 200 && code < 300) return { statusCode: code, headers: res.headers, body: buf };
      const retryAfter = Number(res.headers['retry-after']);
      if ((code === 429 || code >= 500) && res.headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && attempt < this.#maxRetries) {
        await sleep(this.#clock, Math.min(10, Math.max(1, retryAfter)) * 1000, opts.signal).catch((reason: unknown) => {
          throw new ClientError('ERR_CLIENT_ABORTED', `${method} ${pathAndQuery}: aborted`, { cause: reason });
        });
        continue;
      }
      throw statusErrorFromResponse(code, buf.toString('utf8'));
    }
  }

  /** Sends a request and parses the JSON answer. */
  async json<R>(method: string, pathAndQuery: string, body: unknown, opts: RequestOptions & { contentType?: string } = {}): Promise<R> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await this.send(method, pathAndQuery, payload, opts.contentType, opts);
    return parseJson<R>(res.body.toString('utf8'), `${method} ${pathAndQuery}`);
  }

  /** Opens a watch stream and feeds its events to `onEvent`. */
  watchPath<T extends KubeObject>(path: string, query: Query, opts: { signal?: AbortSignal }, onEvent: (ev: WatchEvent<T>) => void): WatchHandle {
    const stopper = new AbortController();
    let stopped = false;
    // The caller's signal works as stop(): the watch ends and `done` resolves.
    const onCallerAbort = (): void => {
      stopped = true;
      stopper.abort(opts.signal?.reason);
    };
    if (opts.signal?.aborted === true) onCallerAbort();
    else opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const signal = stopper.signal;
    const what = `watch ${path}`;
    const run = async (): Promise<void> => {
      let opened: Opened;
      try {
        opened = await this.#open('GET', path + queryString(query), undefined, undefined, { signal }, undefined, 'application/json');
      } catch (err) {
        if (stopped) return;
        throw err;
      }
      const { res, release } = opened;
      release(); // the stream may be idle for long: no timeout once open
      const code = res.statusCode ?? 0;
      if (code < 200 || code >= 300) {
        const buf = await readAll(res, () => undefined, what).catch(() => Buffer.alloc(0));
        throw statusErrorFromResponse(code, buf.toString('utf8'));
      }
      await new Promise<void>((resolve, reject) => {
        const decoder = new NdjsonDecoder();
        let finished = false;
        const finish = (err?: unknown): void => {
          if (finished) return;
          finished = true;
          signal.removeEventListener('abort', onAbort);
          if (err !== undefined) {
            res.destroy();
            reject(err);
          } else {
            resolve();
          }
        };
        const onAbort = (): void => {
          res.destroy();
          if (stopped) finish();
          else finish(new ClientError('ERR_CLIENT_ABORTED', `${what}: aborted`, { cause: signal.reason }));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        if (signal.aborted) {
          onAbort();
          return;
        }
        const deliver = (values: unknown[]): boolean => {
          for (const v of values) {
            if (finished) return false;
            const ev = v as { type?: unknown; object?: unknown };
            if (typeof ev !== 'object' || ev === null || typeof ev.type !== 'string' || typeof ev.object !== 'object' || ev.object === null) {
              finish(new ClientError('ERR_CLIENT_DECODE', `${what}: not a watch event: ${JSON.stringify(v).slice(0, 200)}`));
              return false;
            }
            if (ev.type === 'ERROR') {
              const st = ev.object as Status;
              finish(isStatus(st) ? new StatusError(st) : statusErrorFromResponse(500, JSON.stringify(st)));
              return false;
            }
            if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED' && ev.type !== 'BOOKMARK') continue;
            try {
              onEvent({ type: ev.type, object: ev.object as T });
            } catch (err) {
              finish(err);
              return false;
            }
          }
          return true;
        };
        res.on('data', (chunk: Buffer) => {
          if (finished) return;
          let values: unknown[];
          try {
            values = decoder.push(chunk);
          } catch (err) {
            finish(new ClientError('ERR_CLIENT_DECODE', `${what}: bad event line: ${(err as Error).message}`, { cause: err }));
            return;
          }
          deliver(values);
        });
        res.on('end', () => {
          if (finished) return;
          let values: unknown[];
          try {
            values = decoder.end();
          } catch (err) {
            finish(new ClientError('ERR_CLIENT_DECODE', `${what}: bad event line: ${(err as Error).message}`, { cause: err }));
            return;
          }
          if (deliver(values)) finish();
        });
        res.on('error', (err) => {
          if (stopped) finish();
          else finish(networkError(err, what));
        });
        res.on('close', () => {
          if (finished) return;
          if (stopped) finish();
          else if (res.complete) finish();
          else finish(new ClientError('ERR_CLIENT_NETWORK', `${what}: the stream was cut off`));
        });
      });
    };
    const handle: WatchHandle = {
      stop: () => {
        stopped = true;
        stopper.abort();
      },
      done: run().finally(() => {
        this.#watches.delete(handle);
        opts.signal?.removeEventListener('abort', onCallerAbort);
      }),
    };
    // `done` rejecting with nobody listening must not crash the process; callers still see it.
    handle.done.catch(() => undefined);
    this.#watches.add(handle);
    return handle;
  }
}

function readAll(res: IncomingMessage, failure: () => ClientError | undefined, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', (err) => reject(failure() ?? networkError(err, what)));
    res.on('close', () => {
      if (!res.complete) reject(failure() ?? new ClientError('ERR_CLIENT_NETWORK', `${what}: the response was cut off`));
    });
  });
}

function writeQuery(opts: WriteOptions): Query {
  return {
    dryRun: opts.dryRun === true ? 'All' : undefined,
    fieldManager: opts.fieldManager,
    fieldValidation: opts.fieldValidation,
  };
}

function reqOpts(o: RequestOptions): RequestOptions {
  const out: RequestOptions = {};
  if (o.signal !== undefined) out.signal = o.signal;
  if (o.timeoutMs !== undefined) out.timeoutMs = o.timeoutMs;
  return out;
}

function nameOf(obj: KubeObject, verb: string): string {
  const name = obj.metadata?.name;
  if (name === undefined || name === '') throw new TypeError(`${verb}: metadata.name is required`);
  return name;
}

/** One resource over a Client. */
class RestResource<T extends KubeObject> implements ResourceClient<T> {
  readonly ref: ResourceRef;
  readonly #c: Client;

  constructor(client: Client, ref: ResourceRef) {
    this.#c = client;
    this.ref = ref;
  }

  #path(ns: string | undefined, name?: string, sub?: string): string {
    return resourcePath(this.ref, this.ref.namespaced ? ns : undefined, name, sub);
  }

  get(namespace: string, name: string, opts: RequestOptions = {}): Promise<T> {
    return this.#c.json<T>('GET', this.#path(namespace, name), undefined, reqOpts(opts));
  }

  async list(namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList<T>> {
    const base = this.#path(namespace);
    const q = (limit: number | undefined, cont: string | undefined): Query => ({
      labelSelector: opts.labelSelector || undefined,
      fieldSelector: opts.fieldSelector || undefined,
      limit: limit !== undefined && limit > 0 ? limit : undefined,
      continue: cont || undefined,
      resourceVersion: opts.resourceVersion,
      resourceVersionMatch: opts.resourceVersionMatch,
    });
    const page = (limit: number | undefined, cont: string | undefined) =>
      this.#c.json<KubeList<T>>('GET', base + queryString(q(limit, cont)), undefined, reqOpts(opts));
    if (opts.limit !== undefined && opts.limit > 0) return withTypeMeta(this.ref, await page(opts.limit, opts.continue));
    const size = opts.pageSize !== undefined && opts.pageSize > 0 ? opts.pageSize : undefined;
    const first = await page(size, opts.continue);
    const items = Array.isArray(first.items) ? [...first.items] : [];
    let cont = first.metadata?.continue;
    while (cont !== undefined && cont !== '') {
      let next: KubeList<T>;
      try {
        next = await page(size, cont);
      } catch (err) {
        // The token expired mid-way (compaction): start over in one request, as client-go's pager.
        if (isGone(err) && size !== undefined) return this.list(namespace, { ...opts, pageSize: 0 });
        throw err;
      }
      if (Array.isArray(next.items)) items.push(...next.items);
      cont = next.metadata?.continue;
    }
    const meta = { ...(first.metadata ?? {}) };
    delete meta.continue;
    delete meta.remainingItemCount;
    return withTypeMeta(this.ref, { ...first, metadata: meta, items });
  }

  create(namespace: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#c.json<T>('POST', this.#path(namespace) + queryString(writeQuery(opts)), obj, reqOpts(opts));
  }

  update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#c.json<T>('PUT', this.#path(obj.metadata.namespace, nameOf(obj, 'update')) + queryString(writeQuery(opts)), obj, reqOpts(opts));
  }

  updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#c.json<T>('PUT', this.#path(obj.metadata.namespace, nameOf(obj, 'updateStatus'), 'status') + queryString(writeQuery(opts)), obj, reqOpts(opts));
  }

  patch(namespace: string, name: string, patch: unknown, type: PatchType, opts: WriteOptions = {}): Promise<T> {
    return this.#c.json<T>('PATCH', this.#path(namespace, name) + queryString(writeQuery(opts)), patch, { ...reqOpts(opts), contentType: patchContentTypes[type] });
  }

  patchStatus(namespace: string, name: string, patch: unknown, type: PatchType, opts: WriteOptions = {}): Promise<T> {
    return this.#c.json<T>('PATCH', this.#path(namespace, name, 'status') + queryString(writeQuery(opts)), patch, { ...reqOpts(opts), contentType: patchContentTypes[type] });
  }

  delete(namespace: string, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.#c.json<T | Status>('DELETE', this.#path(namespace, name) + queryString({ dryRun: opts.dryRun === true ? 'All' : undefined }), deleteBody(opts), reqOpts(opts));
  }

  deleteCollection(namespace: string | undefined, opts: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {}): Promise<KubeList<T> | Status> {
    const q: Query = {
      labelSelector: opts.labelSelector || undefined,
      fieldSelector: opts.fieldSelector || undefined,
      dryRun: opts.dryRun === true ? 'All' : undefined,
    };
    return this.#c.json<KubeList<T> | Status>('DELETE', this.#path(namespace) + queryString(q), deleteBody(opts), reqOpts(opts));
  }

  watch(namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void): WatchHandle {
    const q: Query = {
      watch: 'true',
      resourceVersion: opts.resourceVersion || undefined,
      labelSelector: opts.labelSelector || undefined,
      fieldSelector: opts.fieldSelector || undefined,
      allowWatchBookmarks: opts.allowWatchBookmarks === true ? 'true' : undefined,
      timeoutSeconds: opts.timeoutSeconds,
      sendInitialEvents: opts.sendInitialEvents === true ? 'true' : undefined,
    };
    return this.#c.watchPath<T>(this.#path(namespace), q, opts.signal === undefined ? {} : { signal: opts.signal }, onEvent);
  }
}

function deleteBody(opts: DeleteOptions): Record<string, unknown> | undefined {
  const b: Record<string, unknown> = {};
  if (opts.propagationPolicy !== undefined) b['propagationPolicy'] = opts.propagationPolicy;
  if (opts.gracePeriodSeconds !== undefined) b['gracePeriodSeconds'] = opts.gracePeriodSeconds;
  if (opts.preconditions !== undefined) b['preconditions'] = opts.preconditions;
  if (Object.keys(b).length === 0) return undefined;
  return { kind: 'DeleteOptions', apiVersion: 'v1', ...b };
}
