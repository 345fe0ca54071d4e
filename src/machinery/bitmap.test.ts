import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AllocationBitmap } from './bitmap.ts';

/** A deterministic random source cycling through `values`. */
function fixed(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe('AllocationBitmap', () => {
  test('dynamic allocation starts in the upper band at the random offset and scans forward', () => {
    const b = new AllocationBitmap(100, 10, fixed(0));
    assert.equal(b.allocateNext(), 10);
    assert.equal(b.allocateNext(), 11);
    const r = new AllocationBitmap(100, 10, fixed(0.5));
    assert.equal(r.allocateNext(), 55); // 10 + floor(0.5 * 90)
  });

  test('the static band is used only when the upper band is full', () => {
    const b = new AllocationBitmap(20, 5, fixed(0.99));
    const got: number[] = [];
    for (let i = 0; i < 15; i++) got.push(b.allocateNext() ?? -1);
    assert.ok(got.every((o) => o >= 5), `upper band first: ${got.join(',')}`);
    const lower = b.allocateNext();
    assert.ok(lower !== undefined && lower < 5);
    for (let i = 0; i < 4; i++) assert.notEqual(b.allocateNext(), undefined);
    assert.equal(b.allocateNext(), undefined, 'full');
    assert.equal(b.used, 20);
    assert.equal(b.free, 0);
  });

  test('scan wraps around within the band', () => {
    const b = new AllocationBitmap(10, 0, fixed(0.95));
    for (const o of [9]) assert.equal(b.allocate(o), true);
    assert.equal(b.allocateNext(), 0, 'start at 9 is taken, wraps to 0');
  });

  test('allocate, has, release, reuse', () => {
    const b = new AllocationBitmap(64, 8);
    assert.equal(b.allocate(3), true);
    assert.equal(b.allocate(3), false, 'taken');
    assert.equal(b.has(3), true);
    b.release(3);
    assert.equal(b.has(3), false);
    b.release(3); // double release is harmless
    assert.equal(b.used, 0);
    assert.equal(b.allocate(3), true, 'reusable after release');
    assert.throws(() => b.allocate(64), RangeError);
    assert.throws(() => b.allocate(-1), RangeError);
    assert.equal(b.has(64), false);
  });

  test('never hands out an offset twice and skips full bytes', () => {
    const b = new AllocationBitmap(1000, 16);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const o = b.allocateNext();
      assert.ok(o !== undefined);
      assert.ok(!seen.has(o), `duplicate ${o}`);
      seen.add(o);
    }
    assert.equal(b.allocateNext(), undefined);
    const all: number[] = [];
    b.forEach((o) => all.push(o));
    assert.equal(all.length, 1000);
  });

  test('a static band as large as the bitmap is ignored', () => {
    const b = new AllocationBitmap(4, 4);
    assert.equal(b.staticBand, 0);
  });
});
