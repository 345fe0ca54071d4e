// The real Transport: UDP through one socket per upstream (queries told apart by random ids) and
// TCP with one connection per exchange (RFC 1035 §4.2.2 length prefix). Replies whose id or
// question do not match a pending query are ignored, as stray or spoofed packets.
import dgram from 'node:dgram';
import net from 'node:net';
import { parseMessage, serializeMessage } from '../../dns/wire.ts';
import { lower } from '../../dns/names.ts';
import type { Message } from '../../dns/types.ts';
import type { Proto } from '../../plugin/plugin.ts';
import { ExchangeError, type Transport, type Upstream } from './transport.ts';

interface Pending {
  resolve(m: Message): void;
  reject(e: Error): void;
  question: string;
  origId: number;
  timer: ReturnType<typeof setTimeout>;
}

interface UdpConn {
  sock: dgram.Socket;
  pending: Map<number, Pending>;
}

function questionKey(m: Message): string {
  const q = m.question[0];
  return q === undefined ? '' : `${lower(q.name)}/${q.type}/${q.class}`;
}

/** Makes a Transport over real sockets. `random` picks query ids. */
export function socketTransport(random: () => number = Math.random): Transport {
  const udp = new Map<string, UdpConn>();
  const tcpSockets = new Set<net.Socket>();
  let closed = false;

  const udpConn = (to: Upstream): UdpConn => {
    let c = udp.get(to.label);
    if (c !== undefined) return c;
    const sock = dgram.createSocket(to.host.includes(':') ? 'udp6' : 'udp4');
    const conn: UdpConn = { sock, pending: new Map() };
    sock.on('message', (buf) => {
      const r = parseMessage(buf);
      const id = r.ok ? r.msg.id : r.header?.id;
      if (id === undefined) return;
      const p = conn.pending.get(id);
      if (p === undefined) return;
      if (!r.ok) {
        conn.pending.delete(id);
        clearTimeout(p.timer);
        p.reject(new ExchangeError('ERR_DNS_BAD_REPLY', `unreadable reply from ${to.label}: ${r.error}`));
        return;
      }
      if (questionKey(r.msg) !== p.question && r.msg.question.length > 0) return;
      conn.pending.delete(id);
      clearTimeout(p.timer);
      r.msg.id = p.origId;
      p.resolve(r.msg);
    });
    sock.on('error', (err) => {
      for (const [id, p] of conn.pending) {
        conn.pending.delete(id);
        clearTimeout(p.timer);
        p.reject(new ExchangeError('ERR_DNS_NETWORK', `${to.label}: ${err.message}`, { cause: err }));
      }
      udp.delete(to.label);
      sock.close();
    });
    sock.unref();
    udp.set(to.label, conn);
    c = conn;
    return c;
  };

  const exchangeUDP = (to: Upstream, query: Message, timeoutMs: number): Promise<Message> => {
    const conn = udpConn(to);
    let id = Math.floor(random() * 65536);
    for (let n = 0; conn.pending.has(id) && n < 65536; n++) id = (id + 1) & 0xffff;
    if (conn.pending.has(id)) return Promise.reject(new ExchangeError('ERR_DNS_NETWORK', `${to.label}: too many queries in flight`));
    const bytes = serializeMessage({ ...query, id }).bytes;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.pending.delete(id);
        reject(new ExchangeError('ERR_DNS_TIMEOUT', `read udp ${to.label}: i/o timeout`));
      }, timeoutMs);
      conn.pending.set(id, { resolve, reject, question: questionKey(query), origId: query.id, timer });
      conn.sock.send(bytes, to.port, to.host, (err) => {
        if (err === null || err === undefined) return;
        if (!conn.pending.delete(id)) return;
        clearTimeout(timer);
        reject(new ExchangeError('ERR_DNS_NETWORK', `write udp ${to.label}: ${err.message}`, { cause: err }));
      });
    });
  };

  const exchangeTCP = (to: Upstream, query: Message, timeoutMs: number): Promise<Message> => {
    const id = Math.floor(random() * 65536);
    const body = serializeMessage({ ...query, id }).bytes;
    const frame = Buffer.alloc(body.length + 2);
    frame.writeUInt16BE(body.length, 0);
    frame.set(body, 2);
    return new Promise<Message>((resolve, reject) => {
      const sock = net.connect({ host: to.host, port: to.port });
      tcpSockets.add(sock);
      let buf = Buffer.alloc(0);
      let done = false;
      const finish = (err: Error | undefined, m?: Message) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        tcpSockets.delete(sock);
        sock.destroy();
        if (err !== undefined) reject(err);
        else if (m !== undefined) resolve(m);
      };
      const timer = setTimeout(() => finish(new ExchangeError('ERR_DNS_TIMEOUT', `read tcp ${to.label}: i/o timeout`)), timeoutMs);
      sock.on('connect', () => sock.write(frame));
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2) return;
        const len = buf.readUInt16BE(0);
        if (buf.length < len + 2) return;
        const r = parseMessage(buf.subarray(2, 2 + len));
        if (!r.ok) return finish(new ExchangeError('ERR_DNS_BAD_REPLY', `unreadable reply from ${to.label}: ${r.error}`));
        if (r.msg.id !== id) return finish(new ExchangeError('ERR_DNS_BAD_REPLY', `reply from ${to.label} with id ${r.msg.id}, expected ${id}`));
        r.msg.id = query.id;
        finish(undefined, r.msg);
      });
      sock.on('error', (err) => finish(new ExchangeError('ERR_DNS_NETWORK', `tcp ${to.label}: ${err.message}`, { cause: err })));
      sock.on('close', () => finish(new ExchangeError('ERR_DNS_NETWORK', `tcp ${to.label}: connection closed before a reply`)));
    });
  };

  return {
    exchange(to: Upstream, query: Message, proto: Proto, timeoutMs: number): Promise<Message> {
      if (closed) return Promise.reject(new ExchangeError('ERR_DNS_NETWORK', 'transport closed'));
      return proto === 'tcp' ? exchangeTCP(to, query, timeoutMs) : exchangeUDP(to, query, timeoutMs);
    },
    close(): void {
      closed = true;
      for (const c of udp.values()) {
        for (const p of c.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new ExchangeError('ERR_DNS_NETWORK', 'transport closed'));
        }
        c.pending.clear();
        try { c.sock.close(); } catch { /* already closed */ }
      }
      udp.clear();
      for (const s of tcpSockets) s.destroy();
      tcpSockets.clear();
    },
  };
}
