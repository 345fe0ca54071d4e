// The conformance suite every Store backend runs: one test per clause of the contract in types.ts.
// Backends call runStoreConformance from their own test file. Tests use revisions relative to the
// store's revision at the start (r0) and their own key prefixes, so a backend whose fresh store
// does not start at revision 0 (etcd) runs the same suite.

import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { StoreError, type KeyValue, type Store, type StoreErrorCode, type Watch, type WatchEvent } from './types.ts';

/** A fresh store for one test; `reopen` (persistent backends) opens the same data again after the suite closed `store`. */
export interface StoreFixture {
  store: Store;
  reopen?: () => Promise<Store>;
  /** Closes any store still open (closing twice is fine) and removes the data. */
  cleanup: () => Promise<void>;
}

/** Registers the Store conformance tests (node:test) for the backend `make` creates. */
/** `persistent`: the backend keeps data across a reopen (its fixtures set `reopen`); the persistence cases run only then. */
export function runStoreConformance(name: string, make: () => Promise<StoreFixture>, opts: { persistent: boolean } = { persistent: true }): void {
  /** A test on a fresh fixture, cleaned up afterwards. */
  const it = (title: string, body: (f: StoreFixture, r0: number, t: TestContext) => Promise<void>): void => {
    test(title, async (t) => {
      const f = await make();
      try {
        await body(f, await f.store.currentRevision(), t);
      } finally {
        await f.cleanup();
      }
    });
  };

  describe(`Store conformance: ${name}`, () => {
    describe('revisions', () => {
      it('each write takes the next revision, across keys', async ({ store: s }, r0) => {
        const a = await s.create('/rev/a', '1');
        const b = await s.create('/rev/b', '1');
        const a2 = await s.update('/rev/a', '2', a.modRevision);
        const bDel = await s.delete('/rev/b', b.modRevision);
        const aDel = await s.delete('/rev/a');
        assert.deepEqual(
          [a, b, a2, bDel, aDel].map((kv) => [kv.key, kv.value, kv.createRevision - r0, kv.modRevision - r0]),
          [
            ['/rev/a', '1', 1, 1],
            ['/rev/b', '1', 2, 2],
            ['/rev/a', '2', 1, 3], // an update keeps createRevision
            ['/rev/b', '1', 2, 4], // a delete returns the deleted value at the delete's revision
            ['/rev/a', '2', 1, 5],
          ],
        );
        assert.equal(await s.currentRevision(), r0 + 5);
      });

      it('a failed write takes no revision', async ({ store: s }, r0) => {
        const a = await s.create('/rev/a', '1');
        await assert.rejects(s.create('/rev/a', 'x'));
        await assert.rejects(s.update('/rev/a', 'x', a.modRevision + 100));
        await assert.rejects(s.delete('/rev/missing'));
        assert.equal(await s.currentRevision(), r0 + 1);
        assert.equal((await s.create('/rev/b', '1')).modRevision, r0 + 2);
      });

      it('create after delete starts a new life of the key', async ({ store: s }, r0) => {
        const a = await s.create('/rev/a', '1');
        await s.delete('/rev/a', a.modRevision);
        const again = await s.create('/rev/a', '2');
        assert.deepEqual(fmtKv(again, r0), '/rev/a=2@3');
        assert.equal(again.createRevision, r0 + 3);
        assert.deepEqual(await s.get('/rev/a'), again);
      });
    });

    describe('errors', () => {
      const cases: Array<{
        name: string;
        given: (s: Store, fx: { a: KeyValue; r0: number }) => Promise<unknown>;
        want: { code: StoreErrorCode; currentIsA?: boolean };
      }> = [
        { name: 'create of an existing key', given: (s) => s.create('/err/a', 'x'), want: { code: 'exists' } },
        { name: 'update with a stale revision', given: (s, { a }) => s.update('/err/a', 'x', a.modRevision - 1), want: { code: 'conflict', currentIsA: true } },
        { name: 'delete with a stale revision', given: (s, { a }) => s.delete('/err/a', a.modRevision - 1), want: { code: 'conflict', currentIsA: true } },
        { name: 'update of a missing key', given: (s) => s.update('/err/missing', 'x', 1), want: { code: 'not-found' } },
        { name: 'delete of a missing key', given: (s) => s.delete('/err/missing'), want: { code: 'not-found' } },
        { name: 'update of a deleted key', given: (s, { r0 }) => s.update('/err/gone', 'x', r0 + 1), want: { code: 'not-found' } },
        { name: 'delete of a deleted key', given: (s) => s.delete('/err/gone'), want: { code: 'not-found' } },
        { name: 'list at a future revision', given: async (s) => s.list('/err/', { revision: (await s.currentRevision()) + 1 }), want: { code: 'future-revision' } },
        { name: 'watch from a future revision', given: async (s) => s.watch('/err/', (await s.currentRevision()) + 1, { onEvent() {} }), want: { code: 'future-revision' } },
        { name: 'compact at a future revision', given: async (s) => s.compact((await s.currentRevision()) + 1), want: { code: 'future-revision' } },
      ];
      for (const { name, given, want } of cases) {
        it(name, async ({ store: s }, r0) => {
          const gone = await s.create('/err/gone', '1');
          await s.delete('/err/gone', gone.modRevision);
          const a1 = await s.create('/err/a', '1');
          const a = await s.update('/err/a', '2', a1.modRevision);
          const before = await s.currentRevision();
          const err = await rejection(given(s, { a, r0 }));
          assert.equal(err.code, want.code, err.message);
          if (want.currentIsA) assert.deepEqual(err.current, a);
          assert.equal(await s.currentRevision(), before);
          assert.deepEqual(await s.get('/err/a'), a);
        });
      }
    });

    describe('reads', () => {
      it('get and list return the latest values', async ({ store: s }, r0) => {
        const a = await s.create('/get/a', '1');
        await s.create('/get/b', '1');
        await s.update('/get/a', '2', a.modRevision);
        await s.delete('/get/b');
        await s.create('/get/c', '1');
        assert.equal(fmtKv(await s.get('/get/a'), r0), '/get/a=2@3');
        assert.equal(await s.get('/get/b'), undefined);
        assert.equal(await s.get('/get/never'), undefined);
        const l = await s.list('/get/');
        assert.deepEqual(l.items.map((kv) => fmtKv(kv, r0)), ['/get/a=2@3', '/get/c=1@5']);
        assert.equal(l.revision, r0 + 5);
        assert.equal(l.more, false);
        assert.deepEqual((await s.list('/get/', { revision: 0 })).items, l.items);
      });

      it('list at an older revision returns the state then', async ({ store: s }, r0) => {
        const a = await s.create('/old/a', '1'); // 1
        await s.create('/old/b', '1'); // 2
        await s.update('/old/a', '2', a.modRevision); // 3
        await s.delete('/old/b'); // 4
        await s.create('/old/c', '1'); // 5
        await s.create('/other/x', '1'); // 6: outside the prefix, still moves the revision
        const rows: Array<{ name: string; given: number; want: string[] }> = [
          { name: 'after the first create', given: 1, want: ['/old/a=1@1'] },
          { name: 'after the second create', given: 2, want: ['/old/a=1@1', '/old/b=1@2'] },
          { name: 'after an update: the new value', given: 3, want: ['/old/a=2@3', '/old/b=1@2'] },
          { name: 'after a delete: the key is gone', given: 4, want: ['/old/a=2@3'] },
          { name: 'at the latest write under the prefix', given: 5, want: ['/old/a=2@3', '/old/c=1@5'] },
          { name: 'at a later write elsewhere', given: 6, want: ['/old/a=2@3', '/old/c=1@5'] },
        ];
        for (const { name, given, want } of rows) {
          const l = await s.list('/old/', { revision: r0 + given });
          assert.deepEqual(l.items.map((kv) => fmtKv(kv, r0)), want, name);
          assert.equal(l.revision, r0 + given, name);
        }
      });

      it('list pages with limit and startKey', async ({ store: s }, r0) => {
        for (const k of ['a', 'b', 'c', 'd', 'e']) await s.create(`/page/${k}`, k);
        await s.create('/pagex/a', 'x'); // a neighbour that must never show up
        const rows: Array<{ name: string; given: { limit: number; startKey?: string }; want: { pages: string[][] } }> = [
          { name: 'limit 2 over 5 keys', given: { limit: 2 }, want: { pages: [['a', 'b'], ['c', 'd'], ['e']] } },
          { name: 'limit dividing the keys: no empty last page', given: { limit: 5 }, want: { pages: [['a', 'b', 'c', 'd', 'e']] } },
          { name: 'limit beyond the keys', given: { limit: 10 }, want: { pages: [['a', 'b', 'c', 'd', 'e']] } },
          { name: 'limit 0 is unlimited', given: { limit: 0 }, want: { pages: [['a', 'b', 'c', 'd', 'e']] } },
          { name: 'startKey is inclusive', given: { limit: 2, startKey: '/page/c' }, want: { pages: [['c', 'd'], ['e']] } },
          { name: 'startKey between keys', given: { limit: 0, startKey: '/page/bb' }, want: { pages: [['c', 'd', 'e']] } },
          { name: 'startKey before the prefix', given: { limit: 0, startKey: '/pa' }, want: { pages: [['a', 'b', 'c', 'd', 'e']] } },
          { name: 'startKey after the prefix', given: { limit: 0, startKey: '/pagez' }, want: { pages: [[]] } },
        ];
        for (const { name, given, want } of rows) {
          const pages: string[][] = [];
          let startKey = given.startKey;
          for (;;) {
            const l = await s.list('/page/', { limit: given.limit, ...(startKey === undefined ? {} : { startKey }) });
            assert.equal(l.revision, r0 + 6, name);
            pages.push(l.items.map((kv) => kv.value));
            if (!l.more) break;
            assert.equal(l.items.length, given.limit, `${name}: a page with more is full`);
            startKey = `${(l.items.at(-1) as KeyValue).key}\0`; // the smallest key after the last one
            assert.ok(pages.length <= 10, `${name}: too many pages`);
          }
          assert.deepEqual(pages, want.pages, name);
        }
      });

      it('paging at a fixed revision is a consistent snapshot while writes continue', async ({ store: s }) => {
        for (const k of ['a', 'b', 'c', 'd']) await s.create(`/snap/${k}`, '1');
        const d = await s.get('/snap/d');
        const first = await s.list('/snap/', { limit: 2 });
        await s.delete('/snap/c');
        await s.create('/snap/bb', '1');
        await s.update('/snap/d', '2', d?.modRevision ?? 0);
        const second = await s.list('/snap/', { limit: 2, revision: first.revision, startKey: '/snap/b\0' });
        assert.deepEqual([...first.items, ...second.items].map((kv) => `${kv.key}=${kv.value}`), ['/snap/a=1', '/snap/b=1', '/snap/c=1', '/snap/d=1']);
        assert.equal(second.more, false);
        assert.equal(second.revision, first.revision);
      });

      it('count counts live keys under a prefix', async ({ store: s }) => {
        const rows: Array<{ name: string; given: string; want: number }> = [
          { name: 'a prefix with live and deleted keys', given: '/cnt/', want: 2 },
          { name: 'a nested prefix', given: '/cnt/sub/', want: 1 },
          { name: 'a prefix with only deleted keys', given: '/cntdel/', want: 0 },
          { name: 'an unused prefix', given: '/none/', want: 0 },
        ];
        await s.create('/cnt/a', '1');
        await s.create('/cnt/sub/b', '1');
        await s.create('/cnt/c', '1');
        await s.delete('/cnt/c');
        await s.create('/cntdel/a', '1');
        await s.delete('/cntdel/a');
        for (const { name, given, want } of rows) assert.equal(await s.count(given), want, name);
      });

      it('a prefix is a plain string prefix: /a/ does not match /ab/', async ({ store: s }, r0) => {
        await s.create('/a', 'bare');
        await s.create('/a/1', 'in');
        await s.create('/ab/1', 'neighbour');
        await s.create('/a/2/x', 'nested');
        await s.create('/a0', 'sorts-after');
        const w = collect(s);
        await w.start('/a/', r0);
        await s.create('/ab/2', 'neighbour');
        await s.create('/a/3', 'in');
        await w.until(r0 + 7);
        assert.deepEqual((await s.list('/a/')).items.map((kv) => kv.key), ['/a/1', '/a/2/x', '/a/3']);
        assert.equal(await s.count('/a/'), 3);
        assert.deepEqual(w.events.map((ev) => ev.kv.key), ['/a/1', '/a/2/x', '/a/3']);
        w.cancel();
      });

      it('keys sort by code point (UTF-8 byte order)', async ({ store: s }) => {
        // In UTF-16 (JavaScript `<`) U+10000 sorts before U+FFFF; in UTF-8 and code points, after.
        const keys = ['/u/\u{10000}', '/u/\uffff', '/u/é', '/u/z', '/u/Z', '/u/a/b', '/u/a'];
        for (const k of keys) await s.create(k, 'v');
        assert.deepEqual((await s.list('/u/')).items.map((kv) => kv.key), ['/u/Z', '/u/a', '/u/a/b', '/u/z', '/u/é', '/u/\uffff', '/u/\u{10000}']);
        const paged = await s.list('/u/', { startKey: '/u/\uffff\0', limit: 1 });
        assert.deepEqual(paged.items.map((kv) => kv.key), ['/u/\u{10000}']);
      });

      it('values are stored verbatim', async ({ store: s }) => {
        const rows: Array<{ name: string; given: string }> = [
          { name: 'empty', given: '' },
          { name: 'JSON with newlines and quotes', given: '{\n  "a": "b\\"c",\n  "d": [1, 2]\n}\n' },
          { name: 'non-ASCII', given: 'héllo wörld ✓ \u{1f600}' },
          { name: 'large (1 MiB)', given: 'x'.repeat(1 << 20) },
        ];
        for (const [i, { name, given }] of rows.entries()) {
          await s.create(`/val/${i}`, given);
          assert.equal((await s.get(`/val/${i}`))?.value, given, name);
        }
        assert.deepEqual((await s.list('/val/')).items.map((kv) => kv.value), rows.map((r) => r.given));
      });
    });

    describe('watch', () => {
      it('a watch from 0 replays all history in order, then goes live', async ({ store: s }, r0) => {
        const a = await s.create('/w/a', '1');
        await s.create('/w/b', '1');
        await s.update('/w/a', '2', a.modRevision);
        await s.delete('/w/b');
        await s.create('/w/b', '2');
        const w = collect(s);
        await w.start('/w/', 0);
        await s.delete('/w/a');
        await w.until(r0 + 6);
        assert.deepEqual(w.events.map((ev) => fmtEvent(ev, r0)), [
          'put /w/a=1@1',
          'put /w/b=1@2',
          'put /w/a=2@3 prev=1@1',
          'delete /w/b=1@4 prev=1@2',
          'put /w/b=2@5',
          'delete /w/a=2@6 prev=2@3',
        ]);
        // Every event of one life of a key carries that life's createRevision.
        assert.deepEqual(
          w.events.map((ev) => [ev.kv.createRevision - r0, (ev.prev?.createRevision ?? r0) - r0]),
          [[1, 0], [2, 0], [1, 1], [2, 2], [5, 0], [1, 1]],
        );
        w.cancel();
      });

      it('a watch from revision N delivers exactly the events after N', async ({ store: s }, r0) => {
        for (let i = 1; i <= 6; i++) await s.create(`/wn/${i}`, String(i));
        const rows: Array<{ name: string; given: number; want: number[] }> = [
          { name: 'from the start', given: 0, want: [1, 2, 3, 4, 5, 6, 7, 8] },
          { name: 'from the middle', given: 3, want: [4, 5, 6, 7, 8] },
          { name: 'from the last revision (live only)', given: 6, want: [7, 8] },
        ];
        const watches = rows.map(() => collect(s));
        for (const [i, row] of rows.entries()) await watches[i]?.start('/wn/', r0 + row.given);
        await s.create('/wn/7', '7');
        await s.create('/wn/8', '8');
        for (const [i, { name, want }] of rows.entries()) {
          const w = watches[i] as Collector;
          await w.until(r0 + 8);
          assert.deepEqual(w.events.map((ev) => ev.kv.modRevision - r0), want, name);
          w.cancel();
        }
      });

      it('history and concurrent writes interleave without loss or duplicates', async ({ store: s }, r0) => {
        for (let i = 0; i < 50; i++) await s.create(`/wc/h${i}`, 'h');
        const writes: Array<Promise<unknown>> = [];
        for (let i = 0; i < 50; i++) writes.push(s.create(`/wc/x${i}`, 'x'));
        const w = collect(s);
        const started = w.start('/wc/', r0 + 20);
        for (let i = 0; i < 50; i++) writes.push(s.create(`/wc/y${i}`, 'y'));
        await started;
        for (let i = 0; i < 50; i++) writes.push(s.create(`/wc/z${i}`, 'z'));
        await Promise.all(writes);
        const last = await s.currentRevision();
        assert.equal(last, r0 + 200);
        await w.until(last);
        assert.deepEqual(w.events.map((ev) => ev.kv.modRevision), range(r0 + 21, last));
        w.cancel();
      });

      it('writes made inside a callback reach every watcher in order', async ({ store: s }, r0) => {
        const writer = collect(s, (ev) => {
          if (ev.kv.key === '/wr/a') void s.create('/wr/b', 'from-callback');
        });
        const other = collect(s);
        await writer.start('/wr/', r0);
        await other.start('/wr/', r0);
        await s.create('/wr/a', '1');
        await other.until(r0 + 2);
        await writer.until(r0 + 2);
        for (const w of [writer, other]) {
          assert.deepEqual(w.events.map((ev) => fmtEvent(ev, r0)), ['put /wr/a=1@1', 'put /wr/b=from-callback@2']);
          w.cancel();
        }
      });

      it('a watch opened inside a callback starts exactly where asked', async ({ store: s }, r0) => {
        await s.create('/wi/a', '1');
        const inner = collect(s);
        let opened: Promise<unknown> | undefined;
        const outer = collect(s, (ev) => {
          if (ev.kv.key !== '/wi/b') return;
          // A write still being fanned out, one just made, and history: each reaches `inner` once.
          void s.create('/wi/c', '1');
          opened = inner.start('/wi/', r0);
        });
        await outer.start('/wi/', r0 + 1);
        await s.create('/wi/b', '1');
        await outer.until(r0 + 3);
        await opened;
        await s.create('/wi/d', '1');
        await inner.until(r0 + 4);
        assert.deepEqual(inner.events.map((ev) => ev.kv.key), ['/wi/a', '/wi/b', '/wi/c', '/wi/d']);
        outer.cancel();
        inner.cancel();
      });

      it('cancel stops delivery; cancelling twice is safe', async ({ store: s }, r0) => {
        const w = collect(s);
        const probe = collect(s);
        await w.start('/wx/', r0);
        await probe.start('/wx/', r0);
        await s.create('/wx/a', '1');
        await w.until(r0 + 1);
        w.cancel();
        w.cancel();
        await s.create('/wx/b', '1');
        await probe.until(r0 + 2); // by now an uncancelled watch would have seen /wx/b
        assert.deepEqual(w.events.map((ev) => ev.kv.key), ['/wx/a']);
        assert.equal(w.errors.length, 0);
        probe.cancel();
      });
    });

    describe('compaction', () => {
      it('refuses reads and watches before the compacted revision, serves the rest', async ({ store: s }, r0) => {
        const a = await s.create('/c/a', '1'); // 1
        await s.create('/c/b', '1'); // 2
        const a2 = await s.update('/c/a', '2', a.modRevision); // 3
        await s.delete('/c/b'); // 4
        await s.create('/c/d', '1'); // 5
        await s.update('/c/a', '3', a2.modRevision); // 6: supersedes the value /c/a had at 4
        await s.delete('/c/d'); // 7
        const c = r0 + 4;
        const running = collect(s);
        await running.start('/c/', r0 + 4);
        await s.compact(c);
        assert.equal(await s.compactedRevision(), c);

        const refused: Array<{ name: string; given: () => Promise<unknown> }> = [
          { name: 'list just before', given: () => s.list('/c/', { revision: c - 1 }) },
          { name: 'list far before', given: () => s.list('/c/', { revision: r0 + 1 }) },
          { name: 'watch just before', given: () => s.watch('/c/', c - 1, { onEvent() {} }) },
        ];
        for (const { name, given } of refused) {
          const err = await rejection(given());
          assert.equal(err.code, 'compacted', name);
          assert.equal(err.compactRevision, c, name);
        }

        const atC = await s.list('/c/', { revision: c });
        assert.deepEqual(atC.items.map((kv) => fmtKv(kv, r0)), ['/c/a=2@3']);
        assert.deepEqual((await s.list('/c/', { revision: r0 + 5 })).items.map((kv) => fmtKv(kv, r0)), ['/c/a=2@3', '/c/d=1@5']);
        assert.deepEqual((await s.list('/c/')).items.map((kv) => fmtKv(kv, r0)), ['/c/a=3@6']);
        const w = collect(s);
        await w.start('/c/', c);
        await w.until(r0 + 7);
        const want = ['put /c/d=1@5', 'put /c/a=3@6 prev=2@3', 'delete /c/d=1@7 prev=1@5'];
        assert.deepEqual(w.events.map((ev) => fmtEvent(ev, r0)), want);

        // A watch open across the compaction keeps going.
        await s.create('/c/e', '1');
        await running.until(r0 + 8);
        assert.deepEqual(running.events.map((ev) => fmtEvent(ev, r0)), [...want, 'put /c/e=1@8']);
        assert.equal(running.errors.length, 0);
        w.cancel();
        running.cancel();
      });

      it('compacting to an older or equal revision changes nothing', async ({ store: s }, r0) => {
        for (let i = 0; i < 4; i++) await s.create(`/c/${i}`, '1');
        await s.compact(r0 + 3);
        await s.compact(r0 + 2);
        await s.compact(r0 + 3);
        assert.equal(await s.compactedRevision(), r0 + 3);
        assert.equal((await s.list('/c/', { revision: r0 + 3 })).items.length, 3);
      });

      it('compaction of the newest write (a delete) keeps the revision counter', async ({ store: s }, r0) => {
        const a = await s.create('/c/a', '1');
        await s.delete('/c/a', a.modRevision);
        await s.compact(r0 + 2);
        assert.equal(await s.currentRevision(), r0 + 2);
        assert.deepEqual((await s.list('/c/')).items, []);
        assert.equal((await s.create('/c/a', '2')).modRevision, r0 + 3);
      });
    });

    describe('close', () => {
      it('ends watches with onError and refuses later calls', async ({ store: s }, r0) => {
        const w = collect(s);
        await w.start('/cl/', r0);
        await s.create('/cl/a', '1');
        await w.until(r0 + 1);
        await s.close();
        await s.close(); // twice is fine
        assert.equal(w.errors.length, 1);
        assert.ok(w.errors[0] instanceof StoreError && w.errors[0].code === 'closed', String(w.errors[0]));
        for (const call of [() => s.get('/cl/a'), () => s.create('/cl/b', '1'), () => s.watch('/cl/', 0, { onEvent() {} })]) {
          assert.equal((await rejection(call())).code, 'closed');
        }
        assert.deepEqual(w.events.map((ev) => ev.kv.key), ['/cl/a']);
      });
    });

    if (opts.persistent) describe('persistence', () => {
      it('reopening keeps values, revisions and history; new writes continue the count', async (f, r0, t) => {
        if (f.reopen === undefined) throw new Error('a persistent backend\'s fixture must set reopen');
        const s = f.store;
        const a = await s.create('/p/a', '1');
        await s.create('/p/b', '1');
        await s.update('/p/a', '2', a.modRevision);
        await s.delete('/p/b');
        await s.create('/p/c', '1');
        await s.compact(r0 + 2);
        const before = {
          rev: await s.currentRevision(),
          compacted: await s.compactedRevision(),
          list: await s.list('/p/'),
          old: await s.list('/p/', { revision: r0 + 3 }),
          a: await s.get('/p/a'),
        };
        const history = collect(s);
        await history.start('/p/', r0 + 2);
        await history.until(before.rev);
        await s.close();

        const s2 = await f.reopen();
        assert.equal(await s2.currentRevision(), before.rev);
        assert.equal(await s2.compactedRevision(), before.compacted);
        assert.deepEqual(await s2.list('/p/'), before.list);
        assert.deepEqual(await s2.list('/p/', { revision: r0 + 3 }), before.old);
        assert.deepEqual(await s2.get('/p/a'), before.a);
        const again = collect(s2);
        await again.start('/p/', r0 + 2);
        await again.until(before.rev);
        assert.deepEqual(again.events, history.events);
        const d = await s2.create('/p/d', '1');
        assert.equal(d.modRevision, before.rev + 1);
        assert.equal((await rejection(s2.list('/p/', { revision: r0 + 1 }))).code, 'compacted');
        again.cancel();
        await s2.close();
      });

      it('reopening after compacting away the newest row keeps the revision', async (f, r0, t) => {
        if (f.reopen === undefined) throw new Error('a persistent backend\'s fixture must set reopen');
        const a = await f.store.create('/p/a', '1');
        await f.store.delete('/p/a', a.modRevision);
        await f.store.compact(r0 + 2);
        await f.store.close();
        const s2 = await f.reopen();
        assert.equal(await s2.currentRevision(), r0 + 2);
        assert.equal(await s2.compactedRevision(), r0 + 2);
        assert.equal((await s2.create('/p/a', '2')).modRevision, r0 + 3);
        await s2.close();
      });
    });
  });
}

/** Events and errors seen by one watch, with a way to wait for a revision. */
interface Collector {
  events: WatchEvent[];
  errors: Error[];
  start(prefix: string, afterRevision: number): Promise<Watch>;
  until(rev: number): Promise<void>;
  cancel(): void;
}

function collect(s: Store, onEvent?: (ev: WatchEvent) => void): Collector {
  let watch: Watch | undefined;
  const c: Collector = {
    events: [],
    errors: [],
    async start(prefix, afterRevision) {
      watch = await s.watch(prefix, afterRevision, {
        onEvent: (ev) => {
          const last = c.events.at(-1);
          if (last !== undefined) assert.ok(ev.kv.modRevision > last.kv.modRevision, `event ${ev.kv.modRevision} after ${last.kv.modRevision}`);
          c.events.push(ev);
          onEvent?.(ev);
        },
        onError: (err) => c.errors.push(err),
      });
      return watch;
    },
    async until(rev) {
      await waitFor(() => (c.events.at(-1)?.kv.modRevision ?? 0) >= rev || c.errors.length > 0, `a watch event at revision ${rev}`);
      assert.deepEqual(c.errors, []);
    },
    cancel() {
      watch?.cancel();
    },
  };
  return c;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The StoreError `p` rejects with (fails if it resolves or rejects with something else). */
async function rejection(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a StoreError, but the call succeeded');
}

/** `key=value@modRevision`, revision relative to r0. */
function fmtKv(kv: KeyValue | undefined, r0: number): string {
  return kv === undefined ? 'undefined' : `${kv.key}=${kv.value}@${kv.modRevision - r0}`;
}

/** `type key=value@rev [prev=value@rev]`, revisions relative to r0. */
function fmtEvent(ev: WatchEvent, r0: number): string {
  const prev = ev.prev === undefined ? '' : ` prev=${ev.prev.value}@${ev.prev.modRevision - r0}`;
  return `${ev.type} ${fmtKv(ev.kv, r0)}${prev}`;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
