// TCP and UDP ports from the tcp-services / udp-services ConfigMaps (ingress-nginx's stream
// servers). TCP: each connection goes to a ready endpoint (the next one if the connect fails),
// optionally reading a PROXY protocol v1 header from the client and sending one upstream. UDP: one
// upstream socket per client address; a flow ends after its first response datagram or after
// `udpTimeoutMs` idle (ingress-nginx proxy-stream-responses 1, proxy-stream-timeout). Listeners are
// reconciled against the table: added, re-pointed or closed without touching the others.
import dgram from 'node:dgram';
import net from 'node:net';
import type { L4Service } from '../route-table/types.ts';
import type { Balancer } from './balancer.ts';
import type { IngressMetrics } from './metrics.ts';
import { normalizeClientIP } from './limits.ts';

export interface L4Options {
  host: string;
  balancer: Balancer;
  metrics: IngressMetrics;
  connectTimeoutMs?: number;
  udpTimeoutMs?: number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;
}

interface TCPListener {
  kind: 'TCP';
  svc: L4Service;
  server: net.Server;
  sockets: Set<net.Socket>;
}

interface UDPListener {
  kind: 'UDP';
  svc: L4Service;
  socket: dgram.Socket;
  flows: Map<string, { up: dgram.Socket; timer: NodeJS.Timeout }>;
}

type Listener = TCPListener | UDPListener;

/** Parses a PROXY protocol v1 line; returns the source address and the bytes it used, or undefined while incomplete, or an error. */
export function parseProxyV1(buf: Buffer): { src: string; srcPort: number; dst: string; dstPort: number; length: number } | { error: string } | undefined {
  const end = buf.indexOf('\r\n');
  if (end < 0) return buf.length > 107 ? { error: 'PROXY header too long' } : undefined;
  const line = buf.subarray(0, end).toString('latin1');
  const m = /^PROXY (TCP4|TCP6|UNKNOWN)(?: (\S+) (\S+) (\d+) (\d+))?$/.exec(line);
  if (m === null) return { error: `not a PROXY protocol v1 header: ${JSON.stringify(line.slice(0, 40))}` };
  return { src: m[2] ?? '', srcPort: Number(m[4] ?? 0), dst: m[3] ?? '', dstPort: Number(m[5] ?? 0), length: end + 2 };
}

/** The PROXY protocol v1 line for a connection. */
export function proxyV1Line(src: string, srcPort: number, dst: string, dstPort: number): string {
  const fam = net.isIP(src) === 6 ? 'TCP6' : 'TCP4';
  return `PROXY ${fam} ${src} ${dst} ${srcPort} ${dstPort}\r\n`;
}

export class L4Proxy {
  private readonly listeners = new Map<string, Listener>();
  private readonly opts: L4Options;
  constructor(opts: L4Options) {
    this.opts = opts;
  }

  /** Makes the listeners match `services`; resolves with the ports that could not be bound and why. */
  async reconcile(services: readonly L4Service[]): Promise<{ protocol: string; port: number; error: string }[]> {
    const want = new Map<string, L4Service>();
    for (const s of services) want.set(`${s.protocol}/${s.port}`, s);
    for (const [k, l] of this.listeners) {
      if (!want.has(k)) {
        this.closeListener(l);
        this.listeners.delete(k);
      }
    }
    const errors: { protocol: string; port: number; error: string }[] = [];
    for (const [k, s] of want) {
      const l = this.listeners.get(k);
      if (l !== undefined) {
        l.svc = s;
        continue;
      }
      try {
        this.listeners.set(k, s.protocol === 'TCP' ? await this.listenTCP(s) : await this.listenUDP(s));
      } catch (err) {
        errors.push({ protocol: s.protocol, port: s.port, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return errors;
  }

  /** Bound ports, for inspection. */
  ports(): { protocol: 'TCP' | 'UDP'; port: number }[] {
    return [...this.listeners.values()].map((l) => ({ protocol: l.kind, port: l.svc.port }));
  }

  private listenTCP(svc: L4Service): Promise<TCPListener> {
    return new Promise((resolve, reject) => {
      const l: TCPListener = { kind: 'TCP', svc, server: net.createServer(), sockets: new Set() };
      l.server.on('connection', (c) => this.onTCP(l, c));
      l.server.once('error', reject);
      l.server.listen({ host: this.opts.host, port: svc.port }, () => {
        l.server.off('error', reject);
        l.server.on('error', (err) => this.opts.log?.('warn', `tcp-services port ${svc.port}: ${err.message}`));
        resolve(l);
      });
    });
  }

  private onTCP(l: TCPListener, client: net.Socket): void {
    l.sockets.add(client);
    client.once('close', () => l.sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const svc = l.svc;
    let src = normalizeClientIP(client.remoteAddress);
    let srcPort = client.remotePort ?? 0;
    const start = (pending: Buffer) => this.connectTCP(l, svc, client, pending, src, srcPort, new Set());
    if (!svc.proxyProtocolDecode) {
      start(Buffer.alloc(0));
      return;
    }
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const r = parseProxyV1(buf);
      if (r === undefined) return;
      client.off('data', onData);
      client.pause();
      if ('error' in r) {
        this.opts.log?.('warn', `tcp-services port ${svc.port}: ${r.error}`);
        client.destroy();
        return;
      }
      if (r.src !== '') {
        src = r.src;
        srcPort = r.srcPort;
      }
      start(buf.subarray(r.length));
    };
    client.on('data', onData);
    client.resume();
  }

  private connectTCP(l: TCPListener, svc: L4Service, client: net.Socket, pending: Buffer, src: string, srcPort: number, tried: Set<string>): void {
    const m = this.opts.metrics;
    const port = String(svc.port);
    const ep = this.opts.balancer.pick(svc.backend, tried);
    if (ep === undefined || tried.has(ep.key)) {
      m.l4Connections.inc({ protocol: 'TCP', port, result: svc.backend.endpoints.length === 0 ? 'no-endpoints' : 'failed' });
      client.destroy();
      return;
    }
    tried.add(ep.key);
    const up = net.connect({ host: ep.address, port: ep.port });
    l.sockets.add(up);
    up.once('close', () => l.sockets.delete(up));
    const timer = setTimeout(() => up.destroy(new Error('connect timeout')), this.opts.connectTimeoutMs ?? 5_000);
    let connected = false;
    up.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      m.l4Connections.inc({ protocol: 'TCP', port, result: 'ok' });
      if (svc.proxyProtocolEncode) up.write(proxyV1Line(src, srcPort, client.localAddress ?? '0.0.0.0', client.localPort ?? svc.port));
      if (pending.length > 0) up.write(pending);
      up.pipe(client);
      client.pipe(up);
      client.resume();
    });
    up.on('error', (err) => {
      clearTimeout(timer);
      if (!connected && !client.destroyed) {
        this.opts.balancer.markFailed(ep);
        this.opts.log?.('warn', `tcp-services port ${svc.port}: ${ep.key}: ${err.message}`);
        this.connectTCP(l, svc, client, pending, src, srcPort, tried);
        return;
      }
      client.destroy();
    });
    up.once('close', () => client.destroy());
    client.once('close', () => up.destroy());
  }

  private listenUDP(svc: L4Service): Promise<UDPListener> {
    return new Promise((resolve, reject) => {
      const fam = net.isIP(this.opts.host) === 6 ? 'udp6' : 'udp4';
      const l: UDPListener = { kind: 'UDP', svc, socket: dgram.createSocket(fam), flows: new Map() };
      l.socket.once('error', reject);
      l.socket.on('message', (msg, rinfo) => this.onUDP(l, msg, rinfo));
      l.socket.bind({ address: this.opts.host, port: svc.port }, () => {
        l.socket.off('error', reject);
        l.socket.on('error', (err) => this.opts.log?.('warn', `udp-services port ${svc.port}: ${err.message}`));
        resolve(l);
      });
    });
  }

  private onUDP(l: UDPListener, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    const existing = l.flows.get(key);
    if (existing !== undefined) {
      existing.up.send(msg);
      return;
    }
    const ep = this.opts.balancer.pick(l.svc.backend);
    const port = String(l.svc.port);
    if (ep === undefined) {
      this.opts.metrics.l4Connections.inc({ protocol: 'UDP', port, result: 'no-endpoints' });
      return;
    }
    const up = dgram.createSocket(net.isIP(ep.address) === 6 ? 'udp6' : 'udp4');
    const close = () => {
      const f = l.flows.get(key);
      if (f?.up === up) {
        clearTimeout(f.timer);
        l.flows.delete(key);
      }
      try {
        up.close();
      } catch {
        // already closed
      }
    };
    const timer = setTimeout(close, this.opts.udpTimeoutMs ?? 600_000);
    l.flows.set(key, { up, timer });
    up.on('error', close);
    up.on('message', (reply) => {
      l.socket.send(reply, rinfo.port, rinfo.address);
      close(); // proxy_responses 1
    });
    up.connect(ep.port, ep.address, () => {
      this.opts.metrics.l4Connections.inc({ protocol: 'UDP', port, result: 'ok' });
      up.send(msg);
    });
  }

  private closeListener(l: Listener): void {
    if (l.kind === 'TCP') {
      l.server.close();
      for (const s of l.sockets) s.destroy();
    } else {
      for (const f of l.flows.values()) {
        clearTimeout(f.timer);
        try {
          f.up.close();
        } catch {
          // already closed
        }
      }
      l.flows.clear();
      l.socket.close();
    }
  }

  /** Closes every listener and connection. */
  close(): void {
    for (const l of this.listeners.values()) this.closeListener(l);
    this.listeners.clear();
  }
}
