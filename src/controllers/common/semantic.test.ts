import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJSON, semanticEqual } from './semantic.ts';

describe('semanticEqual', () => {
  const rows = [
    { name: 'missing equals empty map', a: { labels: {} }, b: {}, want: true },
    { name: 'null equals empty list', a: { l: null }, b: { l: [] }, want: true },
    { name: 'key order does not matter', a: { x: 1, y: { z: 2 } }, b: { y: { z: 2 }, x: 1 }, want: true },
    { name: 'different scalar', a: { x: 1 }, b: { x: 2 }, want: false },
    { name: 'zero number is not absent', a: { x: 0 }, b: {}, want: false },
    { name: 'list order matters', a: [1, 2], b: [2, 1], want: false },
    { name: 'extra field', a: { x: 1 }, b: { x: 1, y: 'a' }, want: false },
  ];
  for (const r of rows) test(r.name, () => assert.equal(semanticEqual(r.a, r.b), r.want));
});

describe('canonicalJSON', () => {
  test('sorts keys at every level and drops undefined', () => {
    assert.equal(canonicalJSON({ b: 1, a: { d: [{ y: 1, x: 2 }], c: undefined } }), '{"a":{"d":[{"x":2,"y":1}]},"b":1}');
  });
});
