// Upstream connections: HTTP/1.1 keep-alive pools (node:http Agents, LIFO reuse), HTTPS upstreams
// (backend-protocol HTTPS, certificates not verified, as nginx's proxy_ssl_verify off), and HTTP/2
// sessions per endpoint for GRPC (h2c) and GRPCS. One send() per attempt; failures are
// UpstreamErrors that say what happened (connect refused, connect timeout, reset, read timeout) and
// whether any byte of the request may have reached the endpoint, which decides retries. The request
// body is attached only once the connection is up, so a failed connect leaves it unread and the
// request can go to another endpoint whatever its method (nginx: "if a request has been sent").
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';
import net, { type Socket } from 'node:net';
import { H1Pool } from './h1client.ts';
import type { BackendProtocol, Endpoint } from '../route-table/types.ts';

export type UpstreamErrorKind = 'connect' | 'connect-timeout' | 'reset' | 'read-timeout' | 'protocol';

/** A failed attempt. `sent`: request bytes may have reached the endpoint (no retry for non-idempotent requests). */
export class UpstreamError extends Error {
  /** `ERR_UPSTREAM_CONNECT`, `ERR_UPSTREAM_CONNECT_TIMEOUT`, `ERR_UPSTREAM_RESET`, `ERR_UPSTREAM_READ_TIMEOUT`, `ERR_UPSTREAM_PROTOCOL`. */
  readonly code: string;
  readonly kind: UpstreamErrorKind;
  readonly sent: boolean;
  readonly endpoint: Endpoint;
  constructor(kind: UpstreamErrorKind, endpoint: Endpoint, sent: boolean, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UpstreamError';
    this.kind = kind;
    this.code = `ERR_UPSTREAM_${kind.toUpperCase().replace('-', '_')}`;
    this.sent = sent;
    this.endpoint = endpoint;
  }
  /** 504 for timeouts, 502 otherwise. */
  get status(): 502 | 504 {
    return this.kind === 'connect-timeout' || this.kind === 'read-timeout' ? 504 : 502;
  }
}

export interface UpstreamRequest {
  endpoint: Endpoint;
  protocol: BackendProtocol;
  method: string;
  /** Request target (path and query). */
  path: string;
  /** Outgoing headers as a flat `[name, value, ...]` list; for HTTP/2 upstreams `host` becomes `:authority`. */
  headers: readonly string[];
  /** The request body, or undefined when there is none. */
  body: Readable | undefined;
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** HTTP/1.1 raw header list (names as sent), when the upstream spoke HTTP/1.1. */
  rawHeaders?: string[];
  body: Readable;
  /** Trailers once the body has ended (HTTP/2 upstreams: gRPC status). */
  trailers(): Record<string, string | string[] | undefined> | undefined;
  /** Tears the upstream exchange down (client went away). */
  abort(): void;
  /** The whole body when it arrived with the head: use it instead of `body` (which is then empty). */
  complete?: Buffer | undefined;
  /** The Content-Length the upstream sent, when known without building `headers`. */
  contentLength?: number | undefined;
}

const connectCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTDOWN']);

function errCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

export interface UpstreamOptions {
  /** Idle keep-alive sockets are closed after this (ms); below common backend keep-alive timeouts (Node's 5 s). */
  idleTimeoutMs?: number;
  /** Upper bound of idle sockets kept per endpoint. */
  maxFreeSockets?: number;
  /** DNS lookup for ExternalName endpoints (e.g. the cluster DNS); the system resolver otherwise. */
  lookup?: import('node:net').LookupFunction;
  /** Use node:http's client for plain HTTP too (the lean client in h1client.ts is the default). */
  nodeHttpClient?: boolean;
}

/** The upstream side of the proxy: pools and sessions for every endpoint. */
export class Upstreams {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private readonly lookup: import('node:net').LookupFunction | undefined;
  private readonly h1: H1Pool | undefined;

  constructor(opts: UpstreamOptions = {}) {
    if (opts.nodeHttpClient !== true) this.h1 = new H1Pool({ idleTimeoutMs: opts.idleTimeoutMs ?? 4_000, maxIdlePerEndpoint: opts.maxFreeSockets ?? 256 });
    const common = { keepAlive: true, scheduling: 'lifo' as const, maxFreeSockets: opts.maxFreeSockets ?? 256, timeout: opts.idleTimeoutMs ?? 4_000 };
    this.httpAgent = new http.Agent(common);
    this.httpsAgent = new https.Agent({ ...common, rejectUnauthorized: false });
    this.lookup = opts.lookup;
  }

  /** Sends one attempt; resolves with the response head, rejects with an UpstreamError. */
  send(r: UpstreamRequest): Promise<UpstreamResponse> {
    if (r.protocol === 'GRPC' || r.protocol === 'GRPCS') return this.sendH2(r);
    if (r.protocol === 'HTTP' && this.h1 !== undefined && net.isIP(r.endpoint.address) !== 0) return this.h1.send(r);
    return this.sendH1(r);
  }

  private sendH1(r: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const ep = r.endpoint;
      const tls = r.protocol === 'HTTPS';
      let connected = false;
      let sent = false;
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const opts: http.RequestOptions = {
        host: ep.address, port: ep.port, method: r.method, path: r.path, headers: r.headers,
        agent: tls ? this.httpsAgent : this.httpAgent, setHost: false,
      };
      if (this.lookup !== undefined) opts.lookup = this.lookup;
      const req = (tls ? https : http).request(opts);
      const fail = (err: UpstreamError) => {
        if (connectTimer !== undefined) clearTimeout(connectTimer);
        if (settled) return;
        settled = true;
        reject(err);
      };
      const startBody = () => {
        connected = true;
        if (connectTimer !== undefined) clearTimeout(connectTimer);
        sent = true;
        req.setTimeout(r.readTimeoutMs, () => req.destroy(new UpstreamError('read-timeout', ep, true, `upstream ${ep.key} sent no response within ${r.readTimeoutMs / 1000}s (proxy-read-timeout)`)));
        if (r.body === undefined) req.end();
        else r.body.pipe(req);
      };
      req.on('socket', (s: Socket) => {
        if (s.connecting) {
          connectTimer = setTimeout(() => req.destroy(new UpstreamError('connect-timeout', ep, false, `upstream ${ep.key} did not accept the connection within ${r.connectTimeoutMs / 1000}s (proxy-connect-timeout)`)), r.connectTimeoutMs);
          s.once(tls ? 'secureConnect' : 'connect', startBody);
        } else startBody();
      });
      req.on('error', (err: unknown) => {
        if (err instanceof UpstreamError) return fail(err);
        const code = errCode(err);
        const msg = err instanceof Error ? err.message : String(err);
        if (!connected && (connectCodes.has(code) || code === '')) return fail(new UpstreamError('connect', ep, false, `connection to upstream ${ep.key} failed: ${code || msg}`, err));
        if (code.startsWith('HPE_')) return fail(new UpstreamError('protocol', ep, sent, `upstream ${ep.key} sent an invalid response (${code})`, err));
        fail(new UpstreamError('reset', ep, sent, `upstream ${ep.key} closed the connection (${code || msg})${req.reusedSocket ? ' on a reused keep-alive connection' : ''}`, err));
      });
      req.on('response', (res: http.IncomingMessage) => {
        if (settled) {
          res.destroy();
          return;
        }
        settled = true;
        resolve({
          status: res.statusCode ?? 502,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: res,
          trailers: () => (res.rawTrailers.length > 0 ? res.trailers : undefined),
          abort: () => {
            req.destroy();
            res.destroy();
          },
        });
      });
    });
  }

  private session(r: UpstreamRequest): Promise<ClientHttp2Session> {
    const ep = r.endpoint;
    const tls = r.protocol === 'GRPCS';
    const key = `${tls ? 's' : 'c'}|${ep.key}`;
    const existing = this.sessions.get(key);
    if (existing !== undefined && !existing.closed && !existing.destroyed) {
      if (!existing.connecting) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        existing.once('connect', () => resolve(existing));
        existing.once('error', (err) => reject(new UpstreamError('connect', ep, false, `HTTP/2 connection to upstream ${ep.key} failed: ${errCode(err)}`, err)));
      });
    }
    return new Promise((resolve, reject) => {
      const authority = `${tls ? 'https' : 'http'}://${ep.key}`;
      const s = http2.connect(authority, tls ? { rejectUnauthorized: false, ALPNProtocols: ['h2'] } : {});
      this.sessions.set(key, s);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new UpstreamError('connect-timeout', ep, false, `upstream ${ep.key} did not accept the connection within ${r.connectTimeoutMs / 1000}s (proxy-connect-timeout)`));
      }, r.connectTimeoutMs);
      const drop = () => { if (this.sessions.get(key) === s) this.sessions.delete(key); };
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        drop();
        reject(new UpstreamError('connect', ep, false, `HTTP/2 connection to upstream ${ep.key} failed: ${errCode(err) || String(err)}`, err));
      });
      s.once('close', drop);
      s.once('goaway', drop);
      s.setTimeout(60_000, () => s.close());
      s.unref();
    });
  }

  private async sendH2(r: UpstreamRequest): Promise<UpstreamResponse> {
    const ep = r.endpoint;
    const s = await this.session(r);
    return new Promise((resolve, reject) => {
      // nginx's grpc_pass always sends TE: trailers (gRPC servers expect it).
      const headers: http2.OutgoingHttpHeaders = { ':method': r.method, ':path': r.path, ':scheme': r.protocol === 'GRPCS' ? 'https' : 'http', te: 'trailers' };
      for (let i = 0; i < r.headers.length; i += 2) {
        const lk = (r.headers[i] ?? '').toLowerCase();
        const v = r.headers[i + 1] ?? '';
        if (lk === 'host') headers[':authority'] = v;
        else if (lk === 'connection' || lk === 'keep-alive' || lk === 'transfer-encoding' || lk === 'upgrade' || lk === 'proxy-connection' || lk === 'te') continue;
        else {
          const prev = headers[lk];
          headers[lk] = prev === undefined ? v : Array.isArray(prev) ? [...prev.map(String), v] : [String(prev), v];
        }
      }
      let settled = false;
      let stream: ClientHttp2Stream;
      try {
        stream = s.request(headers, { endStream: r.body === undefined });
      } catch (err) {
        reject(new UpstreamError('reset', ep, false, `HTTP/2 request to upstream ${ep.key} failed: ${errCode(err) || String(err)}`, err));
        return;
      }
      let trailers: Record<string, string | string[] | undefined> | undefined;
      stream.on('trailers', (t) => { trailers = t; });
      stream.setTimeout(r.readTimeoutMs, () => stream.destroy(new UpstreamError('read-timeout', ep, true, `upstream ${ep.key} sent no response within ${r.readTimeoutMs / 1000}s (proxy-read-timeout)`)));
      stream.on('error', (err) => {
        if (settled) return;
        settled = true;
        reject(err instanceof UpstreamError ? err : new UpstreamError('reset', ep, true, `upstream ${ep.key} reset the HTTP/2 stream (${errCode(err) || String(err)})`, err));
      });
      stream.on('response', (h) => {
        if (settled) return;
        settled = true;
        const status = Number(h[':status'] ?? 502);
        const out: IncomingHttpHeaders = {};
        for (const [k, v] of Object.entries(h)) if (!k.startsWith(':')) out[k] = v as string | string[];
        resolve({ status, headers: out, body: stream, trailers: () => trailers, abort: () => stream.close(http2.constants.NGHTTP2_CANCEL) });
      });
      if (r.body !== undefined) r.body.pipe(stream);
    });
  }

  /** Closes idle sockets and sessions. */
  close(): void {
    this.h1?.close();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }
}
