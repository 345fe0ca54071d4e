import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Pod } from '../../api/types.ts';
import { makeEndpointSlice, makeService } from '../../api/testing.ts';
import { QuietRetry, SliceTracker } from './tracker.ts';
import { formatRFC3339Nano, TriggerTimeTracker } from './triggertime.ts';
import { readyPod } from './testing.ts';

const slice = (uid: string, generation: number, rv: string): EndpointSlice => makeEndpointSlice('ns1', `s-${uid}`, (s) => {
  s.metadata.uid = uid;
  s.metadata.generation = generation;
  s.metadata.resourceVersion = rv;
});

describe('SliceTracker.stale', () => {
  const cases: { name: string; wrote: Array<['update' | 'delete', EndpointSlice]>; cache: EndpointSlice[]; want: boolean }[] = [
    { name: 'nothing written: never stale', wrote: [], cache: [slice('a', 1, '5')], want: false },
    { name: 'created slice not yet in the cache', wrote: [['update', slice('a', 1, '5')]], cache: [], want: true },
    { name: 'created slice in the cache', wrote: [['update', slice('a', 1, '5')]], cache: [slice('a', 1, '5')], want: false },
    { name: 'cache holds an older generation', wrote: [['update', slice('a', 3, '9')]], cache: [slice('a', 2, '7')], want: true },
    { name: 'cache holds a newer generation (someone else wrote)', wrote: [['update', slice('a', 3, '9')]], cache: [slice('a', 4, '12')], want: false },
    { name: 'label-only write: same generation, older revision in the cache', wrote: [['update', slice('a', 2, '9')]], cache: [slice('a', 2, '7')], want: true },
    { name: 'deleted slice still in the cache', wrote: [['delete', slice('a', 1, '5')]], cache: [slice('a', 1, '5')], want: true },
    { name: 'deleted slice gone from the cache', wrote: [['delete', slice('a', 1, '5')]], cache: [], want: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const t = new SliceTracker();
      for (const [op, s] of c.wrote) {
        if (op === 'update') t.update('ns1/web', s);
        else t.expectDeletion('ns1/web', s);
      }
      assert.equal(t.stale('ns1/web', c.cache), c.want);
      assert.equal(t.stale('ns1/other', c.cache), false, 'other Services are not affected');
    });
  }
});

describe('SliceTracker events', () => {
  test('the echo of our own write is not news; a newer write is', () => {
    const t = new SliceTracker();
    t.update('ns1/web', slice('a', 2, '9'));
    assert.equal(t.shouldSync('ns1/web', slice('a', 2, '9')), false);
    assert.equal(t.shouldSync('ns1/web', slice('a', 1, '4')), false);
    assert.equal(t.shouldSync('ns1/web', slice('a', 2, '11')), true);
    assert.equal(t.shouldSync('ns1/web', slice('a', 3, '12')), true);
    assert.equal(t.shouldSync('ns1/web', slice('b', 1, '3')), true);
  });
  test('our own deletion needs no sync; someone else\'s does', () => {
    const t = new SliceTracker();
    t.expectDeletion('ns1/web', slice('a', 1, '5'));
    assert.equal(t.handleDeletion('ns1/web', slice('a', 1, '5')), false);
    assert.equal(t.handleDeletion('ns1/web', slice('b', 1, '5')), true);
    assert.equal(t.size(), 0);
  });
});

test('QuietRetry doubles from 5 ms to 1 s and resets', () => {
  const r = new QuietRetry();
  const seq = Array.from({ length: 10 }, () => r.next('k'));
  assert.deepEqual(seq, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
  r.forget('k');
  assert.equal(r.next('k'), 5);
});

describe('TriggerTimeTracker', () => {
  const svc = makeService('ns1', 'web', (s) => { s.metadata.creationTimestamp = '2024-05-01T09:00:00Z'; });
  const pod = (name: string, readyAt: string): Pod => readyPod('ns1', name, '10.0.0.1', 'web', (p) => {
    p.status = { ...p.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readyAt }] };
  });
  test('first sync: the Service creation time; then the earliest new Pod change; then nothing', () => {
    const t = new TriggerTimeTracker();
    assert.equal(t.compute('ns1/web', svc, [pod('a', '2024-05-01T09:01:00Z')]), '2024-05-01T09:00:00Z');
    assert.equal(t.compute('ns1/web', svc, [pod('a', '2024-05-01T09:01:00Z')]), undefined);
    assert.equal(t.compute('ns1/web', svc, [pod('a', '2024-05-01T09:05:00Z'), pod('b', '2024-05-01T09:03:00Z')]), '2024-05-01T09:03:00Z');
    t.delete('ns1/web');
    assert.equal(t.compute('ns1/web', svc, []), '2024-05-01T09:00:00Z');
  });
  const fmt: { name: string; ms: number; want: string }[] = [
    { name: 'whole seconds have no fraction', ms: Date.parse('2024-05-01T10:00:00Z'), want: '2024-05-01T10:00:00Z' },
    { name: 'trailing zeros trimmed', ms: Date.parse('2024-05-01T10:00:00.120Z'), want: '2024-05-01T10:00:00.12Z' },
  ];
  for (const c of fmt) test(`formatRFC3339Nano: ${c.name}`, () => assert.equal(formatRFC3339Nano(c.ms), c.want));
});
