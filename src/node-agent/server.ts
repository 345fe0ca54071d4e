// The agent's own HTTPS endpoint, as the kubelet's :10250: `GET /containerLogs/{ns}/{pod}/{container}`,
// `GET /exec/{ns}/{pod}/{container}?command=...` (WebSocket), `GET /pods`, `GET /healthz`. An API
// server in another process proxies pods/log and pods/exec here (remote.ts). Callers present the
// bearer token the agent was given. The certificate is self-signed, made with openssl on first start.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { StatusError, badRequest, internalError, isStatusError, notFoundPath, unauthorized } from '../machinery/status.ts';
import type { NodeAgent } from './agent.ts';
import { serveAttachRequest, serveExecRequest, serveLogs, servePortForwardRequest } from './podio.ts';

export interface AgentServerOptions {
  /** Default 10250; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Bearer token every request must carry. */
  token: string;
  /** Where the serving certificate is kept (default <stateDir>/pki). */
  certDir?: string;
}

/** Makes (once) a self-signed serving certificate for the agent. */
export function ensureServingCert(dir: string, cn: string): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cert = join(dir, 'agent.crt');
  const key = join(dir, 'agent.key');
  if (!existsSync(cert) || !existsSync(key)) {
    const r = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
      '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
    ], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl could not make the agent certificate: ${r.stderr}`);
  }
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

function sendStatus(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(err.status);
  res.writeHead(err.status.code ?? 500, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function socketStatus(socket: Duplex, err: StatusError): void {
  const body = JSON.stringify(err.status);
  socket.end(`HTTP/1.1 ${err.status.code ?? 500} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** /containerLogs/ns/pod/container or /exec/ns/pod/container → parts. */
export function parseAgentPath(path: string): { kind: 'logs' | 'exec' | 'attach' | 'portForward' | 'pods' | 'healthz'; namespace: string; pod: string; container: string } | undefined {
  const parts = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  if (parts[0] === 'healthz' && parts.length === 1) return { kind: 'healthz', namespace: '', pod: '', container: '' };
  if (parts[0] === 'pods' && parts.length === 1) return { kind: 'pods', namespace: '', pod: '', container: '' };
  if ((parts[0] === 'containerLogs' || parts[0] === 'exec' || parts[0] === 'attach') && (parts.length === 4 || parts.length === 3)) {
    return { kind: parts[0] === 'exec' ? 'exec' : parts[0] === 'attach' ? 'attach' : 'logs', namespace: parts[1] ?? '', pod: parts[2] ?? '', container: parts[3] ?? '' };
  }
  if (parts[0] === 'portForward' && parts.length === 3) return { kind: 'portForward', namespace: parts[1] ?? '', pod: parts[2] ?? '', container: '' };
  return undefined;
}

export class AgentServer {
  private readonly agent: NodeAgent;
  private readonly opts: AgentServerOptions;
  private server: Server | undefined;
  private readonly token: Buffer;
  url: string | undefined;

  constructor(agent: NodeAgent, opts: AgentServerOptions) {
    this.agent = agent;
    this.opts = opts;
    this.token = Buffer.from(opts.token);
  }

  private authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (m === null) return false;
    const got = Buffer.from(m[1] ?? '');
    return got.length === this.token.length && timingSafeEqual(got, this.token);
  }

  private route(req: IncomingMessage): { p: NonNullable<ReturnType<typeof parseAgentPath>>; url: URL } {
    if (!this.authorized(req)) throw unauthorized();
    const url = new URL(req.url ?? '/', 'https://agent');
    const p = parseAgentPath(url.pathname);
    if (p === undefined) throw notFoundPath();
    return { p, url };
  }

  private podFor(namespace: string, name: string) {
    const w = this.agent.worker(namespace, name);
    if (w === undefined) throw badRequest(`pod ${namespace}/${name} is not running on node ${this.agent.nodeName}`);
    return w.pod;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { p, url } = this.route(req);
    if (p.kind === 'healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (p.kind === 'pods') {
      const body = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [...this.agent.workers.values()].map((w) => w.pod) });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
      return;
    }
    const q = url.searchParams;
    if (p.container !== '') q.set('container', p.container);
    const pod = this.podFor(p.namespace, p.pod);
    if (p.kind === 'logs') return serveLogs(this.agent, pod, q, req, res);
    throw badRequest('exec needs a WebSocket upgrade');
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { p, url } = this.route(req);
    if (p.kind === 'portForward') {
      await servePortForwardRequest(this.agent, this.podFor(p.namespace, p.pod), req, () => socket, head);
      return;
    }
    if (p.kind !== 'exec' && p.kind !== 'attach') throw notFoundPath();
    const q = url.searchParams;
    if (p.container !== '') q.set('container', p.container);
    const pod = this.podFor(p.namespace, p.pod);
    if (p.kind === 'attach') {
      await serveAttachRequest(this.agent, pod, q, req, () => socket, head);
      return;
    }
    await serveExecRequest(this.agent, pod, q, req, () => socket, head);
  }

  /** Listens; resolves with the port. */
  async start(): Promise<number> {
    const tls = ensureServingCert(this.opts.certDir ?? join(this.agent.stateDir, 'pki'), this.agent.nodeName);
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => sendStatus(res, isStatusError(err) ? err : internalError(err)));
    });
    server.requestTimeout = 0;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => {});
      this.handleUpgrade(req, socket, head).catch((err: unknown) => socketStatus(socket, isStatusError(err) ? err : internalError(err)));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 10250, this.opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.url = `https://${this.opts.host ?? '127.0.0.1'}:${port}`;
    return port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
