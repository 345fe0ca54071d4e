// Informer tests: against a real in-process API server (sync, each change once, relist after
// compaction across a server restart, resync) and against the fake with a fake clock (back-off,
// 410 handling, dedup, indexes, handlers, the factory).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeObject } from '../api/types.ts';
import { gone } from '../machinery/status.ts';
import { FakeClock } from './clock.ts';
import { ClientError } from './errors.ts';
import { FakeClient } from './fake.ts';
import { Informer, InformerFactory, type EventHandler } from './informer.ts';
import { startTestServer, type TestServer } from './testing.ts';
import { builtin } from './types.ts';

const configmaps = builtin('configmaps');

function cm(name: string, data: Record<string, string> = {}, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels !== undefined ? { labels } : {}) }, data };
}

/** Records handler calls as short strings: `add:a`, `add(initial):a`, `update:a`, `resync:a`, `delete:a`, `delete(unknown):a`. */
function recorder(): { events: string[]; handler: EventHandler } {
  const events: string[] = [];
  return {
    events,
    handler: {
      onAdd: (o, initial) => events.push(`${initial ? 'add(initial)' : 'add'}:${o.metadata.name ?? ''}`),
      onUpdate: (old, o) => {
        if (old === o) events.push(`resync:${o.metadata.name ?? ''}`);
        else {
          assert.notEqual(old.metadata.resourceVersion, o.metadata.resourceVersion, 'an update always carries a new resourceVersion');
          events.push(`update:${o.metadata.name ?? ''}`);
        }
      },
      onDelete: (o, unknown) => events.push(`${unknown ? 'delete(unknown)' : 'delete'}:${o.metadata.name ?? ''}`),
    },
  };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits a little and checks nothing more arrived (no duplicates). */
async function settle(ms = 150): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

const fastBackoff = { initialMs: 20, maxMs: 200, jitter: 0 };

describe('Informer against the API server', () => {
  let ts: TestServer;
  let n = 0;
  const ns = (): string => `inf-${n}`;
  before(async () => {
    ts = await startTestServer();
  });
  after(async () => {
    await ts.close();
  });
  const fresh = async (): Promise<string> => {
    n++;
    await ts.createNamespace(ns());
    return ns();
  };

  test('initial sync: cache filled, one add(initial) per object, hasSynced', async () => {
    const namespace = await fresh();
    const r = ts.client.resource(configmaps);
    for (const name of ['a', 'b', 'c']) await r.create(namespace, cm(name));
    const inf = new Informer(r, { namespace, backoff: fastBackoff });
    const rec = recorder();
    inf.addEventHandler(rec.handler);
    assert.equal(inf.hasSynced(), false);
    inf.start();
    await inf.waitForSync();
    try {
      assert.equal(inf.hasSynced(), true);
      assert.deepEqual(inf.cache.listKeys().sort(), [`${namespace}/a`, `${namespace}/b`, `${namespace}/c`]);
      assert.equal(inf.cache.get(namespace, 'b')?.metadata.name, 'b');
      assert.deepEqual(rec.events.sort(), ['add(initial):a', 'add(initial):b', 'add(initial):c']);
      assert.notEqual(inf.lastSyncResourceVersion(), '');
    } finally {
      await inf.stop();
    }
  });

  test('add, update and delete are each delivered once', async () => {
    const namespace = await fresh();
    const r = ts.client.resource(configmaps);
    const inf = new Informer(r, { namespace, backoff: fastBackoff });
    const rec = recorder();
    inf.addEventHandler(rec.handler);
    inf.start();
    await inf.waitForSync();
    try {
      const a = await r.create(namespace, cm('x', { v: '1' }));
      await until(() => inf.cache.get(namespace, 'x') !== undefined, 'x in the cache');
      await r.update({ ...a, data: { v: '2' } });
      await until(() => inf.cache.get(namespace, 'x')?.['data'] !== undefined && (inf.cache.get(namespace, 'x')?.['data'] as { v: string }).v === '2', 'the update');
      await r.delete(namespace, 'x');
      await until(() => inf.cache.get(namespace, 'x') === undefined, 'the delete');
      await settle();
      assert.deepEqual(rec.events, ['add:x', 'update:x', 'delete:x']);
    } finally {
      await inf.stop();
    }
  });

  test('selectors: only matching objects; leaving the selector is a delete', async () => {
    const namespace = await fresh();
    const r = ts.client.resource(configmaps);
    await r.create(namespace, cm('in', {}, { app: 'web' }));
    await r.create(namespace, cm('out', {}, { app: 'db' }));
    const inf = new Informer(r, { namespace, labelSelector: 'app=web', backoff: fastBackoff });
    const rec = recorder();
    inf.addEventHandler(rec.handler);
    inf.start();
    await inf.waitForSync();
    try {
      assert.deepEqual(inf.cache.listKeys(), [`${namespace}/in`]);
      const cur = await r.get(namespace, 'in');
      await r.update({ ...cur, metadata: { ...cur.metadata, labels: { app: 'other' } } });
      await until(() => inf.cache.size === 0, 'the object to leave');
      assert.deepEqual(rec.events, ['add(initial):in', 'delete:in']);
    } finally {
      await inf.stop();
    }
  });

  test('relist after the server restarts with compacted history: one event per change, no duplicates', async () => {
    const own = await startTestServer();
    try {
      await own.createNamespace('comp');
      const r = own.client.resource(configmaps);
      for (const name of ['keep', 'upd', 'del']) await r.create('comp', cm(name, { v: '1' }));
      const inf = new Informer(r, { namespace: 'comp', backoff: fastBackoff });
      const rec = recorder();
      inf.addEventHandler(rec.handler);
      inf.start();
      await inf.waitForSync();
      const rvBefore = inf.lastSyncResourceVersion();
      // The informer's server goes away; changes land through a second server on the same store.
      await own.stopServer();
      const side = await own.sidecar();
      const sr = side.client.resource(configmaps);
      await sr.create('comp', cm('new'));
      const upd = await sr.get('comp', 'upd');
      await sr.update({ ...upd, data: { v: '2' } });
      await sr.delete('comp', 'del');
      await own.store.compact(await own.store.currentRevision());
      await side.stop();
      await own.startServer();
      await until(() => inf.stats.gone >= 1 && inf.cache.has('comp/new') && !inf.cache.has('comp/del'), 'the relist');
      await settle();
      assert.deepEqual(rec.events.slice(0, 3).sort(), ['add(initial):del', 'add(initial):keep', 'add(initial):upd']);
      assert.deepEqual(rec.events.slice(3).sort(), ['add:new', 'delete(unknown):del', 'update:upd']);
      assert.equal(inf.stats.gone, 1, 'the watch resumed from a compacted resourceVersion and got 410');
      assert.ok(Number(inf.lastSyncResourceVersion()) > Number(rvBefore));
      assert.deepEqual((inf.cache.get('comp', 'upd')?.['data'] as { v: string }).v, '2');
      // The informer keeps watching after the relist.
      await r.create('comp', cm('after'));
      await until(() => inf.cache.has('comp/after'), 'a change after the relist');
      await settle();
      assert.deepEqual(rec.events.slice(6), ['add:after']);
      await inf.stop();
    } finally {
      await own.close();
    }
  });

  test('a watch that times out is resumed without a relist and without duplicates', async () => {
    const namespace = await fresh();
    const r = ts.client.resource(configmaps);
    await r.create(namespace, cm('a'));
    const inf = new Informer(r, { namespace, watchTimeoutSeconds: 1, backoff: fastBackoff });
    const rec = recorder();
    inf.addEventHandler(rec.handler);
    inf.start();
    await inf.waitForSync();
    try {
      await r.create(namespace, cm('b'));
      await until(() => inf.stats.watches >= 2, 'the watch to be reopened', 5000);
      await r.create(namespace, cm('c'));
      await until(() => inf.cache.size === 3, 'c');
      await settle();
      assert.deepEqual(rec.events, ['add(initial):a', 'add:b', 'add:c']);
      assert.equal(inf.stats.lists, 1);
    } finally {
      await inf.stop();
    }
  });

  test('resync re-delivers every cached object as an update to itself', async () => {
    const namespace = await fresh();
    const r = ts.client.resource(configmaps);
    await r.create(namespace, cm('a'));
    await r.create(namespace, cm('b'));
    const inf = new Informer(r, { namespace, resyncMs: 100, backoff: fastBackoff });
    const rec = recorder();
    inf.addEventHandler(rec.handler);
    inf.start();
    await inf.waitForSync();
    try {
      await until(() => rec.events.filter((e) => e.startsWith('resync:')).length >= 4, 'two resyncs');
      assert.deepEqual([...new Set(rec.events.filter((e) => e.startsWith('resync:')))].sort(), ['resync:a', 'resync:b']);
    } finally {
      await inf.stop();
    }
  });
});

describe('Informer with the fake client and a fake clock', () => {
  const start = async (f: FakeClient, clock: FakeClock, opts: ConstructorParameters<typeof Informer>[1] = {}) => {
    const inf = new Informer(f.resource(configmaps), { clock, backoff: { initialMs: 800, maxMs: 30_000, jitter: 0 }, ...opts });
    const rec = recorder();
    inf.addEventHandler(rec.handler);
    inf.start();
    await clock.advance(0);
    return { inf, rec };
  };

  test('list failures back off exponentially up to the cap, then sync', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    await f.seed(configmaps, [cm('a', {}, undefined)].map((o) => ({ ...o, metadata: { ...o.metadata, namespace: 'default' } })));
    let failures = 8;
    f.addReactor('list', 'configmaps', () => (failures-- > 0 ? { error: new ClientError('ERR_CLIENT_NETWORK', 'connection reset', { syscallCode: 'ECONNRESET' }) } : undefined));
    const { inf } = await start(f, clock);
    const delays: number[] = [];
    while (!inf.hasSynced() && delays.length < 20) {
      const d = clock.pendingDelays()[0];
      assert.ok(d !== undefined, 'a retry is scheduled');
      delays.push(d);
      await clock.advance(d);
    }
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    assert.equal(inf.cache.size, 1);
    assert.equal(inf.stats.errors, 8);
    await inf.stop();
  });

  test('jitter stays within [d, 2d] and under the cap', async () => {
    const { Backoff } = await import('./backoff.ts');
    const rows = [
      { name: 'no randomness', random: () => 0, want: [800, 1600, 3200] },
      { name: 'full jitter', random: () => 0.999, want: [1599, 3198, 6397] },
    ];
    for (const row of rows) {
      const b = new Backoff({ random: row.random });
      assert.deepEqual([b.next(), b.next(), b.next()], row.want, row.name);
    }
    const capped = new Backoff({ initialMs: 20_000, random: () => 0.9 });
    assert.equal(capped.next(), 30_000);
  });

  test('a refused watch is retried in place; a 410 relists once and delivers the diff', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    const r = f.resource(configmaps);
    for (const name of ['keep', 'upd', 'del']) await r.create('default', cm(name));
    let down = false;
    f.addReactor('watch', 'configmaps', () => (down ? { error: new ClientError('ERR_CLIENT_NETWORK', 'connect ECONNREFUSED', { syscallCode: 'ECONNREFUSED' }) } : undefined));
    const { inf, rec } = await start(f, clock);
    assert.ok(inf.hasSynced());
    down = true;
    f.closeWatches();
    await clock.advance(5_000);
    assert.equal(inf.stats.lists, 1, 'refused watches do not relist');
    assert.ok(inf.stats.errors >= 2);
    await r.create('default', cm('new'));
    const upd = await r.get('default', 'upd');
    await r.update({ ...upd, data: { v: '2' } });
    await r.delete('default', 'del');
    f.compact();
    down = false;
    await clock.advance(30_000);
    assert.equal(inf.stats.gone, 1);
    assert.equal(inf.stats.lists, 2);
    assert.deepEqual(rec.events.slice(3).sort(), ['add:new', 'delete(unknown):del', 'update:upd']);
    assert.equal(f.openWatches(), 1);
    await inf.stop();
    assert.equal(f.openWatches(), 0);
  });

  test('a clean watch end resumes from the last resourceVersion: nothing is delivered twice', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    const r = f.resource(configmaps);
    await r.create('default', cm('a'));
    const { inf, rec } = await start(f, clock);
    await r.create('default', cm('b'));
    await clock.advance(0);
    f.closeWatches();
    await clock.advance(0);
    await r.create('default', cm('c'));
    await clock.advance(2_000);
    assert.deepEqual(rec.events, ['add(initial):a', 'add:b', 'add:c']);
    assert.equal(inf.stats.lists, 1);
    assert.ok(inf.stats.watches >= 2);
    await inf.stop();
  });

  test('a watch that keeps closing at once backs off instead of spinning', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    f.addReactor('watch', 'configmaps', () => ({ result: null }));
    const { inf } = await start(f, clock);
    await clock.advance(10_000);
    // 800 + 1600 + 3200 + (6400 > remaining) → about 4 watches in 10 s, not thousands.
    assert.ok(inf.stats.watches <= 5, `watches: ${inf.stats.watches}`);
    await inf.stop();
  });

  test('re-created objects (new uid) are a delete and an add', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    const r = f.resource(configmaps);
    await r.create('default', cm('a'));
    let down = false;
    f.addReactor('watch', 'configmaps', () => (down ? { error: gone('too old resource version: 1 (2)') } : undefined));
    const { inf, rec } = await start(f, clock);
    down = true;
    f.closeWatches();
    await r.delete('default', 'a');
    await r.create('default', cm('a'));
    await clock.advance(2_000);
    down = false;
    await clock.advance(5_000);
    assert.deepEqual(rec.events, ['add(initial):a', 'delete(unknown):a', 'add:a']);
    assert.ok(inf.stats.gone >= 1);
    await inf.stop();
  });

  test('resync on the clock; 0 turns it off', async () => {
    for (const row of [{ name: 'every 10 s', resyncMs: 10_000, want: 3 }, { name: 'off', resyncMs: 0, want: 0 }]) {
      const clock = new FakeClock();
      const f = new FakeClient({ clock });
      await f.resource(configmaps).create('default', cm('a'));
      const { inf, rec } = await start(f, clock, { resyncMs: row.resyncMs });
      await clock.advance(35_000);
      assert.equal(rec.events.filter((e) => e === 'resync:a').length, row.want, row.name);
      await inf.stop();
    }
  });

  test('indexes follow adds, updates and deletes', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    const r = f.resource(configmaps);
    await r.create('ns1', cm('a', {}, { app: 'web' }));
    await r.create('ns2', cm('b', {}, { app: 'web' }));
    await r.create('ns2', cm('c', {}, { app: 'db' }));
    const { inf } = await start(f, clock, { indexers: { app: (o) => (o.metadata.labels?.['app'] !== undefined ? [o.metadata.labels['app']] : []) } });
    const names = (xs: KubeObject[]): string[] => xs.map((o) => o.metadata.name ?? '').sort();
    assert.deepEqual(names(inf.cache.byIndex('namespace', 'ns2')), ['b', 'c']);
    assert.deepEqual(names(inf.cache.byIndex('app', 'web')), ['a', 'b']);
    const c = await r.get('ns2', 'c');
    await r.update({ ...c, metadata: { ...c.metadata, labels: { app: 'web' } } });
    await r.delete('ns1', 'a');
    await clock.advance(0);
    assert.deepEqual(names(inf.cache.byIndex('app', 'web')), ['b', 'c']);
    assert.deepEqual(names(inf.cache.byIndex('app', 'db')), []);
    assert.deepEqual(names(inf.cache.byIndex('namespace', 'ns1')), []);
    inf.addIndexers({ name: (o) => [o.metadata.name ?? ''] });
    assert.deepEqual(names(inf.cache.byIndex('name', 'c')), ['c']);
    assert.throws(() => inf.cache.byIndex('nope', 'x'), /index "nope" does not exist/);
    await inf.stop();
  });

  test('late handlers get the cache replayed; a throwing handler does not stop the others', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    const r = f.resource(configmaps);
    await r.create('default', cm('a'));
    const logs: string[] = [];
    const { inf } = await start(f, clock, { log: (level, msg) => logs.push(`${level}: ${msg}`) });
    inf.addEventHandler({ onAdd: () => { throw new Error('boom'); } });
    const late = recorder();
    inf.addEventHandler(late.handler);
    assert.deepEqual(late.events, ['add(initial):a']);
    await r.create('default', cm('b'));
    await clock.advance(0);
    assert.deepEqual(late.events, ['add(initial):a', 'add:b']);
    assert.ok(logs.some((l) => l.startsWith('error:') && l.includes('boom')));
    await inf.stop();
  });

  test('waitForSync rejects when stopped before syncing', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    f.addReactor('list', '*', () => ({ error: new ClientError('ERR_CLIENT_NETWORK', 'down') }));
    const inf = new Informer(f.resource(configmaps), { clock });
    inf.start();
    const waiting = inf.waitForSync();
    await inf.stop();
    await assert.rejects(waiting, /stopped before it synced/);
  });

  test('the factory shares one informer per resource and selector', async () => {
    const clock = new FakeClock();
    const f = new FakeClient({ clock });
    await f.resource(configmaps).create('default', cm('a'));
    const factory = new InformerFactory(f, { clock });
    const a = factory.informerFor(configmaps);
    assert.equal(factory.informerFor(configmaps), a);
    const sel = factory.informerFor(configmaps, { labelSelector: 'app=x' });
    assert.notEqual(sel, a);
    assert.notEqual(factory.informerFor(configmaps, { namespace: 'kube-system' }), a);
    factory.start();
    const late = factory.informerFor(builtin('services'));
    assert.ok(late.running, 'informers made after start() start at once');
    await clock.advance(0);
    await factory.waitForSync();
    assert.ok(factory.hasSynced());
    assert.equal(a.cache.size, 1);
    assert.equal(sel.cache.size, 0);
    await factory.stop();
    assert.equal(f.openWatches(), 0);
  });
});
