// External auth as ingress-nginx does it (rootfs/etc/nginx/template/nginx.tmpl, the
// `_external-auth-*` location and nginx's auth_request): a subrequest without the body to auth-url
// carrying the client's headers plus X-Original-URL, X-Original-Method, X-Sent-From,
// X-Real-IP, X-Forwarded-For, X-Auth-Request-Redirect and X-Request-ID (X-Original-URI and
// X-Scheme too with auth-method). 2xx passes and copies auth-response-headers onto the upstream
// request; 401/403 go back to the client (401 with WWW-Authenticate), or 401 becomes a 302 to
// auth-signin; anything else (and an unreachable auth service) is a 500.
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ExternalAuthConfig, Endpoint } from '../route-table/types.ts';
import { expand, type RequestVars } from '../route-table/nginx-vars.ts';

export type AuthOutcome =
  | { result: 'pass'; upstreamHeaders: [string, string][]; setCookie: string[] }
  | { result: 'deny'; status: 401 | 403; headers: OutgoingHttpHeaders }
  | { result: 'signin'; location: string; setCookie: string[] }
  | { result: 'error'; reason: string };

/** Client headers never forwarded to the auth service (body framing, hop-by-hop, and the ones set below). */
const dropToAuth = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer',
  'expect', 'x-forwarded-proto', 'x-original-url', 'x-original-method', 'x-sent-from', 'x-real-ip', 'x-forwarded-for',
  'x-auth-request-redirect', 'x-request-id', 'x-original-uri', 'x-scheme', 'proxy',
]);

export interface AuthContext {
  vars: RequestVars;
  /** The client's request headers (lower-case names; HTTP/2 pseudo-headers are skipped). */
  headers: IncomingHttpHeaders;
  clientIP: string;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** An endpoint of the auth Service when auth-url names one. */
  endpoint?: Endpoint;
  lookup?: LookupFunction;
  agents: AuthAgents;
}

/** Keep-alive pools for auth subrequests. */
export interface AuthAgents {
  http: http.Agent;
  https: https.Agent;
}

export function newAuthAgents(): AuthAgents {
  return {
    http: new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4_000 }),
    https: new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4_000, rejectUnauthorized: false }),
  };
}

/** Builds the subrequest headers (exported for tests). */
export function authRequestHeaders(cfg: ExternalAuthConfig, ctx: AuthContext, authHost: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(ctx.headers)) {
    if (v === undefined || k.startsWith(':') || dropToAuth.has(k)) continue;
    out[k] = v;
  }
  const r = ctx.vars;
  out['host'] = authHost;
  out['x-original-url'] = `${r.scheme}://${r.httpHost}${r.requestURI}`;
  out['x-original-method'] = r.method;
  out['x-sent-from'] = 'nginx-ingress-controller';
  out['x-real-ip'] = ctx.clientIP;
  out['x-forwarded-for'] = ctx.clientIP;
  out['x-auth-request-redirect'] = cfg.requestRedirect !== undefined ? expand(cfg.requestRedirect, r) : r.requestURI;
  out['x-request-id'] = r.requestId;
  if (cfg.method !== undefined) {
    out['x-original-uri'] = r.requestURI;
    out['x-scheme'] = r.scheme;
  }
  return out;
}

function setCookies(h: IncomingHttpHeaders): string[] {
  const v = h['set-cookie'];
  return v === undefined ? [] : v;
}

/** Runs the auth subrequest for one request. Never rejects. */
export function externalAuth(cfg: ExternalAuthConfig, ctx: AuthContext): Promise<AuthOutcome> {
  return new Promise((resolve) => {
    let url: URL;
    const expanded = expand(cfg.url, ctx.vars);
    try {
      url = new URL(expanded);
    } catch {
      resolve({ result: 'error', reason: `auth-url ${JSON.stringify(expanded)} is not a valid URL` });
      return;
    }
    const tls = url.protocol === 'https:';
    const headers = authRequestHeaders(cfg, ctx, url.host);
    const opts: https.RequestOptions = {
      method: cfg.method ?? 'GET', path: `${url.pathname}${url.search}`, headers, setHost: false,
      host: ctx.endpoint?.address ?? url.hostname.replace(/^\[|\]$/g, ''),
      port: ctx.endpoint?.port ?? (url.port !== '' ? Number(url.port) : tls ? 443 : 80),
      agent: tls ? ctx.agents.https : ctx.agents.http,
      timeout: ctx.connectTimeoutMs,
    };
    if (tls) {
      opts.servername = url.hostname;
      opts.rejectUnauthorized = false;
    }
    if (ctx.lookup !== undefined && ctx.endpoint === undefined) opts.lookup = ctx.lookup;
    let done = false;
    const finish = (o: AuthOutcome) => {
      if (done) return;
      done = true;
      resolve(o);
    };
    const req = (tls ? https : http).request(opts, (res) => {
      res.resume(); // the body is not used
      const status = res.statusCode ?? 500;
      if (status >= 200 && status < 300) {
        const upstreamHeaders: [string, string][] = [];
        for (const name of cfg.responseHeaders) {
          const v = res.headers[name.toLowerCase()];
          if (v !== undefined) upstreamHeaders.push([name, Array.isArray(v) ? v.join(', ') : v]);
        }
        finish({ result: 'pass', upstreamHeaders, setCookie: setCookies(res.headers) });
      } else if (status === 401 && cfg.signin !== undefined) {
        finish({ result: 'signin', location: expand(cfg.signin, ctx.vars), setCookie: setCookies(res.headers) });
      } else if (status === 401 || status === 403) {
        const h: OutgoingHttpHeaders = {};
        const www = res.headers['www-authenticate'];
        if (status === 401 && www !== undefined) h['www-authenticate'] = www;
        const sc = setCookies(res.headers);
        if (sc.length > 0) h['set-cookie'] = sc;
        finish({ result: 'deny', status, headers: h });
      } else {
        finish({ result: 'error', reason: `auth service ${url.host} answered ${status}` });
      }
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ctx.connectTimeoutMs / 1000}s`)));
    req.on('socket', (s) => {
      s.once('connect', () => req.setTimeout(ctx.readTimeoutMs));
    });
    req.on('error', (err) => finish({ result: 'error', reason: `auth service ${url.host} unreachable: ${err.message}` }));
    req.end();
  });
}
