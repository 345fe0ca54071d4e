// A minimal stub resolver for tests and tools: one query over UDP or TCP to host:port.
import dgram from 'node:dgram';
import net from 'node:net';
import { parseMessage, serializeMessage } from '../dns/wire.ts';
import { Class, newMessage, typeCode, type Message } from '../dns/types.ts';

export interface QueryOptions {
  proto?: 'udp' | 'tcp';
  /** EDNS buffer size (absent: no OPT). */
  edns?: number;
  do?: boolean;
  timeoutMs?: number;
  rd?: boolean;
}

/** Splits `127.0.0.1:5353` / `[::1]:5353`. */
export function splitAddress(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(addr);
  if (m === null) throw new Error(`bad address ${addr}`);
  return { host: m[1] ?? '', port: Number(m[2]) };
}

/** Sends raw bytes and returns the raw reply (undefined on timeout). */
export function exchangeRaw(addr: string, bytes: Uint8Array, proto: 'udp' | 'tcp' = 'udp', timeoutMs = 2000): Promise<Uint8Array | undefined> {
  const { host, port } = splitAddress(addr);
  if (proto === 'udp') {
    return new Promise((resolve) => {
      const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      const t = setTimeout(() => { s.close(); resolve(undefined); }, timeoutMs);
      s.on('message', (b) => { clearTimeout(t); s.close(); resolve(new Uint8Array(b)); });
      s.on('error', () => { clearTimeout(t); s.close(); resolve(undefined); });
      s.send(bytes, port, host);
    });
  }
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => { s.destroy(); resolve(undefined); }, timeoutMs);
    const done = (v: Uint8Array | undefined) => { clearTimeout(t); s.destroy(); resolve(v); };
    s.on('connect', () => {
      const hdr = Buffer.alloc(2);
      hdr.writeUInt16BE(bytes.length, 0);
      s.write(Buffer.concat([hdr, bytes]));
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(new Uint8Array(buf.subarray(2, 2 + buf.readUInt16BE(0))));
    });
    s.on('error', () => done(undefined));
    s.on('close', () => done(undefined));
  });
}

/** Asks one question; rejects on timeout or an unreadable reply. */
export async function query(addr: string, name: string, type: string | number, o: QueryOptions = {}): Promise<Message & { size: number }> {
  const t = typeof type === 'number' ? type : typeCode(type);
  if (t === undefined) throw new Error(`unknown type ${String(type)}`);
  const m = newMessage(Math.floor(Math.random() * 65536));
  m.rd = o.rd ?? true;
  m.question.push({ name: name.endsWith('.') ? name : `${name}.`, type: t, class: Class.IN });
  if (o.edns !== undefined) m.edns = { udpSize: o.edns, version: 0, do: o.do ?? false, options: [] };
  const raw = await exchangeRaw(addr, serializeMessage(m).bytes, o.proto ?? 'udp', o.timeoutMs ?? 2000);
  if (raw === undefined) throw new Error(`no answer from ${addr} for ${name} ${String(type)}`);
  const r = parseMessage(raw);
  if (!r.ok) throw new Error(`unreadable answer: ${r.error}`);
  if (r.msg.id !== m.id) throw new Error(`answer id ${r.msg.id} does not match ${m.id}`);
  return { ...r.msg, size: raw.length };
}
