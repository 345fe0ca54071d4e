// The data plane's listeners: HTTP/1.1 on the http port, TLS with ALPN (h2 and http/1.1) on the
// https port with SNI certificates, a metrics/health port, and the tcp/udp-services ports. Route
// tables are applied whole (apply()); requests in flight finish on the table they started with.
// Malformed requests (conflicting Content-Length/Transfer-Encoding, bad framing, oversized headers)
// are refused by Node's llhttp before any routing: 400/431, never reaching a backend.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2SecureServer } from 'node:http2';
import type { AddressInfo, LookupFunction, Socket } from 'node:net';
import type { Duplex, Writable } from 'node:stream';
import type { RouteTable } from '../route-table/types.ts';
import { AccessLog } from './access-log.ts';
import { newAuthAgents, type AuthAgents } from './auth.ts';
import { IngressHandler, type ListenerInfo } from './handler.ts';
import { L4Proxy } from './l4.ts';
import { IngressMetrics } from './metrics.ts';
import { rawResponse } from './responses.ts';
import type { GeneratedCertificate } from './selfsigned.ts';
import { CertificateStore } from './tls.ts';
import { Upstreams } from './upstream.ts';
import { handleUpgrade } from './websocket.ts';

export interface DataPlaneOptions {
  /** Address the HTTP, HTTPS and L4 listeners bind (default 127.0.0.1). */
  host?: string;
  /** 0 picks a free port. */
  httpPort?: number;
  httpsPort?: number;
  /** Metrics and health listener port; null for none (default 0: a free port). */
  metricsPort?: number | null;
  metricsHost?: string;
  /** Access log destination (ingress-nginx's format); none when absent. */
  accessLog?: Writable;
  /** The certificate served when no Secret matches the SNI name; generated when absent. */
  defaultCertificate?: GeneratedCertificate;
  useForwardedHeaders?: boolean;
  computeFullForwardedFor?: boolean;
  /** Largest request head (HTTP/1.1) in bytes; larger ones get 431 (default 16 KiB). */
  maxHeaderSize?: number;
  /** Idle keep-alive timeout for client connections (nginx keepalive_timeout 75s). */
  keepAliveTimeoutMs?: number;
  controllerClass?: string;
  controllerNamespace?: string;
  controllerPod?: string;
  /** Resolver for ExternalName Services and auth-url hosts (e.g. the cluster DNS). */
  lookup?: LookupFunction;
  random?: () => number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;
}

export interface ApplyResult {
  /** Certificates that failed to load (their hosts get the default certificate). */
  certificateErrors: { secret: string; error: string }[];
  /** tcp/udp-services ports that could not be bound. */
  l4Errors: { protocol: string; port: number; error: string }[];
}

function addr(s: { address(): AddressInfo | string | null }): AddressInfo {
  const a = s.address();
  if (a === null || typeof a === 'string') throw new Error('listener has no TCP address');
  return a;
}

function listen(server: { listen(port: number, host: string, cb: () => void): unknown; once(ev: 'error', cb: (err: Error) => void): unknown; off(ev: 'error', cb: (err: Error) => void): unknown }, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onErr = (err: Error) => reject(err);
    server.once('error', onErr);
    server.listen(port, host, () => {
      server.off('error', onErr);
      resolve();
    });
  });
}

/** Refuses a request the HTTP parser rejected, as nginx would: 400, 408 or 431, then closes. */
function onClientError(metrics: IngressMetrics, err: NodeJS.ErrnoException, socket: Duplex): void {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  metrics.clientErrors.inc({ code: String(status) });
  const detail = status === 431 ? 'request header fields too large' : status === 408 ? 'the request head was not received in time'
    : code === 'HPE_UNEXPECTED_CONTENT_LENGTH' || code === 'HPE_INVALID_TRANSFER_ENCODING' ? 'conflicting or invalid Content-Length / Transfer-Encoding' : 'malformed request';
  const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (busy !== undefined && busy !== null) {
    socket.destroy();
    return;
  }
  socket.end(rawResponse(status, detail));
}

/** The running data plane. */
export class DataPlane {
  readonly handler: IngressHandler;
  readonly metrics: IngressMetrics;
  readonly certificates: CertificateStore;
  readonly l4: L4Proxy;
  private readonly httpServer: http.Server;
  private readonly httpsServer: Http2SecureServer;
  private metricsServer: http.Server | undefined;
  private readonly sockets = new Set<Duplex>();
  private readonly upstreams: Upstreams;
  private readonly authAgents: AuthAgents;
  private readonly accessLog: AccessLog | undefined;
  private readonly opts: DataPlaneOptions;
  private httpsPortValue = 0;
  private stopped = false;

  private constructor(opts: DataPlaneOptions) {
    this.opts = opts;
    this.metrics = new IngressMetrics();
    this.upstreams = new Upstreams(opts.lookup !== undefined ? { lookup: opts.lookup } : {});
    this.authAgents = newAuthAgents();
    this.accessLog = opts.accessLog !== undefined ? new AccessLog(opts.accessLog) : undefined;
    const hopts: ConstructorParameters<typeof IngressHandler>[0] = {
      metrics: this.metrics, httpsPort: () => this.httpsPortValue,
    };
    if (this.accessLog !== undefined) hopts.accessLog = this.accessLog;
    for (const k of ['useForwardedHeaders', 'computeFullForwardedFor', 'controllerClass', 'controllerNamespace', 'controllerPod', 'lookup', 'random', 'log'] as const) {
      if (opts[k] !== undefined) (hopts as unknown as Record<string, unknown>)[k] = opts[k];
    }
    this.handler = new IngressHandler(hopts, this.upstreams, this.authAgents);
    this.certificates = new CertificateStore(opts.defaultCertificate);
    const l4opts: ConstructorParameters<typeof L4Proxy>[0] = { host: opts.host ?? '127.0.0.1', balancer: this.handler.balancer, metrics: this.metrics };
    if (opts.log !== undefined) l4opts.log = opts.log;
    this.l4 = new L4Proxy(l4opts);
    const keepAliveTimeout = opts.keepAliveTimeoutMs ?? 75_000;

    this.httpServer = http.createServer({ maxHeaderSize: opts.maxHeaderSize ?? 16_384, keepAliveTimeout, requireHostHeader: true });
    this.httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => this.handler.serve(req, res, this.httpListener));
    this.httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(this.handler, req, socket, head, this.httpListener));
    this.httpServer.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => onClientError(this.metrics, err, socket));
    this.track(this.httpServer, 'http');

    this.httpsServer = http2.createSecureServer({
      allowHTTP1: true,
      SNICallback: this.certificates.sniCallback,
      cert: this.certificates.defaultCert.cert,
      key: this.certificates.defaultCert.key,
      settings: { maxHeaderListSize: 65_536 },
      http1Options: { keepAliveTimeout },
    });
    this.httpsServer.on('request', (req, res) => this.handler.serve(req, res, this.httpsListener));
    this.httpsServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(this.handler, req, socket, head, this.httpsListener));
    this.httpsServer.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => onClientError(this.metrics, err, socket));
    this.httpsServer.on('tlsClientError', () => { this.metrics.clientErrors.inc({ code: 'tls' }); });
    this.httpsServer.setTimeout(keepAliveTimeout);
    this.track(this.httpsServer, 'https');
  }

  private httpListener: ListenerInfo = { scheme: 'http', port: 0 };
  private httpsListener: ListenerInfo = { scheme: 'https', port: 0 };

  private track(server: http.Server | Http2SecureServer, name: string): void {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      this.metrics.connections.add({ listener: name }, 1);
      s.once('close', () => {
        this.sockets.delete(s);
        this.metrics.connections.add({ listener: name }, -1);
      });
    });
  }

  /** Starts the listeners. */
  static async start(opts: DataPlaneOptions = {}): Promise<DataPlane> {
    const dp = new DataPlane(opts);
    const host = opts.host ?? '127.0.0.1';
    try {
      await listen(dp.httpServer, opts.httpPort ?? 0, host);
      await listen(dp.httpsServer, opts.httpsPort ?? 0, host);
      dp.httpListener = { scheme: 'http', port: addr(dp.httpServer).port };
      dp.httpsListener = { scheme: 'https', port: addr(dp.httpsServer).port };
      dp.httpsPortValue = dp.httpsListener.port;
      if (opts.metricsPort !== null) {
        dp.metricsServer = http.createServer((req, res) => dp.serveMetrics(req, res));
        await listen(dp.metricsServer, opts.metricsPort ?? 0, opts.metricsHost ?? host);
      }
    } catch (err) {
      await dp.stop();
      throw err;
    }
    return dp;
  }

  private serveMetrics(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(this.metrics.render());
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (path === '/readyz') {
      const ok = this.handler.synced;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'not synced\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 Not Found\n');
    }
  }

  get httpAddress(): AddressInfo {
    return addr(this.httpServer);
  }

  get httpsAddress(): AddressInfo {
    return addr(this.httpsServer);
  }

  get metricsAddress(): AddressInfo | undefined {
    return this.metricsServer === undefined ? undefined : addr(this.metricsServer);
  }

  /** Applies a compiled table: routes, certificates (hot reload), tcp/udp-services ports. */
  async apply(table: RouteTable): Promise<ApplyResult> {
    const certificateErrors = this.certificates.update(table.certificates);
    this.handler.setTable(table);
    const l4Errors = this.stopped ? [] : await this.l4.reconcile(table.l4);
    this.metrics.servers.set({}, table.hosts.size + table.wildcards.size + 1);
    this.metrics.certificates.set({}, this.certificates.size);
    this.metrics.lastSync.set({}, Date.now() / 1000);
    return { certificateErrors, l4Errors };
  }

  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then closes everything. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const closing = [this.httpServer, this.httpsServer, this.metricsServer].filter((s) => s !== undefined && s.listening).map((s) => new Promise<void>((r) => s?.close(() => r())));
    this.httpServer.closeIdleConnections();
    this.metricsServer?.closeAllConnections();
    this.l4.close();
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, graceMs);
    await Promise.all(closing);
    clearTimeout(timer);
    for (const s of this.sockets) s.destroy();
    this.accessLog?.flush();
    this.upstreams.close();
    this.authAgents.http.destroy();
    this.authAgents.https.destroy();
  }
}
