// DNS wire format (RFC 1035 §4, RFC 3597, RFC 6891): parse and serialize messages, with name
// compression and size-limited (truncating) output. Pure.
//
// Parsing never throws: malformed input gives `{ ok: false }` with whatever header fields could be
// read, so the server can answer FORMERR (or drop the packet when not even the header was there).
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.ts';
import { escapeLabel, splitName } from './names.ts';
import { Type, type Edns, type EdnsOption, type Message, type Question, type RR } from './types.ts';

/** Why a message could not be read or written; `code` is stable. */
export class WireError extends Error {
  readonly code = 'ERR_DNS_WIRE';
}

export type ParseResult =
  | { ok: true; msg: Message }
  | {
    ok: false;
    error: string;
    /** Header fields, when the 12-byte header was readable (enough for a FORMERR reply). */
    header: { id: number; qr: boolean; opcode: number; rd: boolean } | undefined;
  };

const HEADER = 12;
const MAX_NAME = 255;

class Reader {
  readonly buf: Buffer;
  off = 0;
  constructor(buf: Uint8Array) {
    this.buf = buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.off + n > this.buf.length) throw new WireError(`message truncated at offset ${this.off} (need ${n} bytes)`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.off++] ?? 0;
  }
  u16(): number {
    this.need(2);
    const v = ((this.buf[this.off] ?? 0) << 8) | (this.buf[this.off + 1] ?? 0);
    this.off += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const b = this.buf;
    const o = this.off;
    const v = (((b[o] ?? 0) << 24) >>> 0) + ((b[o + 1] ?? 0) << 16) + ((b[o + 2] ?? 0) << 8) + (b[o + 3] ?? 0);
    this.off += 4;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    // A copy, as a plain Uint8Array (Buffer#slice would share the packet's memory).
    const v = new Uint8Array(this.buf.subarray(this.off, this.off + n));
    this.off += n;
    return v;
  }
  /** A (possibly compressed) name; pointers must point backwards, so loops cannot happen. */
  name(): string {
    const b = this.buf;
    let off = this.off;
    let end = -1;
    let out = '';
    let wire = 1;
    for (;;) {
      if (off >= b.length) throw new WireError('name runs past the end of the message');
      const len = b[off] ?? 0;
      if (len === 0) {
        off++;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (off + 1 >= b.length) throw new WireError('compression pointer truncated');
        const ptr = ((len & 0x3f) << 8) | (b[off + 1] ?? 0);
        if (ptr >= off) throw new WireError(`compression pointer at ${off} does not point backwards`);
        if (end < 0) end = off + 2;
        off = ptr;
        continue;
      }
      if (kind !== 0) throw new WireError(`unsupported label type 0x${kind.toString(16)}`);
      if (off + 1 + len > b.length) throw new WireError('label runs past the end of the message');
      wire += len + 1;
      if (wire > MAX_NAME) throw new WireError('name longer than 255 bytes');
      out += labelText(b, off + 1, len) + '.';
      off += 1 + len;
    }
    this.off = end >= 0 ? end : off;
    return out === '' ? '.' : out;
  }
}

/** Presentation text of a label's bytes (fast path for plain host-name characters). */
function labelText(b: Buffer, start: number, len: number): string {
  let plain = true;
  for (let i = start; i < start + len; i++) {
    const c = b[i] ?? 0;
    // letters, digits, '-', '_', '*', '/'
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2a || c === 0x2f)) {
      plain = false;
      break;
    }
  }
  const raw = b.toString('latin1', start, start + len);
  return plain ? raw : escapeLabel(raw);
}

function readRecord(r: Reader): { rr: RR | undefined; opt: Edns | undefined; extRcode: number } {
  const name = r.name();
  const type = r.u16();
  const klass = r.u16();
  const ttl = r.u32();
  const rdlen = r.u16();
  r.need(rdlen);
  const end = r.off + rdlen;
  const base = { name, class: klass, ttl };
  const done = (rr: RR): { rr: RR; opt: undefined; extRcode: number } => {
    if (r.off !== end) throw new WireError(`${name} type ${type}: rdata length ${rdlen} does not match its content`);
    return { rr, opt: undefined, extRcode: 0 };
  };
  switch (type) {
    case Type.OPT: {
      if (name !== '.') throw new WireError('OPT record with a non-root owner');
      const options: EdnsOption[] = [];
      while (r.off < end) {
        const code = r.u16();
        const len = r.u16();
        if (r.off + len > end) throw new WireError('EDNS option runs past its record');
        options.push({ code, data: r.bytes(len) });
      }
      return { rr: undefined, opt: { udpSize: klass, version: (ttl >>> 16) & 0xff, do: (ttl & 0x8000) !== 0, options }, extRcode: ttl >>> 24 };
    }
    case Type.A: {
      if (rdlen !== 4) throw new WireError(`A record with ${rdlen} bytes of data`);
      const addr = formatIPv4(r.buf, r.off);
      r.off += 4;
      return done({ ...base, type: 'A', address: addr });
    }
    case Type.AAAA: {
      if (rdlen !== 16) throw new WireError(`AAAA record with ${rdlen} bytes of data`);
      const addr = formatIPv6(r.buf, r.off);
      r.off += 16;
      return done({ ...base, type: 'AAAA', address: addr });
    }
    case Type.NS: case Type.CNAME: case Type.PTR: case Type.DNAME: {
      const target = r.name();
      const t = type === Type.NS ? 'NS' : type === Type.CNAME ? 'CNAME' : type === Type.PTR ? 'PTR' : 'DNAME';
      return done({ ...base, type: t, target });
    }
    case Type.SOA: {
      const mname = r.name();
      const rname = r.name();
      return done({ ...base, type: 'SOA', mname, rname, serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() });
    }
    case Type.MX: {
      const preference = r.u16();
      return done({ ...base, type: 'MX', preference, exchange: r.name() });
    }
    case Type.SRV: {
      const priority = r.u16();
      const weight = r.u16();
      const port = r.u16();
      return done({ ...base, type: 'SRV', priority, weight, port, target: r.name() });
    }
    case Type.TXT: {
      const texts: string[] = [];
      while (r.off < end) {
        const len = r.u8();
        if (r.off + len > end) throw new WireError('TXT string runs past its record');
        texts.push(r.buf.toString('latin1', r.off, r.off + len));
        r.off += len;
      }
      return done({ ...base, type: 'TXT', texts });
    }
    case Type.HINFO: {
      const readStr = () => {
        const len = r.u8();
        if (r.off + len > end) throw new WireError('HINFO string runs past its record');
        const s = r.buf.toString('latin1', r.off, r.off + len);
        r.off += len;
        return s;
      };
      const cpu = readStr();
      return done({ ...base, type: 'HINFO', cpu, os: readStr() });
    }
    default:
      return done({ ...base, type: 'RAW', code: type, rdata: r.bytes(rdlen) });
  }
}

/** Reads a DNS message. Never throws; see ParseResult. */
export function parseMessage(buf: Uint8Array): ParseResult {
  if (buf.length < HEADER) return { ok: false, error: `message of ${buf.length} bytes is shorter than a header`, header: undefined };
  const r = new Reader(buf);
  const id = r.u16();
  const flags = r.u16();
  const header = { id, qr: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, rd: (flags & 0x0100) !== 0 };
  try {
    const qd = r.u16();
    const an = r.u16();
    const ns = r.u16();
    const ar = r.u16();
    const msg: Message = {
      id,
      qr: header.qr,
      opcode: header.opcode,
      aa: (flags & 0x0400) !== 0,
      tc: (flags & 0x0200) !== 0,
      rd: header.rd,
      ra: (flags & 0x0080) !== 0,
      z: (flags & 0x0040) !== 0,
      ad: (flags & 0x0020) !== 0,
      cd: (flags & 0x0010) !== 0,
      rcode: flags & 0xf,
      question: [],
      answer: [],
      authority: [],
      additional: [],
      edns: undefined,
    };
    // Each question takes at least 5 bytes and each record 11: refuse absurd counts early.
    if (qd * 5 + (an + ns + ar) * 11 > buf.length - HEADER) throw new WireError('section counts exceed the message size');
    for (let i = 0; i < qd; i++) {
      const name = r.name();
      const q: Question = { name, type: r.u16(), class: r.u16() };
      msg.question.push(q);
    }
    const sections: [number, RR[]][] = [[an, msg.answer], [ns, msg.authority], [ar, msg.additional]];
    for (let s = 0; s < 3; s++) {
      const [count, into] = sections[s] ?? [0, []];
      for (let i = 0; i < count; i++) {
        const { rr, opt, extRcode } = readRecord(r);
        if (opt !== undefined) {
          if (s !== 2) throw new WireError('OPT record outside the additional section');
          if (msg.edns !== undefined) throw new WireError('more than one OPT record');
          msg.edns = opt;
          msg.rcode |= extRcode << 4;
        } else if (rr !== undefined) {
          into.push(rr);
        }
      }
    }
    if (r.off !== buf.length) throw new WireError(`${buf.length - r.off} bytes after the last record`);
    return { ok: true, msg };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err), header };
  }
}

class Writer {
  buf: Uint8Array;
  len = 0;
  /**
   * Compression targets: suffixes as written (case-sensitive) and their offsets. A short list
   * scanned with endsWith beats hashing a new substring per label; after 128 entries new
   * suffixes are no longer remembered (messages that large are rare).
   */
  keys: string[] = [];
  offs: number[] = [];
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  reset(): void {
    this.len = 0;
    this.keys.length = 0;
    this.offs.length = 0;
    // Do not keep a huge buffer around after one large (TCP) message.
    if (this.buf.length > 65536) this.buf = new Uint8Array(4096);
  }
  grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  u8(v: number): void {
    this.grow(1);
    this.buf[this.len++] = v & 0xff;
  }
  u16(v: number): void {
    this.grow(2);
    this.buf[this.len++] = (v >> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }
  u32(v: number): void {
    this.grow(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }
  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  putU16(at: number, v: number): void {
    this.buf[at] = (v >> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  /** Writes a name, pointing at an earlier copy of a suffix when `compress` (and remembering its suffixes). */
  name(name: string, compress: boolean): void {
    if (name === '.' || name === '') {
      this.u8(0);
      return;
    }
    if (name.includes('\\')) {
      this.escapedName(name, compress);
      return;
    }
    // Plain names: walk the text; each suffix (as written, with its trailing dot) is a key.
    const full = name.endsWith('.') ? name : `${name}.`;
    if (full.length + 1 > MAX_NAME) throw new WireError(`name longer than 255 bytes: ${name}`);
    this.grow(full.length + 1);
    let i = 0;
    while (i < full.length) {
      const rest = full.length - i;
      const at = this.find(full, rest);
      if (compress && at >= 0) {
        this.u16(0xc000 | at);
        return;
      }
      const dot = full.indexOf('.', i);
      const len = dot - i;
      if (len === 0) throw new WireError(`empty label in ${name}`);
      if (len > 63) throw new WireError(`label longer than 63 bytes in ${name}`);
      if (at < 0) this.remember(i === 0 ? full : full.substring(i), this.len);
      const b = this.buf;
      b[this.len++] = len;
      for (let j = i; j < dot; j++) b[this.len++] = full.charCodeAt(j) & 0xff;
      i = dot + 1;
    }
    this.buf[this.len++] = 0;
  }
  /** Names with escapes (`\.` inside a label, `\DDD`): split first; keys are NUL-joined labels. */
  private escapedName(name: string, compress: boolean): void {
    const labels = splitName(name);
    let wire = 1;
    for (const l of labels) {
      if (l.length === 0) throw new WireError(`empty label in ${name}`);
      if (l.length > 63) throw new WireError(`label longer than 63 bytes in ${name}`);
      wire += l.length + 1;
    }
    if (wire > MAX_NAME) throw new WireError(`name longer than 255 bytes: ${name}`);
    for (let i = 0; i < labels.length; i++) {
      const key = `\u0000${labels.slice(i).join('\u0000')}`;
      const at = this.find(key, key.length);
      if (compress && at >= 0) {
        this.u16(0xc000 | at);
        return;
      }
      if (at < 0) this.remember(key, this.len);
      const l = labels[i] ?? '';
      this.grow(l.length + 1);
      this.buf[this.len++] = l.length;
      for (let j = 0; j < l.length; j++) this.buf[this.len++] = l.charCodeAt(j) & 0xff;
    }
    this.u8(0);
  }
  /** The offset of a remembered suffix equal to the last `rest` characters of `s`, or -1. */
  private find(s: string, rest: number): number {
    const keys = this.keys;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as string;
      if (key.length === rest && s.endsWith(key)) return this.offs[k] ?? -1;
    }
    return -1;
  }
  private remember(key: string, off: number): void {
    if (off >= 0x3fff || this.keys.length >= 128) return;
    this.keys.push(key);
    this.offs.push(off);
  }
  /** Forgets compression targets at or after `at` (after a rollback). */
  forgetFrom(at: number): void {
    for (let k = this.keys.length - 1; k >= 0; k--) {
      if ((this.offs[k] ?? 0) >= at) {
        this.keys.splice(k, 1);
        this.offs.splice(k, 1);
      }
    }
  }
}

function writeCharString(w: Writer, s: string): void {
  const n = Math.min(s.length, 255);
  w.u8(n);
  w.grow(n);
  for (let i = 0; i < n; i++) w.buf[w.len++] = s.charCodeAt(i) & 0xff;
}

function writeRecord(w: Writer, rr: RR): void {
  w.name(rr.name, true);
  const code = rr.type === 'RAW' ? rr.code : Type[rr.type];
  w.u16(code);
  w.u16(rr.class);
  w.u32(rr.ttl >>> 0);
  const lenAt = w.len;
  w.u16(0);
  const start = w.len;
  switch (rr.type) {
    case 'A': {
      const b = parseIPv4(rr.address);
      if (b === undefined) throw new WireError(`bad IPv4 address ${rr.address}`);
      w.bytes(b);
      break;
    }
    case 'AAAA': {
      const b = parseIPv6(rr.address);
      if (b === undefined) throw new WireError(`bad IPv6 address ${rr.address}`);
      w.bytes(b);
      break;
    }
    case 'NS': case 'CNAME': case 'PTR':
      w.name(rr.target, true);
      break;
    case 'DNAME':
      w.name(rr.target, false);
      break;
    case 'SOA':
      w.name(rr.mname, true);
      w.name(rr.rname, true);
      w.u32(rr.serial);
      w.u32(rr.refresh);
      w.u32(rr.retry);
      w.u32(rr.expire);
      w.u32(rr.minimum);
      break;
    case 'MX':
      w.u16(rr.preference);
      w.name(rr.exchange, true);
      break;
    case 'SRV':
      w.u16(rr.priority);
      w.u16(rr.weight);
      w.u16(rr.port);
      w.name(rr.target, false); // RFC 2782: no compression of the target
      break;
    case 'TXT':
      for (const t of rr.texts) {
        for (let i = 0; i < t.length || (i === 0 && t.length === 0); i += 255) writeCharString(w, t.slice(i, i + 255));
      }
      break;
    case 'HINFO':
      writeCharString(w, rr.cpu);
      writeCharString(w, rr.os);
      break;
    case 'RAW':
      w.bytes(rr.rdata);
      break;
  }
  w.putU16(lenAt, w.len - start);
}

function optSize(e: Edns): number {
  let n = 11;
  for (const o of e.options) n += 4 + o.data.length;
  return n;
}

function writeOpt(w: Writer, e: Edns, rcode: number): void {
  w.u8(0);
  w.u16(Type.OPT);
  w.u16(e.udpSize);
  w.u32((((rcode >> 4) & 0xff) << 24) | ((e.version & 0xff) << 16) | (e.do ? 0x8000 : 0));
  let len = 0;
  for (const o of e.options) len += 4 + o.data.length;
  w.u16(len);
  for (const o of e.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}

export interface SerializeResult {
  bytes: Uint8Array;
  /** True when records were left out to fit `maxSize` (and TC was set for answer/authority cuts). */
  truncated: boolean;
}

/**
 * Writes a message, compressing names. With `maxSize` (UDP: 512 or the EDNS size) records that do
 * not fit are left out: a cut in the answer or authority section sets TC (RFC 2181 §9), a cut in the
 * additional section does not; the OPT record is always kept. Throws WireError for records that
 * cannot be written (a bad address or name) — callers answer SERVFAIL then.
 */
export function serializeMessage(msg: Message, maxSize = 65535): SerializeResult {
  // One scratch writer, reused: serializing is synchronous, and the result is copied out.
  const w = scratch;
  w.reset();
  w.u16(msg.id);
  let flags = 0;
  if (msg.qr) flags |= 0x8000;
  flags |= (msg.opcode & 0xf) << 11;
  if (msg.aa) flags |= 0x0400;
  if (msg.tc) flags |= 0x0200;
  if (msg.rd) flags |= 0x0100;
  if (msg.ra) flags |= 0x0080;
  if (msg.z) flags |= 0x0040;
  if (msg.ad) flags |= 0x0020;
  if (msg.cd) flags |= 0x0010;
  flags |= msg.rcode & 0xf;
  w.u16(flags);
  w.u16(msg.question.length);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  for (const q of msg.question) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  const budget = maxSize - (msg.edns !== undefined ? optSize(msg.edns) : 0);
  let truncated = false;
  let tc = msg.tc;
  const counts = [0, 0, 0];
  const sections = [msg.answer, msg.authority, msg.additional];
  outer: for (let s = 0; s < 3; s++) {
    for (const rr of sections[s] ?? []) {
      const before = w.len;
      writeRecord(w, rr);
      if (w.len > budget) {
        w.len = before;
        w.forgetFrom(before);
        truncated = true;
        if (s < 2) tc = true;
        break outer;
      }
      counts[s] = (counts[s] ?? 0) + 1;
    }
  }
  if (msg.edns !== undefined) {
    writeOpt(w, msg.edns, msg.rcode);
    counts[2] = (counts[2] ?? 0) + 1;
  }
  if (tc) w.buf[2] = (w.buf[2] ?? 0) | 0x02;
  w.putU16(6, counts[0] ?? 0);
  w.putU16(8, counts[1] ?? 0);
  w.putU16(10, counts[2] ?? 0);
  return { bytes: w.buf.slice(0, w.len), truncated };
}

const scratch = new Writer(4096);

/** A minimal reply carrying only the header (for FORMERR to unreadable queries). */
export function headerOnlyReply(h: { id: number; opcode: number; rd: boolean }, rcode: number): Uint8Array {
  const b = new Uint8Array(HEADER);
  b[0] = h.id >> 8;
  b[1] = h.id & 0xff;
  b[2] = 0x80 | ((h.opcode & 0xf) << 3) | (h.rd ? 1 : 0);
  b[3] = rcode & 0xf;
  return b;
}
