import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../api/types.ts';
import { FakeClock } from './clock.ts';
import { Controller } from './controller.ts';
import { FakeClient } from './fake.ts';
import { Informer } from './informer.ts';
import { builtin } from './types.ts';
import { ItemExponentialRateLimiter } from './workqueue.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Controller', () => {
  test('errors retry with per-key back-off; success forgets the failures', async () => {
    const clock = new FakeClock();
    const calls: Array<{ key: string; at: number }> = [];
    let failuresLeft = 3;
    const c = new Controller({
      name: 'test', clock, rateLimiter: new ItemExponentialRateLimiter(5, 1000),
      reconcile: async (key) => {
        calls.push({ key, at: clock.now() });
        if (failuresLeft-- > 0) throw new Error('not yet');
      },
    });
    const running = c.run();
    const t0 = clock.now();
    c.enqueue('ns/a');
    await clock.advance(100);
    assert.deepEqual(calls.map((x) => x.at - t0), [0, 5, 15, 35]);
    assert.equal(c.queue.numRequeues('ns/a'), 0, 'forgotten after success');
    assert.deepEqual(c.stats, { reconciles: 4, errors: 3, dropped: 0 });
    await c.stop();
    await running;
  });

  test('maxRetries drops a key that keeps failing', async () => {
    const clock = new FakeClock();
    const logs: string[] = [];
    const c = new Controller({
      name: 'test', clock, maxRetries: 2, rateLimiter: new ItemExponentialRateLimiter(1, 10), log: (l, m) => logs.push(`${l} ${m}`),
      reconcile: async () => { throw new Error('always'); },
    });
    void c.run();
    c.enqueue('k');
    await clock.advance(1000);
    assert.deepEqual(c.stats, { reconciles: 3, errors: 3, dropped: 1 });
    assert.ok(logs.some((l) => l.startsWith('error') && l.includes('dropped after 2 retries')));
    await c.stop();
  });

  test('requeueAfterMs processes the key again later', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const t0 = clock.now();
    const c = new Controller({
      name: 'test', clock,
      reconcile: async () => {
        at.push(clock.now() - t0);
        return at.length < 3 ? { requeueAfterMs: 1000 } : undefined;
      },
    });
    void c.run();
    c.enqueue('k');
    await clock.advance(5000);
    assert.deepEqual(at, [0, 1000, 2000]);
    await c.stop();
  });

  test('several workers never reconcile one key at once; changes during a reconcile are not lost', async () => {
    const inFlight = new Set<string>();
    let overlap = false;
    const seen: string[] = [];
    const gates: Array<() => void> = [];
    const c = new Controller({
      name: 'test', workers: 4,
      reconcile: async (key) => {
        if (inFlight.has(key)) overlap = true;
        inFlight.add(key);
        seen.push(key);
        await new Promise<void>((r) => gates.push(r));
        inFlight.delete(key);
      },
    });
    void c.run();
    c.enqueue('a');
    c.enqueue('b');
    await tick();
    c.enqueue('a'); // changed while being reconciled
    c.enqueue('a');
    await tick();
    assert.deepEqual(seen.sort(), ['a', 'b']);
    for (let i = 0; i < 10 && gates.length > 0; i++) {
      for (const g of gates.splice(0)) g();
      await tick();
      await tick();
    }
    assert.equal(overlap, false);
    assert.deepEqual(seen.sort(), ['a', 'a', 'b'], 'a is reconciled once more, after the first pass');
    await c.stop();
  });

  test('waits for informers to sync, then reconciles what the handler queued', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    const pods = builtin('pods');
    const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    await f.seed(pods, [pod('p1'), pod('p2')]);
    const inf = new Informer(f.resource(pods), { clock });
    const reconciled: Array<{ key: string; synced: boolean }> = [];
    const c = new Controller({
      name: 'pods', clock, waitFor: [inf],
      reconcile: async (key) => { reconciled.push({ key, synced: inf.hasSynced() }); },
    });
    inf.addEventHandler(c.handler());
    const running = c.run();
    await clock.advance(0);
    assert.equal(reconciled.length, 0, 'nothing before the informer starts');
    inf.start();
    await clock.advance(0);
    assert.deepEqual(reconciled.map((r) => r.key).sort(), ['default/p1', 'default/p2']);
    assert.ok(reconciled.every((r) => r.synced));
    await f.resource(pods).delete('default', 'p1');
    await clock.advance(0);
    assert.equal(reconciled.at(-1)?.key, 'default/p1');
    await c.stop();
    await running;
    await inf.stop();
  });

  test('stop before the caches sync ends run() quietly', async () => {
    const c = new Controller({ name: 'x', waitFor: [{ waitForSync: (signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))) }], reconcile: async () => undefined });
    const running = c.run();
    await c.stop();
    await running;
  });
});
