import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedFrequencyRunner } from './runner.ts';
import { FakeClock } from './fake.ts';

function setup(o: { min?: number; max?: number; burst?: number; fail?: () => boolean } = {}) {
  const clock = new FakeClock(0);
  const times: number[] = [];
  const errors: number[] = [];
  const r = new BoundedFrequencyRunner({
    name: 'test', clock, minIntervalMs: o.min ?? 1000, maxIntervalMs: o.max ?? 30_000, burst: o.burst ?? 2,
    fn: async () => {
      times.push(clock.now());
      if (o.fail?.() === true) throw new Error('boom');
    },
    onError: (_e, n) => errors.push(n),
  });
  return { clock, r, times, errors };
}

test('a burst of requests merges into one run', async () => {
  const { clock, r, times } = setup();
  for (let i = 0; i < 10; i++) r.run();
  await clock.advance(0);
  assert.deepEqual(times, [0]);
});

test('burst runs go back to back, then one per minInterval', async () => {
  const { clock, r, times } = setup({ min: 1000, burst: 2 });
  r.run();
  await clock.advance(0);
  r.run();
  await clock.advance(0);
  r.run();
  await clock.advance(0);
  assert.deepEqual(times, [0, 0]);
  await clock.advance(999);
  assert.deepEqual(times, [0, 0]);
  await clock.advance(1);
  assert.deepEqual(times, [0, 0, 1000]);
});

test('requests during the wait are merged into the next run', async () => {
  const { clock, r, times } = setup({ min: 1000, burst: 1 });
  r.run();
  await clock.advance(0);
  for (let i = 0; i < 5; i++) {
    r.run();
    await clock.advance(100);
  }
  await clock.advance(1000);
  assert.deepEqual(times, [0, 1000]);
});

test('periodic resync runs without requests once started', async () => {
  const { clock, r, times } = setup({ min: 1000, max: 30_000 });
  r.start();
  await clock.advance(0);
  await clock.advance(30_000);
  await clock.advance(30_000);
  assert.deepEqual(times, [0, 30_000, 60_000]);
});

test('failures retry with back-off and reset after success', async () => {
  let failing = 3;
  const { clock, r, times, errors } = setup({ min: 1000, max: 30_000, burst: 1, fail: () => failing-- > 0 });
  r.run();
  await clock.advance(0);
  await clock.advance(10_000);
  assert.deepEqual(errors, [1, 2, 3]);
  assert.deepEqual(times, [0, 1000, 3000, 7000]);
});

test('stop cancels timers', async () => {
  const { clock, r, times } = setup();
  r.start();
  await clock.advance(0);
  r.stop();
  r.run();
  await clock.advance(100_000);
  assert.deepEqual(times, [0]);
});

test('whenIdle resolves after stop even with a run requested', async () => {
  const { clock, r } = setup({ min: 1000, burst: 1 });
  r.run();
  await clock.advance(0);
  r.run();
  r.stop();
  await r.whenIdle();
  assert.ok(true);
});
