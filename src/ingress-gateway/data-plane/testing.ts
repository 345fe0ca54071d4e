// Test helpers shared by the data plane tests, the end-to-end tests and the bench: echo upstreams
// (local Node HTTP servers on loopback that answer with what they received), a small HTTP client
// with Host/SNI control, and raw-socket requests. Product code so other tests can import it.
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';

/** What an echo upstream saw. */
export interface Echo {
  name: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A running echo upstream. */
export interface EchoServer {
  name: string;
  port: number;
  /** Requests received (most recent last). */
  seen: Echo[];
  server: http.Server;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 that answers every request with a JSON Echo (and supports `?status=N`, `?sleep=ms`). */
export function startEcho(name: string, handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => boolean): Promise<EchoServer> {
  return new Promise((resolve) => {
    const seen: Echo[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const e: Echo = { name, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        seen.push(e);
        if (handler?.(req, res, body) === true) return;
        const u = new URL(req.url ?? '/', 'http://x');
        const status = Number(u.searchParams.get('status') ?? 200);
        const sleep = Number(u.searchParams.get('sleep') ?? 0);
        const send = () => {
          const text = JSON.stringify(e);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-upstream': name });
          res.end(text);
        };
        if (sleep > 0) setTimeout(send, sleep);
        else send();
      });
    });
    server.keepAliveTimeout = 5_000;
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        name, port, seen, server,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Parsed Echo when the body is one. */
  echo?: Echo;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP/1.1 request to 127.0.0.1:port with the given Host; resolves with status, headers and body. */
export function get(port: number, path: string, opts: { host?: string; method?: string; headers?: Record<string, string>; body?: string; https?: { servername?: string; ca?: string }; agent?: http.Agent | false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.host !== undefined) headers['host'] = opts.host;
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const o: https.RequestOptions = { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers, agent: opts.agent ?? (opts.https !== undefined ? false : agent) };
    if (opts.https !== undefined) {
      if (opts.https.servername !== undefined) o.servername = opts.https.servername;
      if (opts.https.ca !== undefined) o.ca = opts.https.ca;
      else o.rejectUnauthorized = false;
    }
    const req = (opts.https !== undefined ? https : http).request(o, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const r: Reply = { status: res.statusCode ?? 0, headers: res.headers, body };
        if ((res.headers['content-type'] ?? '').startsWith('application/json')) {
          try {
            r.echo = JSON.parse(body) as Echo;
          } catch {
            // not an echo
          }
        }
        resolve(r);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Sends raw bytes and resolves with everything received until the server closes (or `ms` pass). */
export function rawRequest(port: number, data: string | Buffer, ms = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const t = setTimeout(done, ms);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('close', done);
    s.on('error', done);
  });
}

/** The certificate a TLS server presents for an SNI name (subject CN and SAN). */
export function peerCertificate(port: number, servername: string | undefined): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const o: tls.ConnectionOptions = { host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] };
    if (servername !== undefined) o.servername = servername;
    const s = tls.connect(o, () => {
      const c = s.getPeerCertificate();
      s.end();
      resolve(c);
    });
    s.on('error', reject);
  });
}

/** Closes the shared client agent (end of a test file). */
export function closeClients(): void {
  agent.destroy();
}
