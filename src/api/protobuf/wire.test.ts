import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, WireError } from './wire.ts';
import { tag, varint } from './test-writer.ts';

const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

test('varint decoding', () => {
  const rows: Array<{ name: string; bytes: number[]; want: bigint }> = [
    { name: 'zero', bytes: [0x00], want: 0n },
    { name: 'one byte max', bytes: [0x7f], want: 127n },
    { name: 'two bytes', bytes: [0xac, 0x02], want: 300n },
    { name: 'four bytes max (fast path)', bytes: [0xff, 0xff, 0xff, 0x7f], want: 0x0fffffffn },
    { name: 'five bytes', bytes: [0x80, 0x80, 0x80, 0x80, 0x01], want: 1n << 28n },
    { name: 'uint32 max', bytes: varint(0xffffffff), want: 0xffffffffn },
    { name: 'uint64 max (10 bytes)', bytes: varint(-1), want: 0xffffffffffffffffn },
    { name: 'non-minimal encoding', bytes: [0x81, 0x80, 0x00], want: 1n },
  ];
  for (const row of rows) {
    const r = new Reader(b(...row.bytes));
    assert.equal(r.varint(), row.want, row.name);
    assert.ok(r.done(), `${row.name}: consumed`);
  }
});

test('signed conversions', () => {
  const rows: Array<{ name: string; bytes: number[]; int32: number; int64: number }> = [
    { name: 'minus one', bytes: varint(-1), int32: -1, int64: -1 },
    { name: 'int32 min', bytes: varint(-2147483648), int32: -2147483648, int64: -2147483648 },
    { name: 'large positive truncates to int32', bytes: varint(0x1_0000_0005), int32: 5, int64: 0x1_0000_0005 },
    { name: 'Go zero time seconds', bytes: varint(-62135596800n), int32: Number(BigInt.asIntN(32, -62135596800n)), int64: -62135596800 },
  ];
  for (const row of rows) {
    assert.equal(new Reader(b(...row.bytes)).int32(), row.int32, `${row.name} int32`);
    assert.equal(new Reader(b(...row.bytes)).int64(), row.int64, `${row.name} int64`);
  }
});

test('malformed input throws WireError', () => {
  const rows: Array<{ name: string; bytes: number[]; read: (r: Reader) => unknown; message: RegExp }> = [
    { name: 'truncated varint', bytes: [0x80], read: (r) => r.varint(), message: /unexpected EOF/ },
    { name: 'truncated long varint', bytes: [0xff, 0xff, 0xff, 0xff, 0xff], read: (r) => r.varint(), message: /unexpected EOF/ },
    { name: 'varint over 10 bytes', bytes: Array<number>(11).fill(0xff), read: (r) => r.varint(), message: /integer overflow/ },
    { name: 'length beyond end', bytes: [0x05, 0x01], read: (r) => r.bytes(), message: /unexpected EOF/ },
    { name: 'huge length', bytes: varint(-1), read: (r) => r.bytes(), message: /unexpected EOF/ },
    { name: 'fixed64 short', bytes: [1, 2, 3], read: (r) => r.fixed64(), message: /unexpected EOF/ },
    { name: 'fixed32 short', bytes: [1], read: (r) => r.fixed32(), message: /unexpected EOF/ },
    { name: 'field number zero', bytes: [0x02], read: (r) => r.tag(), message: /illegal tag 0/ },
    { name: 'wire type 6', bytes: [0x0e], read: (r) => r.tag(), message: /illegal wireType 6/ },
    { name: 'wire type 7', bytes: [0x0f], read: (r) => r.tag(), message: /illegal wireType 7/ },
    { name: 'unterminated group', bytes: [...tag(1, 3), ...tag(2, 0), 0x01], read: (r) => r.skip(r.tag()), message: /unexpected EOF/ },
    { name: 'mismatched end group', bytes: [...tag(1, 3), ...tag(2, 4)], read: (r) => r.skip(r.tag()), message: /does not match/ },
    { name: 'stray end group', bytes: [...tag(1, 4)], read: (r) => r.skip(r.tag()), message: /unexpected end group/ },
    { name: 'groups nested too deeply', bytes: Array.from({ length: 40 }, () => tag(1, 3)).flat(), read: (r) => r.skip(r.tag()), message: /too deeply/ },
  ];
  for (const row of rows) {
    assert.throws(() => row.read(new Reader(b(...row.bytes))), (e: unknown) => e instanceof WireError && row.message.test(e.message), row.name);
  }
});

test('skip consumes each wire type exactly', () => {
  const rows: Array<{ name: string; bytes: number[] }> = [
    { name: 'varint', bytes: [...tag(1, 0), 0x96, 0x01] },
    { name: 'fixed64', bytes: [...tag(1, 1), 1, 2, 3, 4, 5, 6, 7, 8] },
    { name: 'length-delimited', bytes: [...tag(1, 2), 0x03, 9, 9, 9] },
    { name: 'fixed32', bytes: [...tag(1, 5), 1, 2, 3, 4] },
    { name: 'group with nested fields', bytes: [...tag(1, 3), ...tag(2, 0), 0x05, ...tag(3, 3), ...tag(3, 4), ...tag(1, 4)] },
  ];
  for (const row of rows) {
    const r = new Reader(b(...row.bytes, ...tag(15, 0), 0x2a));
    r.skip(r.tag());
    assert.deepEqual(r.tag(), { field: 15, wire: 0 }, row.name);
    assert.equal(r.varint(), 42n, row.name);
    assert.ok(r.done(), row.name);
  }
});

test('double reads little-endian IEEE 754', () => {
  const buf = new Uint8Array(8);
  new DataView(buf.buffer).setFloat64(0, 2.5, true);
  assert.equal(new Reader(buf).double(), 2.5);
});

test('reader honours its window', () => {
  const r = new Reader(b(0x01, 0x02, 0x03), 1, 2);
  assert.equal(r.varint(), 2n);
  assert.ok(r.done());
  assert.throws(() => r.varint(), WireError);
});
