import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from './clock.ts';
import {
  BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter, WorkQueue, defaultControllerRateLimiter,
} from './workqueue.ts';

/** Takes every ready key without waiting (marks them processing). */
async function drain(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const k = await q.get();
    if (k === undefined) break;
    out.push(k);
  }
  return out;
}

type Step =
  | { op: 'add'; key: string }
  | { op: 'get'; want: string }
  | { op: 'done'; key: string }
  | { op: 'len'; want: number };

describe('WorkQueue', () => {
  const rows: Array<{ name: string; steps: Step[] }> = [
    {
      name: 'a key added twice is handed out once',
      steps: [{ op: 'add', key: 'a' }, { op: 'add', key: 'a' }, { op: 'add', key: 'b' }, { op: 'len', want: 2 }, { op: 'get', want: 'a' }, { op: 'get', want: 'b' }, { op: 'len', want: 0 }],
    },
    {
      name: 'keys come out in the order first added',
      steps: [{ op: 'add', key: 'c' }, { op: 'add', key: 'a' }, { op: 'add', key: 'c' }, { op: 'add', key: 'b' }, { op: 'get', want: 'c' }, { op: 'get', want: 'a' }, { op: 'get', want: 'b' }],
    },
    {
      name: 're-adding a key in flight queues it again only after done',
      steps: [
        { op: 'add', key: 'a' }, { op: 'get', want: 'a' },
        { op: 'add', key: 'a' }, { op: 'add', key: 'a' }, { op: 'len', want: 0 },
        { op: 'done', key: 'a' }, { op: 'len', want: 1 }, { op: 'get', want: 'a' }, { op: 'done', key: 'a' }, { op: 'len', want: 0 },
      ],
    },
    {
      name: 'done without a re-add does not queue',
      steps: [{ op: 'add', key: 'a' }, { op: 'get', want: 'a' }, { op: 'done', key: 'a' }, { op: 'len', want: 0 }],
    },
    {
      name: 'after get, a key can be added again (it was processed from a fresh state)',
      steps: [{ op: 'add', key: 'a' }, { op: 'add', key: 'b' }, { op: 'get', want: 'a' }, { op: 'done', key: 'a' }, { op: 'add', key: 'a' }, { op: 'get', want: 'b' }, { op: 'get', want: 'a' }],
    },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const q = new WorkQueue({ clock: new FakeClock() });
      for (const s of row.steps) {
        switch (s.op) {
          case 'add': q.add(s.key); break;
          case 'done': q.done(s.key); break;
          case 'len': assert.equal(q.len(), s.want); break;
          case 'get': assert.equal(await q.get(), s.want); break;
        }
      }
    });
  }

  test('a key is never handed to two workers at once', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const first = await q.get();
    q.add('a');
    const second = q.get();
    let got: string | undefined;
    void second.then((k) => { got = k; });
    await new Promise((r) => setImmediate(r));
    assert.equal(got, undefined, 'the second worker waits');
    q.done(first ?? '');
    assert.equal(await second, 'a');
  });

  test('waiting workers wake on add, in order', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const w1 = q.get();
    const w2 = q.get();
    q.add('x');
    q.add('y');
    assert.deepEqual(await Promise.all([w1, w2]), ['x', 'y']);
  });

  test('addAfter delays; the earliest of several delays wins; duplicates collapse', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 500);
    q.addAfter('a', 2000);
    q.addAfter('b', 0);
    assert.deepEqual(await drain(q), ['b']);
    assert.equal(q.delayed(), 1);
    await clock.advance(499);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.deepEqual(await drain(q), ['a']);
    await clock.advance(5000);
    assert.equal(q.len(), 0, 'the later delays were dropped');
  });

  test('rate-limited adds back off per key: 5 ms doubling; forget resets', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(5, 1_000_000) });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      q.addRateLimited('a');
      delays.push(clock.pendingDelays()[0] ?? -1);
      await clock.advance(delays[i] ?? 0);
      assert.equal(await q.get(), 'a');
      q.done('a');
    }
    assert.deepEqual(delays, [5, 10, 20, 40, 80, 160]);
    assert.equal(q.numRequeues('a'), 6);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    q.addRateLimited('a');
    assert.deepEqual(clock.pendingDelays(), [5]);
  });

  test('shutDown wakes waiting workers with undefined and ignores later adds', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const waiting = q.get();
    q.addAfter('later', 100);
    q.shutDown();
    assert.equal(await waiting, undefined);
    q.add('a');
    assert.equal(await q.get(), undefined);
    assert.equal(clock.pending(), 0, 'delay timers are cancelled');
    assert.ok(q.shuttingDown());
  });

  test('shutDownWithDrain resolves when keys in flight are done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const k = await q.get();
    let drained = false;
    const p = q.shutDownWithDrain().then(() => { drained = true; });
    await new Promise((r) => setImmediate(r));
    assert.equal(drained, false);
    q.done(k ?? '');
    await p;
    assert.ok(drained);
  });
});

describe('rate limiters', () => {
  test('item exponential: growth per item, cap, independent items', () => {
    const rows = [
      { name: 'client-go default', base: 5, max: 1_000_000, n: 4, want: [5, 10, 20, 40] },
      { name: 'capped', base: 100, max: 300, n: 4, want: [100, 200, 300, 300] },
    ];
    for (const row of rows) {
      const l = new ItemExponentialRateLimiter(row.base, row.max);
      assert.deepEqual(Array.from({ length: row.n }, () => l.when('x')), row.want, row.name);
      assert.equal(l.when('other'), row.base, `${row.name}: items are independent`);
    }
    const l = new ItemExponentialRateLimiter();
    for (let i = 0; i < 40; i++) l.when('x');
    assert.equal(l.when('x'), 1_000_000, 'reaches the 1000 s cap');
  });

  test('bucket: burst free, then qps', async () => {
    const clock = new FakeClock();
    const b = new BucketRateLimiter(10, 3, clock);
    assert.deepEqual([b.when('a'), b.when('b'), b.when('c'), b.when('d'), b.when('e')], [0, 0, 0, 100, 200]);
    await clock.advance(1000);
    assert.equal(b.when('f'), 0, 'tokens refill over time');
  });

  test('max-of and the default controller limiter', () => {
    const clock = new FakeClock();
    const m = new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000), new ItemExponentialRateLimiter(1, 1000));
    assert.deepEqual([m.when('a'), m.when('a')], [5, 10]);
    assert.equal(m.numRequeues('a'), 2);
    m.forget('a');
    assert.equal(m.numRequeues('a'), 0);
    const d = defaultControllerRateLimiter(clock);
    assert.deepEqual([d.when('k'), d.when('k'), d.when('k')], [5, 10, 20]);
  });
});
