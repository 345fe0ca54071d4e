// The Kubernetes REST front end: authentication, discovery, OpenAPI, CRUD, patch, watch and the
// status/scale subresources for every registered resource, over one revisioned Store.
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  StatusError, badRequest, forbidden, internalError, isStatusError, methodNotSupported, notFound, notFoundPath,
  unauthorized, conflict, invalid, type Status,
} from '../machinery/status.ts';
import { resourceOf } from './bootstrap.ts';
import { admitServiceAccount } from './serviceaccount/admission.ts';
import { checkToken, claimsFor, defaultAudiences, defaultIssuer, signToken, tokenSpec } from './serviceaccount/token.ts';
import type { Store, Watch } from './storage/types.ts';
import { Registry, generateName, resourcePrefix, nowRFC3339, type ApiWatchEvent, type Filter } from './registry.ts';
import type { Strategy } from './strategy.ts';
import { parseApiPath, parseListQuery, parseResourceVersion, negotiate, type ListQuery } from './request.ts';
import { readBody, decodeObjectBody, mediaType, parseJson } from './body.ts';
import { WatchWriter, defaultWatchTimeoutMs } from './watch.ts';
import type { KubeObject, Pod } from '../api/types.ts';
import {
  builtinResources, resourceInfoFromCRD, type ResourceInfo,
  coreVersions, groupList, apiGroup, resourceList, aggregatedDiscovery, AGGREGATED_DISCOVERY_CONTENT_TYPE,
  openapiV3Index, openapiV3Document,
  tableFor, defaultObject, validateObjectMeta, hasSubresource, parseIncludeObject, convertFieldSelector, fieldMatcher,
} from '../api/index.ts';
import { applyPatch } from '../api/patch/index.ts';
import { parseSelector } from '../machinery/labels.ts';
import { parseFieldSelector } from '../machinery/fields.ts';
import { unknownFieldPaths, unknownFieldPathsForSchema } from '../api/schema/index.ts';

/** What `/version` reports: minor 32, so the kubectl dispatcher on these machines runs kubectl 1.32. */
export const versionInfo = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4+switchboard',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-21T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;

/** Serves `pods/log` and `pods/exec`; the node agent plugs these in. */
export interface PodIO {
  logs(pod: KubeObject, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void>;
  exec(pod: KubeObject, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void>;
  portForward?(pod: KubeObject, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void>;
  attach?(pod: KubeObject, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface ApiServerOptions {
  store: Store;
  token: string;
  tls: { cert: string; key: string };
  host?: string;
  port?: number;
  /** Extra strategies by `group/plural` (Service allocation and validation plug in here). */
  strategies?: Map<string, Strategy>;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  podIO?: PodIO;
  /** Objects created with each new namespace (see bootstrap.ts namespaceDefaults). */
  namespaceDefaults?: (namespace: string) => KubeObject[];
  /** Signs and checks ServiceAccount tokens (TokenRequest); without it only the static token works. */
  serviceAccountKey?: { key: KeyObject; pub: KeyObject; kid: string };
  /** Compact history older than this interval (ms); 0 disables. Default 5 minutes, as kube-apiserver. */
  compactionIntervalMs?: number;
}

const grKey = (group: string, plural: string) => `${group}/${plural}`;
const gvrKey = (group: string, version: string, plural: string) => `${group}/${version}/${plural}`;

function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), 'Cache-Control': 'no-cache, private', ...headers });
  res.end(data);
}

function sendStatus(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (err.status.code === 401) headers['WWW-Authenticate'] = 'Bearer realm="switchboard"';
  sendJson(res, err.status.code, err.status, headers);
}

function successStatus(details: Record<string, unknown>): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

const protectedNamespaces = new Set(['default', 'kube-system', 'kube-public']);

/** The HTTPS API server. */
export class ApiServer {
  readonly store: Store;
  private readonly opts: ApiServerOptions;
  private readonly registries = new Map<string, Registry>();
  private readonly byGR = new Map<string, Registry>();
  private readonly crdResources = new Map<string, ResourceInfo[]>();
  /** openAPIV3Schema of each served custom resource version, by group/version/plural. */
  private readonly crdSchemas = new Map<string, unknown>();
  private server: Server | undefined;
  private extraServers: Server[] = [];
  private readonly openWatches = new Set<WatchWriter>();
  private crdWatch: Watch | undefined;
  private compactTimer: NodeJS.Timeout | undefined;
  private ready = false;
  private readonly strategies: Map<string, Strategy>;
  private readonly tokenBuf: Buffer;

  constructor(opts: ApiServerOptions) {
    this.opts = opts;
    this.store = opts.store;
    this.strategies = opts.strategies ?? new Map();
    this.tokenBuf = Buffer.from(opts.token);
    for (const info of builtinResources) this.register(info);
  }

  private log(level: 'info' | 'warn' | 'error', msg: string): void {
    this.opts.log?.(level, msg);
  }

  private register(info: ResourceInfo): void {
    const base = this.strategies.get(grKey(info.group, info.plural)) ?? builtinStrategies.get(grKey(info.group, info.plural)) ?? {};
    const reg = new Registry(this.store, info, withMetaValidation(info, base));
    this.registries.set(gvrKey(info.group, info.version, info.plural), reg);
    if (!this.byGR.has(grKey(info.group, info.plural)) || info.storageVersion === true) this.byGR.set(grKey(info.group, info.plural), reg);
  }

  private unregister(info: ResourceInfo): void {
    this.registries.delete(gvrKey(info.group, info.version, info.plural));
    const cur = this.byGR.get(grKey(info.group, info.plural));
    if (cur?.info === info) this.byGR.delete(grKey(info.group, info.plural));
  }

  /** Every resource served now (built-in and from CRDs). */
  resources(): ResourceInfo[] {
    return [...this.registries.values()].map((r) => r.info);
  }

  /** The registry of a resource, for in-process components (bootstrap, namespace finalizer). */
  registry(group: string, plural: string): Registry | undefined {
    return this.byGR.get(grKey(group, plural));
  }

  /** Loads CRDs, starts watching them, and listens. Resolves with the bound port. */
  async start(): Promise<number> {
    const crds = this.registry('apiextensions.k8s.io', 'customresourcedefinitions');
    if (crds !== undefined) {
      const snap = await crds.snapshot(undefined, {});
      for (const crd of snap.items) this.applyCRD(crd);
      this.crdWatch = await crds.watch(undefined, snap.revision, {}, (ev) => {
        if (ev.type === 'DELETED') this.removeCRD(ev.object);
        else this.applyCRD(ev.object);
      }, (err) => this.log('error', `CRD watch ended: ${err.message}`));
    }
    const interval = this.opts.compactionIntervalMs ?? 5 * 60 * 1000;
    if (interval > 0) this.startCompaction(interval);
    const server = this.makeServer();
    this.server = server;
    const port = await listenOn(server, this.opts.host ?? '127.0.0.1', this.opts.port ?? 6443);
    this.ready = true;
    return port;
  }

  private makeServer(): Server {
    const server = createHttpsServer({ cert: this.opts.tls.cert, key: this.opts.tls.key, ALPNProtocols: ['http/1.1'] }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log('error', `unhandled: ${String(err)}`);
        if (!res.headersSent) sendStatus(res, internalError(err));
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0;
    return server;
  }

  /**
   * Serves the same API on one more address (as kube-apiserver's advertise address): the node
   * bridge's gateway, where Pods reach it through the `kubernetes` Service. Resolves with the port.
   */
  async listenAlso(host: string, port: number): Promise<number> {
    const server = this.makeServer();
    this.extraServers.push(server);
    return listenOn(server, host, port);
  }

  private startCompaction(interval: number): void {
    // As kube-apiserver: each tick compacts to the revision seen one interval earlier, so clients
    // always have at least one interval of history to resume watches from.
    let previous = 0;
    this.compactTimer = setInterval(() => {
      void (async () => {
        try {
          const cur = await this.store.currentRevision();
          if (previous > 0) await this.store.compact(previous);
          previous = cur;
        } catch (err) {
          this.log('warn', `compaction failed: ${String(err)}`);
        }
      })();
    }, interval);
    this.compactTimer.unref();
  }

  async stop(): Promise<void> {
    this.ready = false;
    if (this.compactTimer !== undefined) clearInterval(this.compactTimer);
    this.crdWatch?.cancel();
    for (const w of this.openWatches) w.end();
    for (const server of [...(this.server !== undefined ? [this.server] : []), ...this.extraServers]) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    this.extraServers = [];
  }

  private applyCRD(crd: KubeObject): void {
    const name = crd.metadata.name ?? '';
    for (const old of this.crdResources.get(name) ?? []) this.unregister(old);
    const infos = resourceInfoFromCRD(crd);
    for (const info of infos) this.register(info);
    this.crdResources.set(name, infos);
    const versions = ((crd['spec'] as { versions?: Array<{ name?: string; schema?: { openAPIV3Schema?: unknown } }> } | undefined)?.versions) ?? [];
    for (const info of infos) {
      const v = versions.find((x) => x.name === info.version);
      if (v?.schema?.openAPIV3Schema !== undefined) this.crdSchemas.set(gvrKey(info.group, info.version, info.plural), v.schema.openAPIV3Schema);
    }
  }

  /** Fields of `obj` that its type does not have (built-in types, or a CRD's schema). */
  private unknownFields(info: ResourceInfo, obj: unknown): string[] {
    const schema = this.crdSchemas.get(gvrKey(info.group, info.version, info.plural));
    if (schema !== undefined) return unknownFieldPathsForSchema(schema, obj);
    return unknownFieldPaths(info, obj);
  }

  private removeCRD(crd: KubeObject): void {
    const name = crd.metadata.name ?? '';
    const removed = this.crdResources.get(name) ?? [];
    for (const old of removed) {
      this.unregister(old);
      this.crdSchemas.delete(gvrKey(old.group, old.version, old.plural));
    }
    this.crdResources.delete(name);
    // As upstream's customresourcecleanup finalizer: the custom resources go with their CRD, so a
    // re-created CRD starts empty. All versions share one storage prefix.
    const first = removed[0];
    if (first !== undefined) void this.deleteAllUnder(resourcePrefix(first));
  }

  private async deleteAllUnder(prefix: string): Promise<void> {
    try {
      const l = await this.store.list(prefix);
      for (const kv of l.items) {
        try {
          await this.store.delete(kv.key);
        } catch {
          // already gone
        }
      }
    } catch (err) {
      this.log('warn', `removing custom resources under ${prefix}: ${String(err)}`);
    }
  }

  private async authenticated(req: IncomingMessage): Promise<boolean> {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (m === null || m[1] === undefined) return false;
    const raw = m[1].trim();
    const got = Buffer.from(raw);
    if (got.length === this.tokenBuf.length && timingSafeEqual(got, this.tokenBuf)) return true;
    return this.validServiceAccountToken(raw);
  }

  /**
   * A ServiceAccount token: signed by our key, unexpired, for our audience, and its ServiceAccount
   * (and bound Pod) still exist with the uids it names — deleting either revokes it, as upstream.
   */
  private async validServiceAccountToken(raw: string): Promise<boolean> {
    const sa = this.opts.serviceAccountKey;
    if (sa === undefined) return false;
    const c = checkToken(sa.pub, raw, { issuer: defaultIssuer, audiences: defaultAudiences, nowSeconds: Math.floor(Date.now() / 1000) });
    if (c === undefined) return false;
    const k = c['kubernetes.io'];
    const same = async (plural: string, name: string, uid: string): Promise<boolean> => {
      try {
        const o = await this.lookup('', 'v1', plural).get(k.namespace, name);
        return o.metadata.uid === uid;
      } catch {
        return false;
      }
    };
    if (!(await same('serviceaccounts', k.serviceaccount.name, k.serviceaccount.uid))) return false;
    return k.pod === undefined || same('pods', k.pod.name, k.pod.uid);
  }

  /** ServiceAccount admission (see serviceaccount/admission.ts): the Pod's token volume. */
  private async admitPodServiceAccount(ns: string, obj: KubeObject): Promise<void> {
    const pod = obj as Pod;
    const name = pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
    let sa: KubeObject | undefined;
    try {
      sa = await this.lookup('', 'v1', 'serviceaccounts').get(ns, name);
    } catch {
      // Upstream refuses the Pod; here it runs without a token volume (namespaces made before
      // Switchboard created ServiceAccounts have none).
      sa = undefined;
    }
    admitServiceAccount(pod, sa as { automountServiceAccountToken?: boolean } | undefined, generateName('').slice(0, 5));
  }

  /**
   * The objects a new namespace gets (`default` ServiceAccount, `kube-root-ca.crt`). Made here, with
   * the namespace, rather than by controllers: nothing else in Switchboard needs those controllers.
   */
  private async createNamespaceDefaults(namespace: string): Promise<void> {
    for (const obj of this.opts.namespaceDefaults?.(namespace) ?? []) {
      const { plural } = resourceOf(obj);
      try {
        await this.lookup('', 'v1', plural).create(namespace, obj, { dryRun: false });
      } catch (err) {
        if (!(isStatusError(err) && err.status.reason === 'AlreadyExists')) this.log('warn', `namespace ${namespace}: creating ${obj.kind} ${obj.metadata.name ?? ''}: ${String(err)}`);
      }
    }
  }

  /** POST serviceaccounts/NAME/token (TokenRequest): a signed token for the ServiceAccount. */
  private async createToken(req: IncomingMessage, res: ServerResponse, reg: Registry, ns: string, name: string): Promise<void> {
    const key = this.opts.serviceAccountKey;
    if (key === undefined) throw notFoundPath();
    const body = await readBody(req);
    const tr = decodeObjectBody(body, req.headers['content-type'], { kind: 'TokenRequest', version: 'v1' }).value as KubeObject & { spec?: unknown };
    const sa = await reg.get(ns, name);
    const { spec, errors } = tokenSpec(tr.spec);
    if (errors.length > 0) throw invalid('TokenRequest', 'authentication.k8s.io', name, errors);
    if (spec.boundPod !== undefined) {
      const pod = await this.lookup('', 'v1', 'pods').get(ns, spec.boundPod.name);
      if (spec.boundPod.uid !== '' && pod.metadata.uid !== spec.boundPod.uid) throw conflict({ group: '', resource: 'pods' }, spec.boundPod.name, `the UID in the bound object reference (${spec.boundPod.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      spec.boundPod.uid = pod.metadata.uid ?? '';
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = claimsFor({ namespace: ns, name, uid: sa.metadata.uid ?? '' }, spec, now, randomUUID());
    sendJson(res, 201, {
      kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace: ns, creationTimestamp: null },
      spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: spec.boundPod === undefined ? null : { kind: 'Pod', apiVersion: 'v1', ...spec.boundPod } },
      status: { token: signToken(key.key, claims, key.kid), expirationTimestamp: new Date(claims.exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    });
  }

  /** Handles one HTTP request; every failure becomes a Status response. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://apiserver');
      const path = parseApiPath(url.pathname);
      if (path.type === 'version') return sendJson(res, 200, versionInfo);
      if (path.type === 'health') {
        const ok = path.check !== 'readyz' || this.ready;
        res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(ok ? 'ok' : '[-]apiserver not ready\nreadyz check failed');
        return;
      }
      if (!(await this.authenticated(req))) throw unauthorized();
      const neg = negotiate(req.headers.accept);
      switch (path.type) {
        case 'core-root':
          if (neg.aggregatedDiscovery) return sendJson(res, 200, aggregatedDiscovery(this.resources(), 'core'), { 'Content-Type': AGGREGATED_DISCOVERY_CONTENT_TYPE });
          return sendJson(res, 200, coreVersions(req.socket.localAddress ?? '127.0.0.1', req.socket.localPort ?? 6443));
        case 'groups-root':
          if (neg.aggregatedDiscovery) return sendJson(res, 200, aggregatedDiscovery(this.resources(), 'groups'), { 'Content-Type': AGGREGATED_DISCOVERY_CONTENT_TYPE });
          return sendJson(res, 200, groupList(this.resources()));
        case 'group': {
          const g = apiGroup(this.resources(), path.group);
          if (g === undefined) throw notFoundPath();
          return sendJson(res, 200, g);
        }
        case 'group-version': {
          const l = resourceList(this.resources(), path.group, path.version);
          if (l === undefined) throw notFoundPath();
          return sendJson(res, 200, l);
        }
        case 'openapi-v3-index':
          return sendJson(res, 200, openapiV3Index(this.resources()));
        case 'openapi-v3': {
          const doc = openapiV3Document(this.resources(), path.path);
          if (doc === undefined) throw notFoundPath();
          return sendJson(res, 200, doc, { 'Cache-Control': 'public, immutable' });
        }
        case 'openapi-v2':
        case 'metrics':
        case 'unknown':
          throw notFoundPath();
        case 'resource':
          return await this.handleResource(req, res, url, path, neg.table);
      }
    } catch (err) {
      if (isStatusError(err)) return sendStatus(res, err);
      this.log('error', `${req.method ?? ''} ${req.url ?? ''}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      sendStatus(res, internalError(err));
    }
  }

  private lookup(group: string, version: string, resource: string): Registry {
    const reg = this.registries.get(gvrKey(group, version, resource));
    if (reg === undefined) throw notFoundPath();
    return reg;
  }

  private async handleResource(
    req: IncomingMessage, res: ServerResponse, url: URL,
    p: { group: string; version: string; namespace: string; resource: string; name: string; subresource: string; legacyWatch: boolean },
    asTable: boolean,
  ): Promise<void> {
    const reg = this.lookup(p.group, p.version, p.resource);
    const info = reg.info;
    if (!info.namespaced && p.namespace !== '') throw notFoundPath();
    if (info.namespaced && p.namespace === '' && p.name !== '') throw notFoundPath();
    if (p.subresource !== '' && !hasSubresource(info, p.subresource) && !(p.resource === 'namespaces' && p.subresource === 'finalize')) {
      throw notFoundPath();
    }
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const dryRun = q.getAll('dryRun').includes('All');
    const includeObject = parseIncludeObject(q.get('includeObject'));

    if (p.subresource === 'log' || p.subresource === 'exec' || p.subresource === 'attach' || p.subresource === 'portforward') {
      const pod = await reg.get(p.namespace, p.name);
      const io = this.opts.podIO;
      const nodeName = (pod['spec'] as { nodeName?: string } | undefined)?.nodeName ?? '';
      if (io === undefined || nodeName === '') throw badRequest(`pod ${p.name} does not have a host assigned`);
      if (p.subresource === 'log' && method === 'GET') return io.logs(pod, q, req, res);
      if (p.subresource === 'exec' && (method === 'GET' || method === 'POST')) return io.exec(pod, q, req, res);
      if (p.subresource === 'portforward' && (method === 'GET' || method === 'POST') && io.portForward !== undefined) return io.portForward(pod, q, req, res);
      if (p.subresource === 'attach' && (method === 'GET' || method === 'POST') && io.attach !== undefined) return io.attach(pod, q, req, res);
      throw methodNotSupported(reg.gr, method.toLowerCase());
    }

    switch (method) {
      case 'GET': {
        if (p.name === '') {
          const lq = parseListQuery(q, p.legacyWatch);
          const filter = this.filterFor(info, lq, p.namespace);
          if (lq.watch) return this.serveWatch(req, res, reg, p.namespace, lq, filter, asTable);
          const rv = parseResourceVersion(lq.resourceVersion);
          const list = await reg.list(p.namespace === '' ? undefined : p.namespace, {
            filter,
            limit: lq.limit,
            continueToken: lq.continueToken,
            ...(lq.resourceVersionMatch === 'Exact' && rv > 0 ? { revision: rv } : {}),
          });
          if (asTable) {
            const table = tableFor(info, list.items, new Date(), { includeObject });
            table.metadata = { resourceVersion: list.resourceVersion, ...(list.continueToken !== undefined ? { continue: list.continueToken } : {}) };
            return sendJson(res, 200, table);
          }
          return sendJson(res, 200, {
            kind: info.listKind,
            apiVersion: apiVersionOf(info),
            metadata: { resourceVersion: list.resourceVersion, ...(list.continueToken !== undefined ? { continue: list.continueToken } : {}) },
            items: list.items,
          });
        }
        const obj = await reg.get(p.namespace, p.name);
        if (p.subresource === 'scale') return sendJson(res, 200, toScale(obj));
        if (asTable && p.subresource === '') {
          const table = tableFor(info, [obj], new Date(), { includeObject });
          table.metadata = { resourceVersion: obj.metadata.resourceVersion ?? '' };
          return sendJson(res, 200, table);
        }
        return sendJson(res, 200, obj);
      }
      case 'POST': {
        if (p.name !== '') {
          if (p.resource === 'pods' && p.subresource === 'binding') return this.bindPod(req, res, reg, p.namespace, p.name);
          if (p.resource === 'serviceaccounts' && p.subresource === 'token') return this.createToken(req, res, reg, p.namespace, p.name);
          throw methodNotSupported(reg.gr, 'create');
        }
        const body = await readBody(req);
        const obj = this.decodeForWrite(body, req, info, q, res);
        const ns = this.namespaceFor(info, p.namespace, obj);
        await this.admitNamespace(info, ns);
        if (p.resource === 'pods' && p.group === '' && this.opts.serviceAccountKey !== undefined) await this.admitPodServiceAccount(ns, obj);
        const created = await reg.create(ns, defaultObject(info, obj), { dryRun });
        if (p.resource === 'namespaces' && p.group === '' && !dryRun) await this.createNamespaceDefaults(created.metadata.name ?? '');
        return sendJson(res, 201, created, this.warningHeaders(res));
      }
      case 'PUT': {
        if (p.name === '') throw methodNotSupported(reg.gr, 'update');
        const body = await readBody(req);
        if (p.subresource === 'scale') return this.putScale(req, res, reg, p.namespace, p.name, body, dryRun);
        const obj = this.decodeForWrite(body, req, info, q, res);
        const ns = this.namespaceFor(info, p.namespace, obj);
        if (obj.metadata.name !== undefined && obj.metadata.name !== p.name) {
          throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${p.name})`);
        }
        obj.metadata.name = p.name;
        if (p.resource === 'namespaces' && p.subresource === 'finalize') {
          return sendJson(res, 200, await this.finalizeNamespace(reg, obj, dryRun));
        }
        const sub = p.subresource === '' ? {} : { subresource: p.subresource };
        const result = await reg.update(ns, p.name, p.subresource === '' ? defaultObject(info, obj, { operation: 'update' }) : obj, { dryRun, ...sub });
        return sendJson(res, result.created ? 201 : 200, result.object, this.warningHeaders(res));
      }
      case 'PATCH': {
        if (p.name === '') throw methodNotSupported(reg.gr, 'patch');
        const body = await readBody(req);
        return this.patch(req, res, reg, p.namespace, p.name, p.subresource, body, dryRun, q);
      }
      case 'DELETE': {
        const body = await readBody(req);
        const opts = parseDeleteOptions(body, q);
        if (p.name === '') return this.deleteCollection(res, reg, p.namespace, q, { ...opts, dryRun });
        if (p.resource === 'namespaces' && protectedNamespaces.has(p.name)) {
          throw forbidden(reg.gr, p.name, 'this namespace may not be deleted');
        }
        const out = await reg.delete(p.namespace, p.name, { ...opts, dryRun });
        if (p.resource === 'namespaces' && !out.deleted) this.kickNamespaceFinalizer();
        return sendJson(res, 200, out.object);
      }
      default:
        throw methodNotSupported(reg.gr, method.toLowerCase());
    }
  }

  private pendingWarnings = new WeakMap<ServerResponse, string[]>();

  private warningHeaders(res: ServerResponse): Record<string, string> {
    const w = this.pendingWarnings.get(res);
    if (w === undefined || w.length === 0) return {};
    // Several warnings go in one header value, comma-separated, as RFC 7234 allows.
    return { Warning: w.map((t) => `299 - ${JSON.stringify(t)}`).join(', ') };
  }

  /** Decodes a create/update body, fills apiVersion/kind, checks them, and applies fieldValidation. */
  private decodeForWrite(body: Buffer, req: IncomingMessage, info: ResourceInfo, q: URLSearchParams, res: ServerResponse): KubeObject {
    const what = { kind: info.kind, version: info.version };
    const decoded = decodeObjectBody(body, req.headers['content-type'], what);
    const v = decoded.value;
    const prefix = `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}`;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`${prefix}: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type struct`);
    const obj = v as KubeObject;
    const apiVersion = apiVersionOf(info);
    if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== info.kind) {
      throw badRequest(`${prefix}: the kind in the data (${obj.kind}) does not match the expected kind (${info.kind})`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
    }
    obj.apiVersion = apiVersion;
    obj.kind = info.kind;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw badRequest(`${prefix}: json: cannot unmarshal into Go struct field ${info.kind}.metadata of type v1.ObjectMeta`);
    const mode = (q.get('fieldValidation') ?? 'Warn').toLowerCase();
    if (mode !== 'ignore') {
      // Protobuf bodies are not checked field by field upstream either; their unknown wire fields are dropped.
      const unknown = decoded.unknownFields.length > 0 ? [] : this.unknownFields(info, obj);
      if (unknown.length > 0) {
        if (mode === 'strict') {
          const msgs = unknown.map((f) => `unknown field ${JSON.stringify(f)}`);
          throw badRequest(`${prefix}: strict decoding error: ${msgs.join(', ')}`);
        }
        this.pendingWarnings.set(res, unknown.map((f) => `unknown field ${JSON.stringify(f)}`));
      }
    }
    return obj;
  }

  private namespaceFor(info: ResourceInfo, urlNs: string, obj: KubeObject): string {
    if (!info.namespaced) return '';
    const bodyNs = obj.metadata.namespace;
    if (bodyNs !== undefined && bodyNs !== '' && bodyNs !== urlNs) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (urlNs === '') throw notFoundPath();
    return urlNs;
  }

  /** NamespaceLifecycle admission: the namespace must exist and not be terminating. */
  private async admitNamespace(info: ResourceInfo, ns: string): Promise<void> {
    if (!info.namespaced) return;
    const nsReg = this.registry('', 'namespaces');
    if (nsReg === undefined) return;
    const nsObj = await nsReg.tryGet('', ns);
    if (nsObj === undefined) throw notFound({ group: '', resource: 'namespaces' }, ns);
    if (nsObj.metadata.deletionTimestamp !== undefined && info.plural !== 'events') {
      throw forbidden({ group: info.group, resource: info.plural }, '', `unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  private filterFor(info: ResourceInfo, lq: ListQuery, namespace: string): Filter {
    const filter: Filter = {};
    if (lq.labelSelector !== '') {
      const sel = parseSelector(lq.labelSelector);
      filter.label = (labels) => sel.matches(labels);
    }
    if (lq.fieldSelector !== '') {
      const sel = convertFieldSelector(info, parseFieldSelector(lq.fieldSelector));
      filter.field = fieldMatcher(info, sel);
    }
    void namespace;
    return filter;
  }

  private async serveWatch(req: IncomingMessage, res: ServerResponse, reg: Registry, namespace: string, lq: ListQuery, filter: Filter, asTable: boolean): Promise<void> {
    const info = reg.info;
    const ns = namespace === '' ? undefined : namespace;
    let rv = parseResourceVersion(lq.resourceVersion);
    let initial: KubeObject[] = [];
    // rv unset or 0: replay the current state as ADDED, then changes (kubectl get -w relies on it).
    if (rv === 0 || lq.sendInitialEvents) {
      const snap = await reg.snapshot(ns, filter);
      initial = snap.items;
      rv = snap.revision;
    }
    const w = new WatchWriter(res);
    this.openWatches.add(w);
    w.whenClosed(() => this.openWatches.delete(w));
    let first = true;
    const emit = (type: ApiWatchEvent['type'], object: KubeObject) => {
      if (asTable) {
        const t = tableFor(info, [object], new Date(), { includeObject: 'Metadata' });
        if (!first) delete (t as { columnDefinitions?: unknown }).columnDefinitions;
        t.metadata = { resourceVersion: object.metadata.resourceVersion ?? '' };
        first = false;
        w.write(type, t as unknown as Record<string, unknown>);
      } else {
        w.write(type, object);
      }
    };
    let lastRV = rv;
    for (const o of initial) emit('ADDED', o);
    const bookmark = (annotations?: Record<string, string>) => {
      w.write('BOOKMARK', { kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(lastRV), ...(annotations ? { annotations } : {}) } });
    };
    if (lq.sendInitialEvents && lq.allowWatchBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    let watch: Watch;
    try {
      watch = await reg.watch(ns, rv, filter, (ev) => {
        lastRV = Number(ev.object.metadata.resourceVersion ?? lastRV);
        emit(ev.type, ev.object);
      }, (err) => {
        w.write('ERROR', err.status);
        w.end();
      });
    } catch (err) {
      const st = isStatusError(err) ? err.status : internalError(err).status;
      w.write('ERROR', st);
      w.end();
      return;
    }
    w.whenClosed(() => watch.cancel());
    const timeoutMs = lq.timeoutSeconds > 0 ? lq.timeoutSeconds * 1000 : defaultWatchTimeoutMs();
    const timer = setTimeout(() => w.end(), timeoutMs);
    w.whenClosed(() => clearTimeout(timer));
    if (lq.allowWatchBookmarks) {
      const bm = setInterval(() => bookmark(), 60_000);
      w.whenClosed(() => clearInterval(bm));
    }
    req.on('close', () => w.end());
  }

  private async patch(req: IncomingMessage, res: ServerResponse, reg: Registry, ns: string, name: string, subresource: string, body: Buffer, dryRun: boolean, q: URLSearchParams): Promise<void> {
    const info = reg.info;
    const ct = mediaType(req.headers['content-type']);
    const patchBody = parseJson(body, `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}`);
    if (subresource === 'scale') {
      const out = await reg.guaranteedUpdate(ns, name, (cur) => {
        const scale = toScale(cur);
        const patched = applyPatch(ct, scale, patchBody, 'autoscaling/v1', 'Scale');
        return withReplicas(cur, patched);
      }, { dryRun });
      return sendJson(res, 200, toScale(out));
    }
    const mode = (q.get('fieldValidation') ?? 'Warn').toLowerCase();
    const out = await reg.guaranteedUpdate(ns, name, (cur) => {
      const patched = applyPatch(ct, cur, patchBody, apiVersionOf(info), info.kind) as KubeObject;
      if (patched.metadata?.resourceVersion !== undefined && patched.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        throw conflict(reg.gr, name);
      }
      if (mode !== 'ignore') {
        const unknown = this.unknownFields(info, patched);
        if (unknown.length > 0) {
          if (mode === 'strict') {
            throw badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`);
          }
          this.pendingWarnings.set(res, unknown.map((f) => `unknown field ${JSON.stringify(f)}`));
        }
      }
      return subresource === '' ? defaultObject(info, patched, { operation: 'update' }) : patched;
    }, { dryRun, ...(subresource !== '' ? { subresource } : {}) });
    return sendJson(res, 200, out, this.warningHeaders(res));
  }

  private async putScale(req: IncomingMessage, res: ServerResponse, reg: Registry, ns: string, name: string, body: Buffer, dryRun: boolean): Promise<void> {
    const scale = decodeObjectBody(body, req.headers['content-type'], { kind: 'Scale', version: 'v1' }).value as KubeObject;
    const want = scale.metadata?.resourceVersion;
    const out = await reg.guaranteedUpdate(ns, name, (cur) => {
      if (want !== undefined && want !== '' && want !== cur.metadata.resourceVersion) throw conflict(reg.gr, name);
      return withReplicas(cur, scale);
    }, { dryRun });
    sendJson(res, 200, toScale(out));
  }

  private async bindPod(req: IncomingMessage, res: ServerResponse, reg: Registry, ns: string, name: string): Promise<void> {
    const body = await readBody(req);
    const binding = decodeObjectBody(body, req.headers['content-type'], { kind: 'Binding', version: 'v1' }).value as { target?: { name?: string } };
    const node = binding.target?.name ?? '';
    if (node === '') throw badRequest('Binding "' + name + '" is invalid: target.name: Required value');
    await reg.guaranteedUpdate(ns, name, (pod) => {
      const spec = (pod['spec'] ?? {}) as { nodeName?: string };
      if (spec.nodeName !== undefined && spec.nodeName !== '') {
        throw conflict(reg.gr, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      }
      pod['spec'] = { ...spec, nodeName: node };
      const status = (pod['status'] ?? {}) as { conditions?: Array<{ type?: string }> };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowRFC3339() } as { type: string });
      pod['status'] = { ...status, conditions };
      return pod;
    }, { subresource: 'binding' });
    sendJson(res, 201, successStatus({}));
  }

  private async deleteCollection(res: ServerResponse, reg: Registry, namespace: string, q: URLSearchParams, opts: Parameters<Registry['delete']>[2]): Promise<void> {
    const lq = parseListQuery(q, false);
    const filter = this.filterFor(reg.info, lq, namespace);
    const list = await reg.list(namespace === '' ? undefined : namespace, { filter });
    const items: KubeObject[] = [];
    for (const o of list.items) {
      try {
        const out = await reg.delete(o.metadata.namespace ?? '', o.metadata.name ?? '', opts);
        items.push(out.object);
      } catch (err) {
        if (isStatusError(err) && err.reason === 'NotFound') continue;
        throw err;
      }
    }
    sendJson(res, 200, { kind: reg.info.listKind, apiVersion: apiVersionOf(reg.info), metadata: {}, items });
  }

  // ---- namespace deletion (the namespace controller's job, done in-process) ----

  private finalizerRunning = false;
  private finalizerAgain = false;

  private async finalizeNamespace(reg: Registry, obj: KubeObject, dryRun: boolean): Promise<KubeObject> {
    const name = obj.metadata.name ?? '';
    const finalizers = ((obj['spec'] as { finalizers?: string[] } | undefined)?.finalizers) ?? [];
    return reg.guaranteedUpdate('', name, (cur) => {
      cur['spec'] = { ...((cur['spec'] as Record<string, unknown> | undefined) ?? {}), finalizers };
      return cur;
    }, { dryRun, subresource: 'finalize' as string }).then(async (out) => {
      if (out.metadata.deletionTimestamp !== undefined && finalizers.length === 0 && (out.metadata.finalizers ?? []).length === 0) {
        try {
          return (await reg.delete('', name, {})).object;
        } catch (err) {
          if (isStatusError(err) && err.reason === 'NotFound') return out;
          throw err;
        }
      }
      return out;
    });
  }

  /** Empties terminating namespaces, then removes them. Safe to call often. */
  kickNamespaceFinalizer(): void {
    if (this.finalizerRunning) {
      this.finalizerAgain = true;
      return;
    }
    this.finalizerRunning = true;
    void (async () => {
      try {
        do {
          this.finalizerAgain = false;
          await this.drainTerminatingNamespaces();
        } while (this.finalizerAgain);
      } catch (err) {
        this.log('warn', `namespace finalizer: ${String(err)}`);
        setTimeout(() => this.kickNamespaceFinalizer(), 1000).unref();
      } finally {
        this.finalizerRunning = false;
      }
    })();
  }

  private async drainTerminatingNamespaces(): Promise<void> {
    const nsReg = this.registry('', 'namespaces');
    if (nsReg === undefined) return;
    const all = await nsReg.list(undefined);
    for (const ns of all.items) {
      if (ns.metadata.deletionTimestamp === undefined) continue;
      const name = ns.metadata.name ?? '';
      let remaining = 0;
      for (const reg of new Set(this.byGR.values())) {
        if (!reg.info.namespaced) continue;
        const items = await reg.list(name);
        for (const o of items.items) {
          remaining++;
          if (o.metadata.deletionTimestamp !== undefined && (o.metadata.finalizers ?? []).length === 0) {
            // Graceful deletion in progress; force it when the grace period has run out.
            const due = Date.parse(o.metadata.deletionTimestamp);
            if (Number.isNaN(due) || due > Date.now()) continue;
          }
          try {
            await reg.delete(name, o.metadata.name ?? '', { propagationPolicy: 'Background', gracePeriodSeconds: 0 });
          } catch (err) {
            if (!(isStatusError(err) && err.reason === 'NotFound')) throw err;
          }
        }
      }
      if (remaining > 0) {
        this.finalizerAgain = true;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const cur = await nsReg.tryGet('', name);
      if (cur === undefined) continue;
      cur['spec'] = { finalizers: [] };
      await this.finalizeNamespace(nsReg, cur, false);
    }
  }
}

function parseDeleteOptions(body: Buffer, q: URLSearchParams): { gracePeriodSeconds?: number; propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; preconditions?: { uid?: string; resourceVersion?: string } } {
  let o: { gracePeriodSeconds?: number; propagationPolicy?: string; orphanDependents?: boolean; preconditions?: { uid?: string; resourceVersion?: string } } = {};
  if (body.length > 0) {
    const v = parseJson(body, 'DeleteOptions in version "v1" cannot be handled as a DeleteOptions');
    if (v !== null && typeof v === 'object') o = v as typeof o;
  }
  const gp = q.get('gracePeriodSeconds');
  if (gp !== null && /^-?\d+$/.test(gp)) o.gracePeriodSeconds = Number(gp);
  const pp = q.get('propagationPolicy');
  if (pp !== null) o.propagationPolicy = pp;
  const out: ReturnType<typeof parseDeleteOptions> = {};
  if (typeof o.gracePeriodSeconds === 'number') out.gracePeriodSeconds = Math.max(0, o.gracePeriodSeconds);
  let policy = o.propagationPolicy;
  if (policy === undefined && o.orphanDependents === true) policy = 'Orphan';
  if (policy !== undefined) {
    if (policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
      throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 422, reason: 'Invalid', message: `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"` });
    }
    out.propagationPolicy = policy;
  }
  if (o.preconditions !== undefined) out.preconditions = o.preconditions;
  return out;
}

/** The autoscaling/v1 Scale view of a workload. */
export function toScale(obj: KubeObject): KubeObject {
  const spec = (obj['spec'] ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } };
  const status = (obj['status'] ?? {}) as { replicas?: number };
  const sel = spec.selector?.matchLabels ?? {};
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', resourceVersion: m.resourceVersion ?? '',
      creationTimestamp: m.creationTimestamp ?? '',
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',') },
  };
}

function withReplicas(obj: KubeObject, scale: KubeObject): KubeObject {
  const replicas = (scale['spec'] as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new StatusError({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 422, reason: 'Invalid',
      message: `Scale.autoscaling "${obj.metadata.name ?? ''}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`,
      details: { name: obj.metadata.name ?? '', group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, field: 'spec.replicas' }] },
    });
  }
  obj['spec'] = { ...((obj['spec'] as Record<string, unknown> | undefined) ?? {}), replicas };
  return obj;
}

/** Adds ObjectMeta validation in front of a resource's own validation. */
function withMetaValidation(info: ResourceInfo, s: Strategy): Strategy {
  return {
    ...s,
    validate: (obj) => [...validateObjectMeta(info, obj.metadata, undefined), ...(s.validate?.(obj) ?? [])],
    validateUpdate: (obj, old) => [...validateObjectMeta(info, obj.metadata, old.metadata), ...(s.validateUpdate?.(obj, old) ?? [])],
  };
}

/** Built-in strategies for resources with system-owned status. */
const builtinStrategies = new Map<string, Strategy>([
  [grKey('', 'namespaces'), {
    prepareForCreate(obj) {
      obj['status'] = { phase: 'Active' };
      const spec = (obj['spec'] ?? {}) as { finalizers?: string[] };
      obj['spec'] = { ...spec, finalizers: spec.finalizers ?? ['kubernetes'] };
    },
    prepareForUpdate(obj, old) {
      // spec.finalizers change only through the finalize subresource.
      obj['spec'] = old['spec'];
      if (obj.metadata.deletionTimestamp !== undefined) obj['status'] = { phase: 'Terminating' };
    },
    gracePeriod(obj) {
      // Deleting a namespace marks it Terminating while its content is removed.
      void obj;
      return 0;
    },
  }],
  [grKey('', 'pods'), {
    prepareForCreate(obj) {
      obj['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
    },
    gracePeriod(obj, requested) {
      const spec = (obj['spec'] ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
      const status = (obj['status'] ?? {}) as { phase?: string };
      // Unscheduled or finished pods go at once; running ones wait for their node agent.
      if (spec.nodeName === undefined || spec.nodeName === '' || status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
      return requested ?? spec.terminationGracePeriodSeconds ?? 30;
    },
  }],
  [grKey('apiextensions.k8s.io', 'customresourcedefinitions'), {
    prepareForCreate(obj) {
      obj['status'] = crdStatus(obj);
    },
    prepareForUpdate(obj) {
      obj['status'] = crdStatus(obj);
    },
  }],
]);

function crdStatus(crd: KubeObject): Record<string, unknown> {
  const spec = (crd['spec'] ?? {}) as { names?: Record<string, unknown>; versions?: Array<{ name?: string; storage?: boolean }> };
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cond = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: now, reason, message });
  return {
    acceptedNames: spec.names ?? {},
    conditions: [
      cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions: (spec.versions ?? []).filter((v) => v.storage === true).map((v) => v.name ?? ''),
  };
}

export { notFound };

function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
