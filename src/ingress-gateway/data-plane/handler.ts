// The per-request pipeline, in nginx's phase order for an ingress-nginx location:
//   route (host → server → location)  → denied locations (503) → client_max_body_size (413)
//   → redirects (from-to-www, ssl-redirect 308, permanent/temporal, app-root)
//   → limit_conn / limit_req (503) → allow/deny source ranges (403) → auth_request (401/403/302/500)
//   → canary and affinity → endpoint → proxy with retries (502/503/504)
// `decide()` is transport-neutral and shared by plain requests (`serve`) and WebSocket upgrades
// (websocket.ts). Responses the proxy makes itself say which failure happened.
import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { LookupFunction } from 'node:net';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { route, chooseCanary, parseCookies } from '../route-table/match.ts';
import { normalizeHost, normalizePath, BadPathError } from '../route-table/path.ts';
import { expand, type RequestVars } from '../route-table/nginx-vars.ts';
import { rewriteTarget, encodePathChars } from '../route-table/rewrite.ts';
import { wildcardSuffix } from '../route-table/path.ts';
import type { HTTPHeaderFilter } from '../gateway/api.ts';
import type { GatewayTable } from '../gateway/compile.ts';
import { modifyHeaders, redirectLocation, rewritePath } from '../gateway/filters.ts';
import { matchGateway, pickWeighted } from '../gateway/match.ts';
import type { Backend, Endpoint, Location, RouteTable, Server } from '../route-table/types.ts';
import { AccessLog } from './access-log.ts';
import { externalAuth, type AuthAgents } from './auth.ts';
import { Balancer, affinitySetCookie, backendTag, endpointTag, newAffinityId, parseAffinityCookie } from './balancer.ts';
import { LocationLimiter, normalizeClientIP, sourceAllowed } from './limits.ts';
import { IngressMetrics, labelString, requestLabels } from './metrics.ts';
import { errorBody, statusText } from './responses.ts';
import { UpstreamError, Upstreams, type UpstreamResponse } from './upstream.ts';

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** Where a request came in. */
export interface ListenerInfo {
  scheme: 'http' | 'https';
  port: number;
}

/** A request as the pipeline sees it, whatever the transport. */
export interface Exchange {
  scheme: 'http' | 'https';
  serverPort: number;
  method: string;
  /** Request target as received (origin form). */
  url: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  /** HTTP/1.x raw header list (names as sent, duplicates kept). */
  rawHeaders: string[] | undefined;
  clientIP: string;
  hasBody: boolean;
  contentLength: number | undefined;
  requestId: string;
  startedAt: number;
}

/** What the pipeline decided; `finish` accounting needs the location and backend names. */
export interface Accounting {
  location: Location | undefined;
  server: Server | undefined;
  hostLabel: string;
  upstreamName: string;
  canaryName: string;
  upstreamAddrs: string[];
  upstreamStatus: string[];
  upstreamTimes: string[];
  release: () => void;
  authSetCookie: string[];
  authAlways: boolean;
  /** Set once the request was counted and logged. */
  finished: boolean;
}

export type Decision =
  | { kind: 'respond'; status: number; detail?: string; headers?: OutgoingHttpHeaders; acct: Accounting }
  | {
    kind: 'proxy';
    location: Location;
    backend: Backend;
    /** Endpoint chosen by affinity or hashing (tried first). */
    preferred: Endpoint | undefined;
    target: string;
    headers: string[];
    setCookie: string[];
    acct: Accounting;
    vars: RequestVars;
    /** Gateway API ResponseHeaderModifier. */
    responseHeaders?: HTTPHeaderFilter;
  };

export interface HandlerOptions {
  metrics: IngressMetrics;
  accessLog?: AccessLog;
  /** The HTTPS port used in ssl-redirect Locations (omitted when 443). */
  httpsPort: () => number;
  /** Trust X-Forwarded-* from clients (ingress-nginx use-forwarded-headers; default false). */
  useForwardedHeaders?: boolean;
  /** Append the client to X-Forwarded-For instead of replacing it (compute-full-forwarded-for; needs useForwardedHeaders). */
  computeFullForwardedFor?: boolean;
  /** Label values of the controller in metrics. */
  controllerClass?: string;
  controllerNamespace?: string;
  controllerPod?: string;
  lookup?: LookupFunction;
  random?: () => number;
  now?: () => number;
  /** Error log (upstream failures, auth failures); one line each. */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;
}

/** What choose() needs from decide(). */
interface DecideContext {
  x: Exchange;
  acct: Accounting;
  loc: Location;
  vars: RequestVars;
  cookie: (name: string) => string | undefined;
  httpHost: string;
}

const noAuthHeaders: readonly [string, string][] = [];

function respond(acct: Accounting, status: number, detail?: string, headers?: OutgoingHttpHeaders): Decision {
  const d: Decision = { kind: 'respond', status, acct };
  if (detail !== undefined) d.detail = detail;
  if (headers !== undefined) d.headers = headers;
  return d;
}

const idempotent = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);
/** Request headers never passed upstream as the client sent them. */
const dropRequest = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy', 'expect', 'host',
  'x-request-id', 'x-real-ip', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto', 'x-scheme',
  'x-original-forwarded-for', 'x-forwarded-prefix', 'http2-settings',
]);
/** Response headers that describe the upstream connection, not the response. */
const dropResponse = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
/** Statuses after which nginx's `add_header` (without `always`) applies: auth Set-Cookie. */
const addHeaderStatuses = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Counts body bytes and fails the stream past `limit` (client_max_body_size for bodies without Content-Length). */
class BodyLimit extends Transform {
  private seen = 0;
  private readonly limit: number;
  exceeded = false;
  constructor(limit: number) {
    super();
    this.limit = limit;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      this.exceeded = true;
      cb(new Error('request body larger than proxy-body-size'));
      return;
    }
    cb(null, chunk);
  }
}

export class IngressHandler {
  private table: RouteTable | undefined;
  readonly balancer: Balancer;
  readonly upstreams: Upstreams;
  private readonly limiters = new Map<string, LocationLimiter>();
  private readonly labelCache = new Map<string, string>();
  private readonly opts: HandlerOptions;
  readonly metrics: IngressMetrics;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly authAgents: AuthAgents;

  constructor(opts: HandlerOptions, upstreams: Upstreams, authAgents: AuthAgents) {
    this.opts = opts;
    this.metrics = opts.metrics;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.balancer = new Balancer({ now: this.now });
    this.upstreams = upstreams;
    this.authAgents = authAgents;
  }

  /** Swaps the route table (atomically: requests in flight keep the one they started with). */
  setTable(t: RouteTable): void {
    this.table = t;
    const keys = new Set<string>();
    const ids = new Set<string>();
    const visit = (s: Server) => {
      for (const l of [...s.exact.values(), ...s.ordered, s.fallback]) {
        ids.add(l.id);
        for (const e of l.backend.endpoints) keys.add(e.key);
        for (const e of l.canary?.backend.endpoints ?? []) keys.add(e.key);
      }
    };
    for (const s of t.hosts.values()) visit(s);
    for (const s of t.wildcards.values()) visit(s);
    visit(t.catchAll);
    this.balancer.retain(keys);
    for (const k of this.limiters.keys()) if (!ids.has(k.split('\0')[0] ?? '')) this.limiters.delete(k);
    this.labelCache.clear();
  }

  get synced(): boolean {
    return this.table !== undefined;
  }

  /** The error log. */
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string): void {
    this.opts.log?.(level, msg);
  }

  // ---- the transport-neutral pipeline ----

  private acct(): Accounting {
    return {
      location: undefined, server: undefined, hostLabel: '', upstreamName: '', canaryName: '', upstreamAddrs: [], upstreamStatus: [],
      upstreamTimes: [], release: () => {}, authSetCookie: [], authAlways: false, finished: false,
    };
  }

  private limiter(loc: Location): LocationLimiter | undefined {
    const cfg = loc.config.rateLimit;
    if (cfg === undefined) return undefined;
    const key = `${loc.id}\0${cfg.rps}/${cfg.rpm}/${cfg.connections}/${cfg.burstMultiplier}/${cfg.allowlist.join(',')}`;
    let l = this.limiters.get(key);
    if (l === undefined) {
      l = new LocationLimiter(cfg, this.now);
      this.limiters.set(key, l);
    }
    return l;
  }

  /** Decides what to do with a request: answer it here or proxy it (and how). Synchronous unless external auth runs. */
  decide(x: Exchange): Decision | Promise<Decision> {
    const acct = this.acct();
    const table = this.table;
    if (table === undefined) return respond(acct, 503, 'the ingress controller has not synced its configuration yet');
    const httpHost = firstHeader(x.headers[':authority']) ?? firstHeader(x.headers.host) ?? '';
    const host = normalizeHost(httpHost);
    const q = x.url.indexOf('?');
    const rawPath = q < 0 ? x.url : x.url.slice(0, q);
    const args = q < 0 ? '' : x.url.slice(q + 1);
    let path: string;
    try {
      path = normalizePath(rawPath);
    } catch (err) {
      this.metrics.clientErrors.inc({ code: '400' });
      return respond(acct, 400, err instanceof BadPathError ? err.message : 'invalid request target');
    }
    const gt = table.gateway;
    if (gt !== undefined && (gt.http.length > 0 || gt.https.length > 0) && !hasIngressServer(table, host)) {
      const g = this.gatewayRoute(x, acct, gt, host, httpHost, path, args);
      if (g !== undefined) return g;
    }
    const m = route(table, host, path);
    const loc = m.location;
    const cfg = loc.config;
    acct.location = loc;
    acct.server = m.server;
    acct.hostLabel = m.server.host === '' ? '_' : host;
    let cookies: Map<string, string> | undefined;
    const cookie = (n: string) => (cookies ??= parseCookies(headerJoined(x.headers.cookie, '; '))).get(n);
    const vars: RequestVars = {
      scheme: x.scheme, httpHost, host, method: x.method, requestURI: x.url, uri: path, args, remoteAddr: x.clientIP,
      serverPort: x.serverPort, requestId: x.requestId, captures: m.captures,
      header: (n) => headerJoined(x.headers[n.toLowerCase()], ', '), cookie,
    };

    const www = table.wwwRedirects.size > 0 ? table.wwwRedirects.get(host) : undefined;
    if (www !== undefined) {
      const port = portSuffix(x.scheme, x.serverPort);
      return respond(acct, 308, undefined, { location: `${x.scheme}://${www}${port}${x.url}` });
    }
    if (loc.denied !== undefined) {
      return respond(acct, 503, `this path is disabled: its Ingress ${loc.ingress?.namespace ?? ''}/${loc.ingress?.name ?? ''} uses an annotation Switchboard cannot honour (see kubectl describe ingress)`);
    }
    if (cfg.bodySizeLimit > 0 && x.contentLength !== undefined && x.contentLength > cfg.bodySizeLimit) {
      return respond(acct, 413, `request body of ${x.contentLength} bytes is larger than ${cfg.bodySizeLimit} (proxy-body-size)`);
    }
    if (x.scheme === 'http' && ((m.server.tls && cfg.sslRedirect) || cfg.forceSslRedirect) && !path.startsWith('/.well-known/acme-challenge/')) {
      const p = this.opts.httpsPort();
      const h = host === '' ? httpHost : host;
      return respond(acct, 308, undefined, { location: `https://${h}${p === 443 ? '' : `:${p}`}${x.url}` });
    }
    if (cfg.permanentRedirect !== undefined) return respond(acct, cfg.permanentRedirect.code, undefined, { location: expand(cfg.permanentRedirect.url, vars) });
    if (cfg.temporalRedirect !== undefined) return respond(acct, cfg.temporalRedirect.code, undefined, { location: expand(cfg.temporalRedirect.url, vars) });
    if (cfg.appRoot !== undefined && path === '/') {
      const target = cfg.appRoot.startsWith('/') ? `${x.scheme}://${httpHost}${cfg.appRoot}` : cfg.appRoot;
      return respond(acct, 302, undefined, { location: target });
    }
    const limiter = this.limiter(loc);
    if (limiter !== undefined) {
      const r = limiter.admit(x.clientIP);
      if (!r.ok) return respond(acct, limiter.config.status, `client ${x.clientIP} is over the ${r.limit} limit of this path`);
      acct.release = r.release;
    }
    if ((cfg.allowSourceRange !== undefined || cfg.denySourceRange !== undefined) && !sourceAllowed(x.clientIP, cfg.allowSourceRange, cfg.denySourceRange)) {
      return respond(acct, 403, `client ${x.clientIP} is not allowed by the source ranges of this path`);
    }
    const ctx: DecideContext = { x, acct, loc, vars, cookie, httpHost };
    const auth = cfg.auth;
    if (auth === undefined) return this.choose(ctx, noAuthHeaders);
    const authEndpoint = auth.backend !== undefined ? this.balancer.pick(auth.backend) : undefined;
    if (auth.backend !== undefined && authEndpoint === undefined) {
      this.count('auth', loc, 'error');
      return respond(acct, 500, `auth service ${auth.backend.namespace}/${auth.backend.service} has no ready endpoints`);
    }
    const actx: Parameters<typeof externalAuth>[1] = {
      vars, headers: x.headers, clientIP: x.clientIP, connectTimeoutMs: cfg.connectTimeoutMs, readTimeoutMs: cfg.readTimeoutMs, agents: this.authAgents,
    };
    if (authEndpoint !== undefined) actx.endpoint = authEndpoint;
    if (this.opts.lookup !== undefined) actx.lookup = this.opts.lookup;
    return externalAuth(auth, actx).then((out): Decision => {
      this.count('auth', loc, out.result);
      switch (out.result) {
        case 'error':
          this.log('warn', `auth for ${x.method} ${httpHost}${x.url}: ${out.reason}`);
          return respond(acct, 500, 'the authentication service failed');
        case 'deny':
          return respond(acct, out.status, undefined, out.headers);
        case 'signin': {
          const h: OutgoingHttpHeaders = { location: out.location };
          if (out.setCookie.length > 0) h['set-cookie'] = out.setCookie;
          return respond(acct, 302, undefined, h);
        }
        case 'pass':
          acct.authSetCookie = out.setCookie;
          acct.authAlways = auth.alwaysSetCookie;
          return this.choose(ctx, out.upstreamHeaders);
      }
    });
  }

  /** Gateway API: the HTTPRoute rule for a request, or undefined when no listener hostname matches (Ingress routing goes on). */
  private gatewayRoute(x: Exchange, acct: Accounting, gt: GatewayTable, host: string, httpHost: string, path: string, args: string): Decision | undefined {
    let params: URLSearchParams | undefined;
    const found = matchGateway(gt, x.scheme, {
      host, path, method: x.method,
      header: (n) => headerJoined(x.headers[n], ','),
      query: (n) => (params ??= new URLSearchParams(args)).get(n) ?? undefined,
    });
    if (found.kind === 'none') return undefined;
    acct.hostLabel = host;
    if (found.kind === 'notfound') return respond(acct, 404, `no HTTPRoute rule matches host ${host} and path ${path}`);
    const m = found.match;
    const rule = m.rule;
    acct.location = rule.location;
    const prefix = m.path.kind === 'prefix' ? m.path.value : undefined;
    if (rule.redirect !== undefined) {
      const location = redirectLocation({ scheme: x.scheme, host, port: x.serverPort, path, query: args }, rule.redirect, prefix);
      return respond(acct, rule.redirect.statusCode, undefined, { location });
    }
    const pick = rule.backends.length === 0 ? undefined : pickWeighted(rule.backends, rule.totalWeight, this.random);
    if (pick === undefined) return respond(acct, 500, `HTTPRoute ${rule.route.namespace}/${rule.route.name} rule has no usable backendRefs`);
    if (pick.backend === undefined) return respond(acct, 500, `HTTPRoute ${rule.route.namespace}/${rule.route.name}: invalid backendRef (${pick.invalid ?? 'unknown'})`);
    const backend = pick.backend;
    acct.upstreamName = upstreamName(backend);
    if (backend.endpoints.length === 0) return respond(acct, 503, backend.problem?.reason ?? `no ready endpoints for ${backend.key}`);
    let target = x.url;
    if (rule.rewrite?.path !== undefined) target = encodePathChars(rewritePath(path, rule.rewrite.path, prefix)) + (args === '' ? '' : `?${args}`);
    const headers = this.upstreamHeaders(x, rule.rewrite?.hostname ?? httpHost, undefined, undefined, undefined, noAuthHeaders);
    if (rule.requestHeaders !== undefined) modifyHeaders(headers, rule.requestHeaders);
    const vars: RequestVars = {
      scheme: x.scheme, httpHost, host, method: x.method, requestURI: x.url, uri: path, args, remoteAddr: x.clientIP,
      serverPort: x.serverPort, requestId: x.requestId, header: (n) => headerJoined(x.headers[n.toLowerCase()], ', '), cookie: () => undefined,
    };
    const d: Decision = { kind: 'proxy', location: rule.location, backend, preferred: undefined, target, headers, setCookie: [], acct, vars };
    if (rule.responseHeaders !== undefined) d.responseHeaders = rule.responseHeaders;
    return d;
  }

  /** After the access checks: canary, affinity, endpoint preference, rewrite, upstream headers. */
  private choose(c: DecideContext, authHeaders: readonly [string, string][]): Decision {
    const { x, acct, loc, vars, cookie } = c;
    const cfg = loc.config;
    // Canary and affinity (ingress-nginx balancer.lua: an affinitized request stays; then header → cookie → weight).
    let backend = loc.backend;
    const aff = cfg.affinity;
    const affCookie = aff !== undefined ? parseAffinityCookie(cookie(aff.cookieName)) : undefined;
    const canary = loc.canary;
    if (canary !== undefined && canary.backend.endpoints.length > 0) {
      const mainTag = backendTag(loc.backend.key);
      const canaryTag = backendTag(canary.backend.key);
      let toCanary: boolean;
      if (affCookie !== undefined && affCookie.backend === mainTag) toCanary = false;
      else if (affCookie !== undefined && affCookie.backend === canaryTag && aff?.canaryBehavior === 'sticky') toCanary = true;
      else toCanary = chooseCanary(canary.rules, (n) => firstHeader(x.headers[n.toLowerCase()]), cookie, this.random);
      if (toCanary) {
        backend = canary.backend;
        acct.canaryName = upstreamName(canary.backend);
      }
    }
    acct.upstreamName = upstreamName(backend);
    if (backend.endpoints.length === 0) {
      if (loc.isDefaultBackend && loc.ingress === undefined && backend.key === 'default-backend') {
        return respond(acct, 404, vars.host === '' ? `no Ingress rule for path ${vars.uri}` : `no Ingress rule for host ${vars.host} and path ${vars.uri}`);
      }
      return respond(acct, backend.problem?.status ?? 503, backend.problem?.reason ?? `no ready endpoints for ${backend.key}`);
    }
    const setCookie: string[] = [];
    let preferred: Endpoint | undefined;
    if (aff !== undefined) {
      const tag = backendTag(backend.key);
      if (aff.mode === 'persistent') {
        if (affCookie !== undefined && affCookie.backend === tag) preferred = this.balancer.pickByTag(backend, affCookie.id);
        if (preferred === undefined) {
          preferred = this.balancer.pick(backend);
          if (preferred !== undefined) setCookie.push(affinitySetCookie(aff, `${endpointTag(preferred)}|${tag}`, x.scheme === 'https', firstHeader(x.headers['user-agent']) ?? '', this.now()));
        }
      } else {
        let id = affCookie !== undefined && affCookie.backend === tag ? affCookie.id : undefined;
        if (id === undefined) {
          id = newAffinityId();
          setCookie.push(affinitySetCookie(aff, `${id}|${tag}`, x.scheme === 'https', firstHeader(x.headers['user-agent']) ?? '', this.now()));
        }
        preferred = this.balancer.pickHashed(backend, id);
      }
    } else if (cfg.upstreamHashBy !== undefined) {
      preferred = this.balancer.pickHashed(backend, expand(cfg.upstreamHashBy, vars));
    }
    const target = cfg.rewriteTarget !== undefined && cfg.rewriteTarget !== loc.path ? rewriteTarget(cfg.rewriteTarget, vars) : x.url;
    const headers = this.upstreamHeaders(x, c.httpHost, cfg.upstreamVhost, cfg.xForwardedPrefix, cfg.auth?.responseHeaders, authHeaders);
    return { kind: 'proxy', location: loc, backend, preferred, target, headers, setCookie, acct, vars };
  }

  /** The headers sent upstream: the client's (hop-by-hop removed) plus the ones ingress-nginx sets. */
  upstreamHeaders(x: Exchange, httpHost: string, vhost: string | undefined, prefix: string | undefined, authNames: readonly string[] | undefined, auth: readonly [string, string][]): string[] {
    const out: string[] = [];
    const authDrop = authNames !== undefined && authNames.length > 0 ? new Set(authNames.map((n) => n.toLowerCase())) : undefined;
    let connTokens: Set<string> | undefined;
    const conn = x.headers.connection;
    if (conn !== undefined && conn !== 'keep-alive' && conn !== 'close') connTokens = new Set(conn.toLowerCase().split(',').map((s) => s.trim()));
    const keep = (lk: string) => !(dropRequest.has(lk) || lk.charCodeAt(0) === 58 || authDrop?.has(lk) === true || connTokens?.has(lk) === true);
    if (x.rawHeaders !== undefined) {
      const raw = x.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        const k = raw[i] ?? '';
        if (keep(k.toLowerCase())) out.push(k, raw[i + 1] ?? '');
      }
    } else {
      for (const [k, v] of Object.entries(x.headers)) {
        if (v === undefined || !keep(k)) continue;
        if (Array.isArray(v)) {
          if (k === 'cookie') out.push(k, v.join('; '));
          else for (const vv of v) out.push(k, vv);
        } else out.push(k, v);
      }
    }
    const incomingXFF = headerJoined(x.headers['x-forwarded-for'], ', ');
    const trust = this.opts.useForwardedHeaders === true;
    out.push('Host', vhost ?? httpHost);
    out.push('X-Request-ID', x.requestId);
    out.push('X-Real-IP', x.clientIP);
    out.push('X-Forwarded-For', trust && this.opts.computeFullForwardedFor === true && incomingXFF !== undefined ? `${incomingXFF}, ${x.clientIP}` : x.clientIP);
    out.push('X-Forwarded-Host', trust ? firstHeader(x.headers['x-forwarded-host']) ?? httpHost : httpHost);
    out.push('X-Forwarded-Port', trust ? firstHeader(x.headers['x-forwarded-port']) ?? String(x.serverPort) : String(x.serverPort));
    out.push('X-Forwarded-Proto', trust ? firstHeader(x.headers['x-forwarded-proto']) ?? x.scheme : x.scheme);
    out.push('X-Scheme', x.scheme);
    if (incomingXFF !== undefined) out.push('X-Original-Forwarded-For', incomingXFF);
    if (prefix !== undefined) out.push('X-Forwarded-Prefix', prefix);
    for (const [k, v] of auth) out.push(k, v);
    return out;
  }

  // ---- plain requests ----

  /** Builds the Exchange of a plain (non-upgrade) request. */
  exchange(req: AnyRequest, l: ListenerInfo): Exchange {
    const h2 = req.httpVersionMajor === 2;
    const headers = req.headers;
    const cl = headers['content-length'];
    let hasBody: boolean;
    if (h2) hasBody = !(req as Http2ServerRequest).stream.endAfterHeaders;
    else hasBody = (cl !== undefined && cl !== '0') || headers['transfer-encoding'] !== undefined;
    let clientIP = normalizeClientIP(req.socket.remoteAddress);
    if (this.opts.useForwardedHeaders === true) {
      const xff = headerJoined(headers['x-forwarded-for'], ',');
      const first = xff?.split(',')[0]?.trim();
      if (first !== undefined && first !== '') clientIP = normalizeClientIP(first);
    }
    const rid = firstHeader(headers['x-request-id']);
    return {
      scheme: l.scheme, serverPort: l.port, method: req.method ?? 'GET', url: req.url ?? '/', httpVersion: req.httpVersion,
      headers, rawHeaders: h2 ? undefined : req.rawHeaders, clientIP, hasBody,
      contentLength: cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined,
      requestId: rid !== undefined && rid !== '' && rid.length <= 200 ? rid : newRequestId(),
      startedAt: performance.now(),
    };
  }

  /** Serves one request end to end. Never throws. */
  serve(req: AnyRequest, res: AnyResponse, l: ListenerInfo): void {
    const x = this.exchange(req, l);
    let d: Decision | Promise<Decision>;
    try {
      d = this.decide(x);
    } catch (err) {
      this.internalError(x, res, err);
      return;
    }
    if (d instanceof Promise) d.then((dd) => this.act(req, res, x, dd)).catch((err: unknown) => this.internalError(x, res, err));
    else this.act(req, res, x, d);
  }

  private act(req: AnyRequest, res: AnyResponse, x: Exchange, d: Decision): void {
    if (d.kind === 'respond') {
      this.finish(x, this.reply(res, d.status, d.detail, d.headers, d.acct), d.status, d.acct);
      return;
    }
    this.proxy(req, res, x, d).catch((err: unknown) => this.internalError(x, res, err));
  }

  private internalError(x: Exchange, res: AnyResponse, err: unknown): void {
    this.log('error', `request ${x.method} ${x.url}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    let n = 0;
    if (!res.headersSent) n = this.reply(res, 500, 'internal error in the ingress controller', undefined, this.acct());
    else res.destroy();
    this.finish(x, n, 500, this.acct());
  }

  /** A response made here (errors, redirects, auth answers); returns the body length. */
  reply(res: AnyResponse, status: number, detail: string | undefined, headers: OutgoingHttpHeaders | undefined, acct: Accounting): number {
    const body = status >= 300 && status < 400 && detail === undefined ? '' : errorBody(status, detail);
    const h: OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(headers ?? {}) };
    if (acct.authSetCookie.length > 0 && (acct.authAlways || addHeaderStatuses.has(status))) h['set-cookie'] = mergeCookies(h['set-cookie'], acct.authSetCookie);
    if (status >= 500 || status === 400 || status === 431) h['connection'] = 'close';
    if ((res as Http2ServerResponse).stream !== undefined) {
      delete h['connection'];
      (res as ServerResponse).writeHead(status, h);
    } else (res as ServerResponse).writeHead(status, statusText[status] ?? '', h);
    (res as ServerResponse).end(body);
    return Number(h['content-length']);
  }

  private async proxy(req: AnyRequest, res: AnyResponse, x: Exchange, d: Extract<Decision, { kind: 'proxy' }>): Promise<void> {
    const cfg = d.location.config;
    const acct = d.acct;
    let body: Readable | undefined = x.hasBody ? (req as Readable) : undefined;
    let limiter: BodyLimit | undefined;
    if (body !== undefined && cfg.bodySizeLimit > 0 && x.contentLength === undefined) {
      limiter = new BodyLimit(cfg.bodySizeLimit);
      body.pipe(limiter);
      body = limiter;
    }
    const canRetryAfterSend = idempotent.has(x.method) && !x.hasBody;
    const tried = new Set<string>();
    let clientGone = false;
    (res as ServerResponse).once('close', () => { clientGone = true; });
    let lastErr: UpstreamError | undefined;
    let up: UpstreamResponse | undefined;
    const maxTries = Math.min(cfg.nextUpstreamTries, d.backend.endpoints.length);
    for (let attempt = 0; attempt < maxTries && !clientGone; attempt++) {
      const ep = attempt === 0 && d.preferred !== undefined ? d.preferred : this.balancer.pick(d.backend, tried);
      if (ep === undefined || tried.has(ep.key)) break;
      tried.add(ep.key);
      const timed = this.opts.accessLog !== undefined;
      const t0 = timed ? performance.now() : 0;
      acct.upstreamAddrs.push(ep.key);
      try {
        up = await this.upstreams.send({
          endpoint: ep, protocol: cfg.backendProtocol, method: x.method, path: d.target, headers: d.headers, body,
          connectTimeoutMs: cfg.connectTimeoutMs, readTimeoutMs: cfg.readTimeoutMs,
        });
        if (timed) {
          acct.upstreamTimes.push(((performance.now() - t0) / 1000).toFixed(3));
          acct.upstreamStatus.push(String(up.status));
        }
        break;
      } catch (err) {
        if (timed) acct.upstreamTimes.push(((performance.now() - t0) / 1000).toFixed(3));
        if (!(err instanceof UpstreamError)) throw err;
        lastErr = err;
        acct.upstreamStatus.push(String(err.status));
        this.metrics.upstreamErrors.inc({ namespace: d.backend.namespace, service: d.backend.service, kind: err.kind });
        if (err.kind === 'connect' || err.kind === 'connect-timeout') this.balancer.markFailed(ep);
        this.log('warn', `${x.method} ${d.vars.httpHost}${x.url} (${d.backend.key}): ${err.message}`);
        if (limiter?.exceeded === true) break;
        if (err.sent && !canRetryAfterSend) break;
        if (attempt + 1 < maxTries) this.metrics.upstreamRetries.inc({ namespace: d.backend.namespace, service: d.backend.service });
      }
    }
    if (up === undefined) {
      if (clientGone) {
        this.finish(x, 0, 499, acct);
        return;
      }
      if (limiter?.exceeded === true) {
        this.finish(x, this.reply(res, 413, `request body is larger than ${cfg.bodySizeLimit} bytes (proxy-body-size)`, undefined, acct), 413, acct);
        return;
      }
      const status = lastErr?.status ?? 502;
      const what = lastErr === undefined ? 'no endpoint could be tried'
        : lastErr.kind === 'connect' ? 'connection refused by the upstream'
          : lastErr.kind === 'connect-timeout' ? `the upstream did not accept the connection within ${cfg.connectTimeoutMs / 1000}s (proxy-connect-timeout)`
            : lastErr.kind === 'read-timeout' ? `the upstream did not answer within ${cfg.readTimeoutMs / 1000}s (proxy-read-timeout)`
              : lastErr.kind === 'protocol' ? 'the upstream sent an invalid response'
                : 'the upstream closed the connection';
      this.finish(x, this.reply(res, status, `${what} (${d.backend.namespace}/${d.backend.service}:${d.backend.port}, ${tried.size} ${tried.size === 1 ? 'endpoint' : 'endpoints'} tried)`, undefined, acct), status, acct);
      return;
    }
    const upstream = up;
    const isH2 = (res as Http2ServerResponse).stream !== undefined;
    const extraCookies = [...d.setCookie];
    if (acct.authSetCookie.length > 0 && (acct.authAlways || addHeaderStatuses.has(upstream.status))) extraCookies.push(...acct.authSetCookie);
    if (!isH2 && upstream.rawHeaders !== undefined) {
      const raw = upstream.rawHeaders;
      const outRaw: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const k = raw[i] ?? '';
        if (!dropResponse.has(k.toLowerCase())) outRaw.push(k, raw[i + 1] ?? '');
      }
      for (const c of extraCookies) outRaw.push('Set-Cookie', c);
      if (d.responseHeaders !== undefined) modifyHeaders(outRaw, d.responseHeaders);
      (res as ServerResponse).writeHead(upstream.status, outRaw);
    } else {
      const h: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(upstream.headers)) {
        if (v === undefined || dropResponse.has(k)) continue;
        h[k] = v;
      }
      if (extraCookies.length > 0) h['set-cookie'] = mergeCookies(h['set-cookie'], extraCookies);
      if (d.responseHeaders !== undefined) {
        const list: string[] = [];
        for (const [k, v] of Object.entries(h)) for (const vv of Array.isArray(v) ? v : [v]) list.push(k, String(vv));
        modifyHeaders(list, d.responseHeaders);
        for (const k of Object.keys(h)) delete h[k];
        for (let i = 0; i < list.length; i += 2) {
          const k = (list[i] ?? '').toLowerCase();
          const prev = h[k];
          h[k] = prev === undefined ? list[i + 1] ?? '' : [...(Array.isArray(prev) ? prev.map(String) : [String(prev)]), list[i + 1] ?? ''];
        }
      }
      (res as ServerResponse).writeHead(upstream.status, h);
    }
    const length = upstream.contentLength ?? (Number(firstHeader(upstream.headers['content-length']) ?? 0) || 0);
    if (upstream.complete !== undefined) {
      // The whole body came with the head: one write, no streams.
      (res as ServerResponse).end(upstream.complete);
      this.finish(x, upstream.complete.length, upstream.status, acct);
      return;
    }
    (res as ServerResponse).once('close', () => {
      if (res.writableFinished) return;
      upstream.abort();
      this.finish(x, 0, 499, acct); // nginx: client closed the request
    });
    upstream.body.on('error', () => res.destroy());
    upstream.body.once('end', () => {
      const t = upstream.trailers();
      if (t !== undefined) {
        const tr: Record<string, string> = {};
        for (const [k, v] of Object.entries(t)) if (v !== undefined) tr[k] = Array.isArray(v) ? v.join(', ') : v;
        (res as ServerResponse).addTrailers(tr);
      }
    });
    upstream.body.pipe(res as NodeJS.WritableStream);
    (res as ServerResponse).once('finish', () => this.finish(x, length, upstream.status, acct));
  }

  /** Metrics and the access log for a finished request. */
  finish(x: Exchange, sentBytes: number, status: number, acct: Accounting): void {
    if (acct.finished) return;
    acct.finished = true;
    acct.release();
    const secs = (performance.now() - x.startedAt) / 1000;
    const loc = acct.location;
    const method = knownMethods.has(x.method) ? x.method : 'OTHER';
    const key = `${loc?.id ?? '-'}\0${acct.hostLabel}\0${acct.canaryName}\0${method}\0${status}`;
    let labels = this.labelCache.get(key);
    if (labels === undefined) {
      const backend = acct.canaryName !== '' ? loc?.canary?.backend : loc?.backend;
      labels = labelString(requestLabels, [
        acct.canaryName, this.opts.controllerClass ?? '', this.opts.controllerNamespace ?? '', this.opts.controllerPod ?? '',
        acct.hostLabel, loc?.ingress?.name ?? '', method, loc?.ingress?.namespace ?? '', loc?.isDefaultBackend === true && loc.ingress === undefined ? '' : loc?.path ?? '',
        backend?.service ?? '', String(status),
      ]);
      if (this.labelCache.size > 50_000) this.labelCache.clear();
      this.labelCache.set(key, labels);
    }
    this.metrics.requests.addRaw(labels);
    this.metrics.requestDuration.observeRaw(labels, secs);
    const log = this.opts.accessLog;
    if (log !== undefined && (loc === undefined || loc.config.accessLog)) {
      log.write({
        remoteAddr: x.clientIP, remoteUser: '', time: new Date(), method: x.method, target: x.url, protocol: `HTTP/${x.httpVersion}`,
        status, bodyBytesSent: sentBytes, referer: firstHeader(x.headers.referer) ?? '', userAgent: firstHeader(x.headers['user-agent']) ?? '',
        requestLength: x.contentLength ?? 0, requestTimeSec: secs, upstreamName: acct.upstreamName, alternativeUpstreamName: acct.canaryName,
        upstreamAddr: acct.upstreamAddrs.join(', '), upstreamResponseLength: '', upstreamResponseTime: acct.upstreamTimes.join(', '),
        upstreamStatus: acct.upstreamStatus.join(', '), requestId: x.requestId,
      });
    }
  }

  private count(kind: 'auth', loc: Location, result: string): void {
    if (kind === 'auth') this.metrics.authRequests.inc({ namespace: loc.ingress?.namespace ?? '', ingress: loc.ingress?.name ?? '', result });
  }
}

const upstreamNames = new WeakMap<Backend, string>();

/** ingress-nginx's upstream name: `namespace-service-port`. */
export function upstreamName(b: Backend): string {
  let n = upstreamNames.get(b);
  if (n === undefined) {
    n = b.key === 'default-backend' ? 'upstream-default-backend' : `${b.namespace}-${b.service}-${b.port}`;
    upstreamNames.set(b, n);
  }
  return n;
}

const idPool = Buffer.alloc(16 * 256);
let idNext = idPool.length;

/** A new X-Request-ID: 32 hex digits of randomness, as nginx's $request_id (random bytes drawn in batches). */
export function newRequestId(): string {
  if (idNext >= idPool.length) {
    randomFillSync(idPool);
    idNext = 0;
  }
  const id = idPool.toString('hex', idNext, idNext + 16);
  idNext += 16;
  return id;
}

/** True when an Ingress rule names this host (exactly or by a one-label wildcard): Ingress routing wins there. */
function hasIngressServer(t: RouteTable, host: string): boolean {
  if (host === '') return false;
  if (t.hosts.has(host)) return true;
  const suffix = wildcardSuffix(host);
  return suffix !== undefined && t.wildcards.has(suffix);
}

function portSuffix(scheme: 'http' | 'https', port: number): string {
  return (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443) ? '' : `:${port}`;
}

function headerJoined(v: string | string[] | undefined, sep: string): string | undefined {
  return Array.isArray(v) ? v.join(sep) : v;
}

function mergeCookies(existing: OutgoingHttpHeaders[string], add: readonly string[]): string[] {
  const out: string[] = [];
  if (Array.isArray(existing)) out.push(...existing.map(String));
  else if (existing !== undefined) out.push(String(existing));
  out.push(...add);
  return out;
}

