import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartBackoff, defaultRestartBackoff, goDuration } from './backoff.ts';

test('restart back-off: at once, then 10s doubling to 5m, reset after a long run', () => {
  const b = new RestartBackoff(defaultRestartBackoff);
  const waits = [1, 2, 3, 4, 5, 6, 7, 8].map(() => b.next(1000));
  assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  assert.equal(b.next(600_000), 0);
  assert.deepEqual([goDuration(10_000), goDuration(160_000), goDuration(300_000)], ['10s', '2m40s', '5m0s']);
});
