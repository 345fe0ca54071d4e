import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareKeys, lowerBound, prefixEnd } from './keys.ts';

const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Random strings drawn from characters where code unit and code point order disagree. */
function randomKeys(n: number): string[] {
  const alphabet = ['/', 'a', 'z', '\u00e9', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}'];
  let seed = 42;
  const rand = (m: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % m);
  return Array.from({ length: n }, () => Array.from({ length: rand(5) }, () => alphabet[rand(alphabet.length)]).join(''));
}

test('compareKeys orders like the UTF-8 bytes', () => {
  const keys = randomKeys(300);
  for (const a of keys.slice(0, 60)) {
    for (const b of keys) assert.equal(Math.sign(compareKeys(a, b)), Math.sign(utf8Order(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});

test('prefixEnd bounds exactly the keys with the prefix', () => {
  const rows: Array<{ name: string; given: string; want: string | undefined }> = [
    { name: 'slash-terminated', given: '/registry/services/', want: '/registry/services0' },
    { name: 'empty: no bound', given: '', want: undefined },
    { name: 'before the surrogate range', given: '/\ud7ff', want: '/\ue000' },
    { name: 'BMP end', given: '/\uffff', want: '/\u{10000}' },
    { name: 'last code point carries', given: '/a\u{10ffff}', want: '/b' },
    { name: 'only maximal code points', given: '\u{10ffff}', want: undefined },
  ];
  for (const { name, given, want } of rows) assert.equal(prefixEnd(given), want, name);
  const keys = randomKeys(400);
  for (const prefix of keys.slice(0, 40)) {
    const end = prefixEnd(prefix);
    for (const k of keys) {
      const inRange = compareKeys(k, prefix) >= 0 && (end === undefined || compareKeys(k, end) < 0);
      assert.equal(inRange, k.startsWith(prefix), `${JSON.stringify(k)} with prefix ${JSON.stringify(prefix)}`);
    }
  }
});

test('lowerBound finds the first key not below the probe', () => {
  const sorted = ['/a', '/b', '/b/c', '/d'];
  const rows: Array<{ given: string; want: number }> = [
    { given: '', want: 0 },
    { given: '/a', want: 0 },
    { given: '/aa', want: 1 },
    { given: '/b/', want: 2 },
    { given: '/e', want: 4 },
  ];
  for (const { given, want } of rows) assert.equal(lowerBound(sorted, given), want, given);
});
