import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdjsonDecoder } from './ndjson.ts';

/** Cuts `text` into chunks at the given byte offsets and decodes them. */
function decode(text: string, cuts: number[]): unknown[] {
  const bytes = Buffer.from(text);
  const d = new NdjsonDecoder();
  const out: unknown[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...d.push(bytes.subarray(at, c)));
    at = c;
  }
  return [...out, ...d.end()];
}

const rows: Array<{ name: string; text: string; cuts: number[]; want: unknown[] }> = [
  { name: 'one line per chunk', text: '{"a":1}\n{"b":2}\n', cuts: [8], want: [{ a: 1 }, { b: 2 }] },
  { name: 'several lines in one chunk', text: '{"a":1}\n{"b":2}\n{"c":3}\n', cuts: [], want: [{ a: 1 }, { b: 2 }, { c: 3 }] },
  { name: 'a line across three chunks', text: '{"long":"value"}\n', cuts: [3, 9], want: [{ long: 'value' }] },
  { name: 'a cut inside a UTF-8 sequence', text: '{"n":"ü"}\n', cuts: [7], want: [{ n: 'ü' }] },
  { name: 'no final newline', text: '{"a":1}\n{"b":2}', cuts: [], want: [{ a: 1 }, { b: 2 }] },
  { name: 'blank lines and CRLF are ignored', text: '\n{"a":1}\r\n\n', cuts: [1], want: [{ a: 1 }] },
];
for (const row of rows) {
  test(`ndjson: ${row.name}`, () => {
    assert.deepEqual(decode(row.text, row.cuts), row.want);
  });
}

test('ndjson: a bad line throws', () => {
  assert.throws(() => new NdjsonDecoder().push(Buffer.from('{nope}\n')), SyntaxError);
});
