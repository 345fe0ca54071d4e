// SPDY/3.1 framing, as kubectl port-forward speaks it (client-go over moby/spdystream): an 8-byte
// header per frame, control frames (SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY,
// HEADERS, WINDOW_UPDATE) and data frames. Header blocks are zlib-compressed with one context per
// direction (see session.ts); here they stay opaque bytes. Pure: bytes in, frames out, and back.

export const spdyVersion = 3;

export const FrameType = {
  synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9,
} as const;

/** RST_STREAM status codes. */
export const RstStatus = {
  protocolError: 1, invalidStream: 2, refusedStream: 3, unsupportedVersion: 4, cancel: 5,
  internalError: 6, flowControlError: 7, streamInUse: 8, streamAlreadyClosed: 9,
} as const;

export const FlagFin = 0x01;
export const FlagUnidirectional = 0x02;

/** Control frames carry headers and pings; nothing legitimate comes near this size. */
export const maxControlFrame = 1 << 20;
/** The largest data frame we send; the format allows 2^24-1. */
export const maxDataChunk = 32 * 1024;

export type SpdyFrame =
  | { kind: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { kind: 'synStream'; streamId: number; associatedId: number; priority: number; fin: boolean; unidirectional: boolean; headerBlock: Buffer }
  | { kind: 'synReply'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { kind: 'rstStream'; streamId: number; status: number }
  | { kind: 'settings'; entries: Array<{ flags: number; id: number; value: number }> }
  | { kind: 'ping'; id: number }
  | { kind: 'goAway'; lastGoodStreamId: number; status: number }
  | { kind: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { kind: 'windowUpdate'; streamId: number; delta: number }
  | { kind: 'unknown'; type: number };

export class SpdyProtocolError extends Error {}

/** Splits a byte stream into frames; keeps partial frames for the next push. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: SpdyFrame[] = [];
    while (this.buf.length >= 8) {
      const length = this.buf.readUInt32BE(4) & 0xffffff;
      const control = (this.buf[0] ?? 0) & 0x80;
      if (control !== 0 && length > maxControlFrame) throw new SpdyProtocolError(`control frame of ${length} bytes exceeds the ${maxControlFrame}-byte limit`);
      if (this.buf.length < 8 + length) break;
      const frame = this.buf.subarray(0, 8 + length);
      this.buf = this.buf.subarray(8 + length);
      out.push(decodeFrame(frame));
    }
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return out;
  }
}

/** One whole frame (header and payload) → its fields. */
export function decodeFrame(b: Buffer): SpdyFrame {
  const flags = b[4] ?? 0;
  const p = b.subarray(8);
  const need = (n: number, what: string): void => {
    if (p.length < n) throw new SpdyProtocolError(`${what} frame too short (${p.length} bytes)`);
  };
  if (((b[0] ?? 0) & 0x80) === 0) {
    return { kind: 'data', streamId: b.readUInt32BE(0) & 0x7fffffff, fin: (flags & FlagFin) !== 0, data: Buffer.from(p) };
  }
  const version = b.readUInt16BE(0) & 0x7fff;
  if (version !== spdyVersion) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
  const type = b.readUInt16BE(2);
  switch (type) {
    case FrameType.synStream:
      need(10, 'SYN_STREAM');
      return {
        kind: 'synStream', streamId: p.readUInt32BE(0) & 0x7fffffff, associatedId: p.readUInt32BE(4) & 0x7fffffff,
        priority: (p[8] ?? 0) >> 5, fin: (flags & FlagFin) !== 0, unidirectional: (flags & FlagUnidirectional) !== 0,
        headerBlock: Buffer.from(p.subarray(10)),
      };
    case FrameType.synReply:
      need(4, 'SYN_REPLY');
      return { kind: 'synReply', streamId: p.readUInt32BE(0) & 0x7fffffff, fin: (flags & FlagFin) !== 0, headerBlock: Buffer.from(p.subarray(4)) };
    case FrameType.rstStream:
      need(8, 'RST_STREAM');
      return { kind: 'rstStream', streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
    case FrameType.settings: {
      need(4, 'SETTINGS');
      const n = p.readUInt32BE(0);
      need(4 + n * 8, 'SETTINGS');
      const entries = [];
      for (let i = 0; i < n; i++) {
        const fid = p.readUInt32BE(4 + i * 8);
        entries.push({ flags: fid >>> 24, id: fid & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { kind: 'settings', entries };
    }
    case FrameType.ping:
      need(4, 'PING');
      return { kind: 'ping', id: p.readUInt32BE(0) };
    case FrameType.goAway:
      need(4, 'GOAWAY');
      return { kind: 'goAway', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
    case FrameType.headers:
      need(4, 'HEADERS');
      return { kind: 'headers', streamId: p.readUInt32BE(0) & 0x7fffffff, fin: (flags & FlagFin) !== 0, headerBlock: Buffer.from(p.subarray(4)) };
    case FrameType.windowUpdate:
      need(8, 'WINDOW_UPDATE');
      return { kind: 'windowUpdate', streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      return { kind: 'unknown', type };
  }
}

function controlHeader(type: number, flags: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | spdyVersion, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24 | length) >>> 0, 4);
  return h;
}

/** The bytes of one frame. */
export function encodeFrame(f: SpdyFrame): Buffer {
  switch (f.kind) {
    case 'data': {
      const h = Buffer.alloc(8);
      h.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      h.writeUInt32BE(((f.fin ? FlagFin : 0) << 24 | f.data.length) >>> 0, 4);
      return Buffer.concat([h, f.data]);
    }
    case 'synStream': {
      const p = Buffer.alloc(10);
      p.writeUInt32BE(f.streamId, 0);
      p.writeUInt32BE(f.associatedId, 4);
      p[8] = (f.priority & 7) << 5;
      const flags = (f.fin ? FlagFin : 0) | (f.unidirectional ? FlagUnidirectional : 0);
      return Buffer.concat([controlHeader(FrameType.synStream, flags, 10 + f.headerBlock.length), p, f.headerBlock]);
    }
    case 'synReply':
    case 'headers': {
      const p = Buffer.alloc(4);
      p.writeUInt32BE(f.streamId, 0);
      const type = f.kind === 'synReply' ? FrameType.synReply : FrameType.headers;
      return Buffer.concat([controlHeader(type, f.fin ? FlagFin : 0, 4 + f.headerBlock.length), p, f.headerBlock]);
    }
    case 'rstStream':
    case 'goAway':
    case 'windowUpdate': {
      const p = Buffer.alloc(8);
      const [a, b, type] = f.kind === 'rstStream' ? [f.streamId, f.status, FrameType.rstStream]
        : f.kind === 'goAway' ? [f.lastGoodStreamId, f.status, FrameType.goAway]
          : [f.streamId, f.delta, FrameType.windowUpdate];
      p.writeUInt32BE(a, 0);
      p.writeUInt32BE(b, 4);
      return Buffer.concat([controlHeader(type, 0, 8), p]);
    }
    case 'settings': {
      const p = Buffer.alloc(4 + f.entries.length * 8);
      p.writeUInt32BE(f.entries.length, 0);
      f.entries.forEach((e, i) => {
        p.writeUInt32BE(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 4 + i * 8);
        p.writeUInt32BE(e.value, 8 + i * 8);
      });
      return Buffer.concat([controlHeader(FrameType.settings, 0, p.length), p]);
    }
    case 'ping': {
      const p = Buffer.alloc(4);
      p.writeUInt32BE(f.id, 0);
      return Buffer.concat([controlHeader(FrameType.ping, 0, 4), p]);
    }
    case 'unknown':
      return controlHeader(f.type, 0, 0);
  }
}

/**
 * An uncompressed header block: a 32-bit count, then length-prefixed lowercase names and values.
 * Several values of one name are joined with NUL, as SPDY/3 says.
 */
export function encodeHeaderBlock(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [u32(headers.length)];
  for (const [name, value] of headers) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(value);
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** An uncompressed header block → name (lowercase) → values. */
export function decodeHeaderBlock(b: Buffer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let off = 0;
  const take = (what: string): Buffer => {
    if (off + 4 > b.length) throw new SpdyProtocolError(`header block truncated in ${what}`);
    const n = b.readUInt32BE(off);
    off += 4;
    if (off + n > b.length) throw new SpdyProtocolError(`header block truncated in ${what}`);
    const s = b.subarray(off, off + n);
    off += n;
    return s;
  };
  if (b.length < 4) throw new SpdyProtocolError('header block truncated in count');
  const count = b.readUInt32BE(0);
  off = 4;
  for (let i = 0; i < count; i++) {
    const name = take('name').toString('latin1').toLowerCase();
    const value = take('value').toString('latin1');
    if (name === '') throw new SpdyProtocolError('empty header name');
    out.set(name, [...(out.get(name) ?? []), ...value.split('\0')]);
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/**
 * Header compression for what we send, without a zlib context: a zlib stream (no preset dictionary
 * needed by the reader) of non-final stored deflate blocks, one per header block, each followed by
 * the empty stored block a sync flush writes. That marker matters: Go's inflater (spdystream's) hands
 * out a stored block's bytes only when it reaches the next block header, and without one in the same
 * frame it would read past the frame and fail every later header block. It saves no bytes; header
 * blocks are a few dozen bytes per port-forward connection.
 */
export class StoredHeaderCompressor {
  private started = false;

  compress(raw: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      parts.push(Buffer.from([0x78, 0x01]));
      this.started = true;
    }
    for (let off = 0; off < raw.length; off += 0xffff) parts.push(storedBlock(raw.subarray(off, off + 0xffff)));
    parts.push(storedBlock(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

/** A non-final stored deflate block (starts and ends byte-aligned). */
function storedBlock(chunk: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h[0] = 0x00;
  h.writeUInt16LE(chunk.length, 1);
  h.writeUInt16LE(~chunk.length & 0xffff, 3);
  return Buffer.concat([h, chunk]);
}
