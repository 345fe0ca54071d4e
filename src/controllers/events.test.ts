import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Event, KubeObject } from '../api/types.ts';
import { FakeClient, FakeClock, builtin } from '../client/index.ts';
import { EventSink, FakeRecorder, makeEvent } from './events.ts';

const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'default', uid: 'u1', resourceVersion: '7' } };
const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u2' } };

describe('makeEvent', () => {
  const now = Date.parse('2024-05-01T10:00:00Z');
  const rows = [
    {
      name: 'namespaced object',
      obj: rs,
      want: {
        apiVersion: 'v1', kind: 'Event',
        metadata: { name: `web-abc.${(BigInt(now) * 1_000_000n + 3n).toString(16)}`, namespace: 'default' },
        involvedObject: { kind: 'ReplicaSet', name: 'web-abc', apiVersion: 'apps/v1', namespace: 'default', uid: 'u1', resourceVersion: '7' },
        reason: 'SuccessfulCreate', message: 'Created pod: web-abc-x', source: { component: 'replicaset-controller' },
        firstTimestamp: '2024-05-01T10:00:00Z', lastTimestamp: '2024-05-01T10:00:00Z', count: 1, type: 'Normal', eventTime: null,
        reportingComponent: 'replicaset-controller', reportingInstance: '',
      },
    },
  ];
  for (const r of rows) {
    test(r.name, () => assert.deepEqual(makeEvent(r.obj, 'Normal', 'SuccessfulCreate', 'Created pod: web-abc-x', 'replicaset-controller', now, 3), r.want));
  }
  test('cluster-scoped objects get their events in default', () => {
    assert.equal(makeEvent(node, 'Normal', 'X', 'y', 'c', now, 0).metadata.namespace, 'default');
  });
});

describe('EventSink', () => {
  test('repeats are counted on the first event; others are new events', async () => {
    const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
    const client = new FakeClient({ clock });
    const sink = new EventSink({ client, clock });
    const rec = sink.recorder('replicaset-controller');
    rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: a');
    await sink.flush();
    await clock.advance(5000);
    rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: a');
    rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: a');
    rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: b');
    await sink.flush();
    const items = (await client.resource<Event>(builtin('events')).list('default')).items;
    const byMsg = new Map(items.map((e) => [e.message, e]));
    assert.equal(items.length, 2);
    assert.equal(byMsg.get('Created pod: a')?.count, 3);
    assert.equal(byMsg.get('Created pod: a')?.firstTimestamp, '2024-05-01T10:00:00Z');
    assert.equal(byMsg.get('Created pod: a')?.lastTimestamp, '2024-05-01T10:00:05Z');
    assert.equal(byMsg.get('Created pod: b')?.count, 1);
    assert.deepEqual(sink.stats, { written: 2, patched: 2, dropped: 0, failed: 0 });
  });

  test('a full queue drops events and a failing write never throws', async () => {
    const client = new FakeClient();
    client.addReactor('create', 'events', () => ({ error: new Error('boom') }));
    const sink = new EventSink({ client, maxPending: 2 });
    const rec = sink.recorder('x');
    for (let i = 0; i < 5; i++) rec.event(rs, 'Warning', 'R', `m${i}`);
    await sink.stop();
    assert.deepEqual(sink.stats, { written: 0, patched: 0, dropped: 3, failed: 2 });
  });

  test('FakeRecorder keeps lines as client-go does', () => {
    const f = new FakeRecorder();
    f.event(rs, 'Normal', 'Scheduled', 'Successfully assigned a/b to n');
    assert.deepEqual(f.events, ['Normal Scheduled Successfully assigned a/b to n']);
  });
});
