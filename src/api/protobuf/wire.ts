// A minimal reader for the protobuf wire format (https://protobuf.dev/programming-guides/encoding/):
// tags, varints (up to 64 bits), fixed32/fixed64 and length-delimited fields. Every read is bounds
// checked and throws WireError on malformed input; nothing here can loop without consuming bytes.

/** Malformed protobuf input. The message is meant for a client-facing error. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  Len: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

export interface Tag {
  field: number;
  wire: WireType;
}

const MAX_GROUP_DEPTH = 32;

export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a field key. Field 0 and wire types 6 and 7 are invalid. */
  tag(): Tag {
    const key = this.varint();
    const wire = Number(key & 7n);
    const field = key >> 3n;
    if (field === 0n || field > 0x1fffffffn) throw new WireError(`illegal tag ${String(field)} (wire type ${wire})`);
    if (wire > 5) throw new WireError(`illegal wireType ${wire} for field ${String(field)}`);
    return { field: Number(field), wire: wire as WireType };
  }

  /** An unsigned varint of at most 10 bytes, as a 64-bit value. */
  varint(): bigint {
    // Fast path: up to 4 bytes fit a JS number exactly.
    let lo = 0;
    let shift = 0;
    let i = this.pos;
    for (; shift < 28; shift += 7) {
      if (i >= this.end) throw new WireError('unexpected EOF');
      const b = this.buf[i++] ?? 0;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = i;
        return BigInt(lo >>> 0);
      }
    }
    let v = BigInt(lo >>> 0);
    for (let big = 28n; big < 70n; big += 7n) {
      if (i >= this.end) throw new WireError('unexpected EOF');
      const b = this.buf[i++] ?? 0;
      v |= BigInt(b & 0x7f) << big;
      if (b < 0x80) {
        this.pos = i;
        return BigInt.asUintN(64, v);
      }
    }
    throw new WireError('integer overflow');
  }

  /** A varint read as Go's int32 conversion does (low 32 bits, signed). */
  int32(): number {
    return Number(BigInt.asIntN(32, this.varint()));
  }

  /** A varint read as int64. Values beyond ±2^53 lose precision. */
  int64(): number {
    return Number(BigInt.asIntN(64, this.varint()));
  }

  bool(): boolean {
    return this.varint() !== 0n;
  }

  /** A length prefix, checked against the bytes that remain. */
  length(): number {
    const n = this.varint();
    if (n > BigInt(this.end - this.pos)) throw new WireError('unexpected EOF');
    return Number(n);
  }

  /** A length-delimited field's contents (a view, not a copy). */
  bytes(): Uint8Array {
    const n = this.length();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  fixed64(): Uint8Array {
    return this.take(8);
  }

  fixed32(): Uint8Array {
    return this.take(4);
  }

  double(): number {
    const b = this.fixed64();
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
  }

  private take(n: number): Uint8Array {
    if (this.end - this.pos < n) throw new WireError('unexpected EOF');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Skips the value of a field whose tag was just read. */
  skip(tag: Tag, depth = 0): void {
    switch (tag.wire) {
      case WireType.Varint: this.varint(); return;
      case WireType.Fixed64: this.take(8); return;
      case WireType.Len: this.bytes(); return;
      case WireType.Fixed32: this.take(4); return;
      case WireType.StartGroup: {
        if (depth >= MAX_GROUP_DEPTH) throw new WireError('groups nested too deeply');
        for (;;) {
          if (this.done()) throw new WireError('unexpected EOF');
          const t = this.tag();
          if (t.wire === WireType.EndGroup) {
            if (t.field !== tag.field) throw new WireError(`end group ${t.field} does not match start group ${tag.field}`);
            return;
          }
          this.skip(t, depth + 1);
        }
      }
      case WireType.EndGroup:
        throw new WireError(`unexpected end group for field ${tag.field}`);
    }
  }
}
