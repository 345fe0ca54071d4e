import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeHash, fnv32a, safeEncodeString } from './hash.ts';

describe('fnv32a', () => {
  const rows = [
    { name: 'empty', given: '', want: 0x811c9dc5 },
    { name: 'a', given: 'a', want: 0xe40c292c },
    { name: 'foobar', given: 'foobar', want: 0xbf9cf968 },
  ];
  for (const r of rows) test(r.name, () => assert.equal(fnv32a(Buffer.from(r.given)), r.want));
});

describe('safeEncodeString', () => {
  const rows = [
    { name: 'digits map into the alphabet', given: '0123456789', want: '456789bcdf' },
    { name: 'empty', given: '', want: '' },
  ];
  for (const r of rows) test(r.name, () => assert.equal(safeEncodeString(r.given), r.want));
});

describe('computeHash', () => {
  const t1 = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  const t1Reordered = { spec: { containers: [{ image: 'nginx', name: 'c' }] }, metadata: { labels: { tier: 'fe', app: 'web' } } };
  const t2 = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } };
  test('stable under key order, made of the safe alphabet', () => {
    assert.equal(computeHash(t1), computeHash(t1Reordered));
    assert.match(computeHash(t1), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });
  test('a different template or collision count gives a different hash', () => {
    assert.notEqual(computeHash(t1), computeHash(t2));
    assert.notEqual(computeHash(t1), computeHash(t1, 0));
    assert.notEqual(computeHash(t1, 0), computeHash(t1, 1));
  });
  test('the same input hashes the same in every process (golden)', () => {
    assert.equal(computeHash(t1), safeEncodeString(String(fnv32a(Buffer.from('{"metadata":{"labels":{"app":"web","tier":"fe"}},"spec":{"containers":[{"image":"nginx","name":"c"}]}}')))));
  });
});
