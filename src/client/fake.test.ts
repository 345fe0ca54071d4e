// What the fake adds beyond the conformance suite: recorded actions, reactors, seeding, clock-driven
// watch timeouts and timestamps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../api/types.ts';
import { conflict } from '../machinery/status.ts';
import { FakeClock } from './clock.ts';
import { isConflict } from './errors.ts';
import { FakeClient } from './fake.ts';
import { builtin } from './types.ts';

const configmaps = builtin('configmaps');
const cm = (name: string, namespace = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } });

test('actions are recorded in order; seed is not', async () => {
  const f = new FakeClient();
  await f.seed(configmaps, [cm('seeded')]);
  const r = f.resource(configmaps);
  const a = await r.create('default', cm('a'));
  await r.update({ ...a, data: { x: 'y' } });
  await r.patchStatus('default', 'a', { status: {} }, 'merge').catch(() => undefined);
  await r.list('default');
  await r.delete('default', 'a');
  assert.deepEqual(f.actions.map((x) => `${x.verb} ${x.resource}${x.subresource === '' ? '' : `/${x.subresource}`} ${x.namespace}/${x.name}`), [
    'create configmaps default/a',
    'update configmaps default/a',
    'patch configmaps/status default/a',
    'list configmaps default/',
    'delete configmaps default/a',
  ]);
  f.clearActions();
  assert.equal(f.actions.length, 0);
});

test('reactors can fail or answer a call, newest first; others fall through', async () => {
  const f = new FakeClient();
  const r = f.resource(configmaps);
  await r.create('default', cm('a'));
  let conflicts = 1;
  f.addReactor('update', 'configmaps', (a) => (conflicts-- > 0 ? { error: conflict({ group: '', resource: 'configmaps' }, a.name) } : undefined));
  f.addReactor('get', '*', (a) => (a.name === 'virtual' ? { result: cm('virtual') } : undefined));
  const cur = await r.get('default', 'a');
  await assert.rejects(r.update(cur), (err: unknown) => isConflict(err));
  await r.update({ ...cur, data: { ok: '1' } });
  assert.equal((await r.get('default', 'virtual')).metadata.name, 'virtual');
});

test('timestamps and watch timeouts follow the clock', async () => {
  const clock = new FakeClock(Date.parse('2030-01-02T03:04:05Z'));
  const f = new FakeClient({ clock });
  const r = f.resource(configmaps);
  const a = await r.create('default', cm('a'));
  assert.equal(a.metadata.creationTimestamp, '2030-01-02T03:04:05Z');
  const h = r.watch('default', { resourceVersion: a.metadata.resourceVersion ?? '', timeoutSeconds: 60 }, () => undefined);
  assert.equal(f.openWatches(), 1);
  await clock.advance(60_000);
  await h.done;
  assert.equal(f.openWatches(), 0);
});

test('graceful pod deletion: pods on a node wait; unscheduled pods go at once', async () => {
  const clock = new FakeClock(Date.parse('2030-01-01T00:00:00Z'));
  const f = new FakeClient({ clock });
  const pods = f.resource(builtin('pods'));
  const pod = (name: string, nodeName?: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'i' }], ...(nodeName !== undefined ? { nodeName } : {}) } });
  await pods.create('default', pod('running', 'node-1'));
  await pods.create('default', pod('pending'));
  await pods.delete('default', 'running');
  await pods.delete('default', 'pending');
  const running = await pods.get('default', 'running');
  assert.equal(running.metadata.deletionTimestamp, '2030-01-01T00:00:30Z');
  assert.equal(running.metadata.deletionGracePeriodSeconds, 30);
  await assert.rejects(pods.get('default', 'pending'));
  await pods.delete('default', 'running', { gracePeriodSeconds: 0 });
  await assert.rejects(pods.get('default', 'running'));
});

test('resources unknown to the fake work as CRDs with a status subresource', async () => {
  const f = new FakeClient();
  const ref = { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true, kind: 'Widget' };
  const r = f.resource(ref);
  const w = await r.create('default', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } });
  assert.equal(w.kind, 'Widget');
  const s = await r.updateStatus({ ...w, status: { ready: true } });
  assert.deepEqual(s['status'], { ready: true });
  const listed = await r.list(undefined);
  assert.equal(listed.kind, 'WidgetList');
  assert.equal(listed.apiVersion, 'example.com/v1');
});
