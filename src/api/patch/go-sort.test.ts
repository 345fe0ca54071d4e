import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goSliceStable } from './go-sort.ts';
import { rng } from './testing.ts';

describe('goSliceStable', () => {
  const rows: { name: string; given: number[]; want: number[] }[] = [
    { name: 'empty', given: [], want: [] },
    { name: 'one', given: [1], want: [1] },
    { name: 'reversed', given: [5, 4, 3, 2, 1], want: [1, 2, 3, 4, 5] },
    { name: 'longer than one insertion-sort block', given: Array.from({ length: 45 }, (_, i) => (i * 17) % 45), want: Array.from({ length: 45 }, (_, i) => i) },
  ];
  for (const { name, given, want } of rows) {
    it(name, () => {
      const data = [...given];
      goSliceStable(data, (a, b) => a < b);
      assert.deepEqual(data, want);
    });
  }

  it('is stable, like Array.prototype.sort, for consistent comparators', () => {
    const rand = rng(99);
    for (let n = 0; n < 200; n++) {
      const len = Math.floor(rand() * 90);
      const items = Array.from({ length: len }, (_, i) => ({ key: Math.floor(rand() * 6), i }));
      const mine = [...items];
      goSliceStable(mine, (a, b) => a.key < b.key);
      const ref = [...items].sort((a, b) => a.key - b.key);
      assert.deepEqual(mine, ref);
    }
  });

  it('is a permutation even for an inconsistent comparator', () => {
    const rand = rng(3);
    const data = Array.from({ length: 60 }, (_, i) => i);
    goSliceStable(data, () => rand() < 0.5);
    assert.deepEqual([...data].sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i));
  });
});
