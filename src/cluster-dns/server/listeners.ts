// Sockets: a UDP socket and a TCP server on one address, both feeding a QueryHandler; and the
// HTTP listener for health, ready and metrics routes. The only I/O of the server besides
// forward's upstream sockets.
import dgram from 'node:dgram';
import net from 'node:net';
import http from 'node:http';
import type { QueryHandler, Remote } from './handle.ts';
import type { HttpRoute } from '../plugin/plugin.ts';

export interface DnsListener {
  host: string;
  udpPort: number;
  tcpPort: number;
  close(): Promise<void>;
}

function family(addr: string): 4 | 6 {
  return addr.includes(':') && !addr.startsWith('::ffff:') ? 6 : 4;
}

function remoteOf(address: string, port: number): Remote {
  const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  return { address: a, port, family: family(a) };
}

/** TCP connections idle this long are closed (CoreDNS's idle timeout is 10 s as well). */
const tcpIdleMs = 10_000;

/**
 * Binds UDP and TCP on host:port (port 0: a free UDP port, then TCP on the same port; retried a
 * few times when TCP finds it taken).
 */
export async function listenDns(host: string, port: number, handler: () => QueryHandler, onError: (msg: string) => void): Promise<DnsListener> {
  for (let attempt = 0; ; attempt++) {
    // Replies go to the IP the query came from: answer the address "lookup" at once instead of
    // through dns.lookup's extra tick per send.
    const ipv6 = host.includes(':');
    const udp = dgram.createSocket({
      type: ipv6 ? 'udp6' : 'udp4',
      reuseAddr: false,
      lookup: (address, _opts, cb) => { cb(null, address, address.includes(':') ? 6 : 4); },
    });
    const udpPort = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve(udp.address().port);
      });
    });
    const sockets = new Set<net.Socket>();
    const tcp = net.createServer((s) => serveTcp(s, handler, sockets, onError));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ port: udpPort, host, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      if (port === 0 && attempt < 5 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw err;
    }
    let closing = false;
    udp.on('message', (buf, rinfo) => {
      handler().handle(buf, 'udp', remoteOf(rinfo.address, rinfo.port)).then((out) => {
        if (out === undefined || closing) return;
        // An answer that completes after close() has nowhere to go; send() would throw synchronously.
        try {
          udp.send(out, rinfo.port, rinfo.address);
        } catch (err) {
          onError(`udp send: ${String(err)}`);
        }
      }, (err: unknown) => onError(`udp: ${String(err)}`));
    });
    udp.on('error', (err) => onError(`udp ${host}:${udpPort}: ${err.message}`));
    tcp.on('error', (err) => onError(`tcp ${host}:${udpPort}: ${err.message}`));
    return {
      host,
      udpPort,
      tcpPort: udpPort,
      close: async () => {
        closing = true;
        const closed = Promise.all([
          new Promise<void>((r) => udp.close(() => r())),
          new Promise<void>((r) => tcp.close(() => r())),
        ]);
        for (const s of sockets) s.destroy();
        await closed;
      },
    };
  }
}

function serveTcp(s: net.Socket, handler: () => QueryHandler, sockets: Set<net.Socket>, onError: (msg: string) => void): void {
  sockets.add(s);
  s.setNoDelay(true);
  s.setTimeout(tcpIdleMs, () => s.destroy());
  const remote = remoteOf(s.remoteAddress ?? '', s.remotePort ?? 0);
  let buf: Buffer = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const frame = buf.subarray(2, 2 + len);
      buf = buf.subarray(2 + len);
      handler().handle(frame, 'tcp', remote).then((out) => {
        if (out === undefined || s.destroyed) return;
        const hdr = Buffer.alloc(2);
        hdr.writeUInt16BE(out.length, 0);
        s.write(Buffer.concat([hdr, out]));
      }, (err: unknown) => onError(`tcp: ${String(err)}`));
    }
  });
  s.on('error', () => s.destroy());
  s.on('close', () => sockets.delete(s));
}

export interface HttpListener {
  address: string;
  port: number;
  setRoutes(routes: readonly HttpRoute[]): void;
  close(): Promise<void>;
}

/** An HTTP listener whose routes can be swapped (reload keeps the socket when the address stays). */
export async function listenHttp(host: string, port: number): Promise<HttpListener> {
  let routes = new Map<string, HttpRoute>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const r = routes.get(path);
    if (r === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
      return;
    }
    const out = r.handle();
    res.writeHead(out.status, { 'content-type': out.contentType ?? 'text/plain; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : out.body);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    setRoutes: (rs) => { routes = new Map(rs.map((r) => [r.path, r])); },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
