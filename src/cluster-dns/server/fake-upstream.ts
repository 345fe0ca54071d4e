// A fake upstream resolver on loopback (UDP and TCP) for forward's tests and the e2e tests:
// answers from zone-file records, NXDOMAIN otherwise, and can be told to be slow, silent,
// truncating or failing. Product code: tests import it, the e2e tests use it as "the internet".
import dgram from 'node:dgram';
import net from 'node:net';
import { parseMessage, serializeMessage } from '../dns/wire.ts';
import { lower } from '../dns/names.ts';
import { parseRRs } from '../dns/zonefile.ts';
import { Rcode, replyTo, rrType, type Message, type RR } from '../dns/types.ts';

export interface FakeUpstreamBehaviour {
  /** Do not answer at all. */
  silent?: boolean;
  /** Answer with this rcode instead of looking up. */
  rcode?: number;
  /** Delay every answer (ms). */
  delayMs?: number;
  /** Over UDP, answer with TC set and no records (forces TCP). */
  truncateUdp?: boolean;
}

export interface FakeUpstream {
  address: string;
  host: string;
  port: number;
  /** Questions seen (`name TYPE proto`). */
  seen: { name: string; type: number; proto: 'udp' | 'tcp' }[];
  behaviour: FakeUpstreamBehaviour;
  setRecords(zone: string): void;
  close(): Promise<void>;
}

/** Starts a fake upstream on 127.0.0.1 (free port) serving `records` (zone-file text). */
export async function startFakeUpstream(records = ''): Promise<FakeUpstream> {
  let rrs: RR[] = parseRRs(records);
  const seen: FakeUpstream['seen'] = [];
  const behaviour: FakeUpstreamBehaviour = {};
  const answer = (q: Message, proto: 'udp' | 'tcp'): Message | undefined => {
    const question = q.question[0];
    if (question === undefined) return replyTo(q, Rcode.FORMERR);
    seen.push({ name: question.name, type: question.type, proto });
    if (behaviour.silent === true) return undefined;
    const m = replyTo(q, behaviour.rcode ?? Rcode.NOERROR);
    m.ra = true;
    if (behaviour.rcode !== undefined) return m;
    if (proto === 'udp' && behaviour.truncateUdp === true) {
      m.tc = true;
      return m;
    }
    const n = lower(question.name);
    const owned = rrs.filter((r) => lower(r.name) === n);
    m.answer = owned.filter((r) => rrType(r) === question.type || (r.type === 'CNAME' && question.type !== 5));
    // Follow CNAMEs as a recursive resolver would.
    for (let i = 0, cur = m.answer; i < 8; i++) {
      const c = cur.find((r) => r.type === 'CNAME');
      if (c === undefined || c.type !== 'CNAME') break;
      const t = lower(c.target);
      cur = rrs.filter((r) => lower(r.name) === t && (rrType(r) === question.type || r.type === 'CNAME'));
      m.answer.push(...cur);
    }
    if (owned.length === 0 && n !== '.') {
      m.rcode = Rcode.NXDOMAIN;
      m.authority = parseRRs('. 60 IN SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 60');
    }
    return m;
  };
  const conns = new Set<net.Socket>();
  const onConn = (s: net.Socket) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const p = parseMessage(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        if (!p.ok) continue;
        const m = answer(p.msg, 'tcp');
        if (m === undefined) continue;
        const out = serializeMessage(m).bytes;
        const hdr = Buffer.alloc(2);
        hdr.writeUInt16BE(out.length, 0);
        setTimeout(() => { if (!s.destroyed) s.write(Buffer.concat([hdr, out])); }, behaviour.delayMs ?? 0);
      }
    });
    s.on('error', () => s.destroy());
  };
  // UDP on a free port, then TCP on the same one (retried when another process holds it).
  let udp: dgram.Socket | undefined;
  let tcp: net.Server | undefined;
  let port = 0;
  for (let attempt = 0; udp === undefined; attempt++) {
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
    port = u.address().port;
    const t = net.createServer(onConn);
    try {
      await new Promise<void>((resolve, reject) => {
        t.once('error', reject);
        t.listen(port, '127.0.0.1', () => { t.off('error', reject); resolve(); });
      });
      udp = u;
      tcp = t;
    } catch (err) {
      u.close();
      if (attempt >= 10) throw err;
    }
  }
  const udpSock = udp;
  const tcpServer = tcp as net.Server;
  udpSock.on('message', (b, rinfo) => {
    const p = parseMessage(b);
    if (!p.ok) return;
    const m = answer(p.msg, 'udp');
    if (m === undefined) return;
    const size = p.msg.edns === undefined ? 512 : Math.max(512, p.msg.edns.udpSize);
    const out = serializeMessage(m, size).bytes;
    setTimeout(() => udpSock.send(out, rinfo.port, rinfo.address), behaviour.delayMs ?? 0);
  });
  return {
    address: `127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    seen,
    behaviour,
    setRecords: (z) => { rrs = parseRRs(z); },
    close: async () => {
      await new Promise<void>((r) => udpSock.close(() => r()));
      const closed = new Promise<void>((r) => tcpServer.close(() => r()));
      for (const c of conns) c.destroy();
      await closed;
    },
  };
}
