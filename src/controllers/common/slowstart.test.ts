import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { slowStartBatch } from './slowstart.ts';

describe('slowStartBatch', () => {
  const rows = [
    { name: 'all succeed in batches 1,2,4,3', count: 10, failAt: -1, want: { successes: 10, calls: 10, batches: [1, 2, 4, 3] } },
    { name: 'a failure stops after its batch', count: 10, failAt: 2, want: { successes: 2, calls: 3, batches: [1, 2] } },
    { name: 'nothing to do', count: 0, failAt: -1, want: { successes: 0, calls: 0, batches: [] } },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      let calls = 0;
      let inBatch = 0;
      const batches: number[] = [];
      let current = 0;
      const out = await slowStartBatch(r.count, 1, async (i) => {
        calls++;
        if (inBatch === 0) {
          current = 0;
          batches.push(0);
        }
        inBatch++;
        current++;
        batches[batches.length - 1] = current;
        await new Promise((res) => setImmediate(res));
        inBatch--;
        if (i === r.failAt) throw new Error('boom');
      });
      assert.equal(out.successes, r.want.successes);
      assert.equal(calls, r.want.calls);
      assert.deepEqual(batches, r.want.batches);
      assert.equal(out.error !== undefined, r.failAt >= 0);
    });
  }
});
