// A tiny protobuf writer for building test messages by hand (tests only).

export type Value = string | Uint8Array | number | bigint | boolean | Uint8Array[];

export function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

export function tag(no: number, wire: number): number[] {
  return varint((BigInt(no) << 3n) | BigInt(wire));
}

/** Concatenates encoded fields into a message body. */
export function m(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/**
 * One field: strings and byte arrays are length-delimited, numbers/bigints/booleans are varints
 * (negative numbers as 64-bit two's complement), an array of encoded fields is a nested message.
 */
export function f(no: number, v: Value): Uint8Array {
  if (typeof v === 'string' || v instanceof Uint8Array) {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    return Uint8Array.from([...tag(no, 2), ...varint(b.length), ...b]);
  }
  if (Array.isArray(v)) return f(no, m(...v));
  const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  return Uint8Array.from([...tag(no, 0), ...varint(n)]);
}

/** A map<string, V> entry field. */
export function entry(no: number, key: string, value: Value): Uint8Array {
  return f(no, [f(1, key), f(2, value)]);
}

/** The full body: magic + runtime.Unknown{typeMeta, raw}. */
export function body(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  return m(Uint8Array.of(0x6b, 0x38, 0x73, 0x00), f(1, [f(1, apiVersion), f(2, kind)]), f(2, raw), f(3, ''), f(4, ''));
}
