// kill -9 of `switchboard up` mid-write: after a restart on the same data dir every acknowledged
// write is there with the same resourceVersion, and a watch resumed from an old resourceVersion
// delivers exactly the events that happened after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Switchboard, eventually } from '../helpers/switchboard.ts';
import { apiCall, apiWatch, type ApiTarget } from '../helpers/api.ts';

const cmPath = '/api/v1/namespaces/default/configmaps';

function target(sb: Switchboard): ApiTarget {
  return { api: sb.state.api, token: sb.token, ca: sb.caCert };
}

interface Acked { name: string; rv: string; deleted: boolean; data: string }

test('acknowledged writes survive kill -9 and a resumed watch delivers exactly the missed events', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
  let sb = await Switchboard.start({ dataDir });
  try {
    let t = target(sb);
    const acked = new Map<string, Acked>();
    // A baseline the watch will resume from.
    for (let i = 0; i < 20; i++) {
      const r = await apiCall(t, 'POST', cmPath, { metadata: { name: `base-${i}` }, data: { i: String(i) } });
      assert.equal(r.status, 201, r.body);
      const o = r.json<{ metadata: { resourceVersion: string } }>();
      acked.set(`base-${i}`, { name: `base-${i}`, rv: o.metadata.resourceVersion, deleted: false, data: String(i) });
    }
    const resumeFrom = [...acked.values()].at(-1)?.rv ?? '0';
    // After the resume point: creates, updates and deletes; expected events in order.
    const expected: Array<{ type: string; name: string; rv: string }> = [];
    for (let i = 0; i < 10; i++) {
      const name = `base-${i}`;
      if (i % 2 === 0) {
        const r = await apiCall(t, 'PATCH', `${cmPath}/${name}`, { data: { i: `changed-${i}` } }, { 'Content-Type': 'application/merge-patch+json' });
        assert.equal(r.status, 200, r.body);
        const rv = r.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
        acked.set(name, { name, rv, deleted: false, data: `changed-${i}` });
        expected.push({ type: 'MODIFIED', name, rv });
      } else {
        const r = await apiCall(t, 'DELETE', `${cmPath}/${name}`);
        assert.equal(r.status, 200, r.body);
        acked.set(name, { name, rv: '', deleted: true, data: '' });
        expected.push({ type: 'DELETED', name, rv: '' });
      }
    }
    // A stream of creates, killed part-way: the ones that got a 201 are acknowledged.
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `late-${i}`;
        try {
          const r = await apiCall(t, 'POST', cmPath, { metadata: { name }, data: { i: String(i) } });
          if (r.status !== 201) break;
          const rv = r.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
          acked.set(name, { name, rv, deleted: false, data: String(i) });
          expected.push({ type: 'ADDED', name, rv });
        } catch {
          break; // connection cut by the kill
        }
      }
    })();
    await eventually(async () => [...acked.keys()].filter((k) => k.startsWith('late-')).length >= 150, 20_000, 5);
    await sb.kill9();
    stop = true;
    await writer;

    sb = await Switchboard.start({ dataDir });
    t = target(sb);
    for (const a of acked.values()) {
      const r = await apiCall(t, 'GET', `${cmPath}/${a.name}`);
      if (a.deleted) {
        assert.equal(r.status, 404, `${a.name} was deleted before the crash`);
        continue;
      }
      assert.equal(r.status, 200, `${a.name} acknowledged (rv ${a.rv}) but missing after restart`);
      const o = r.json<{ metadata: { resourceVersion: string }; data: { i: string } }>();
      assert.equal(o.metadata.resourceVersion, a.rv, `${a.name} resourceVersion changed`);
      assert.equal(o.data.i, a.data);
    }
    // Resume a watch from before the crash: exactly the missed events, in order. Writes that were
    // in flight at the kill (not acknowledged) may also have landed; they come last.
    const w = await apiWatch(t, `${cmPath}?watch=true&resourceVersion=${resumeFrom}`);
    try {
      await eventually(async () => w.events.length >= expected.length, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      const got = w.events.map((e) => ({ type: e.type, name: e.object.metadata?.name ?? '', rv: e.object.metadata?.resourceVersion ?? '' }));
      assert.ok(got.length <= expected.length + 1, `at most one unacknowledged write may follow; got ${got.length - expected.length} extra`);
      const prefix = got.slice(0, expected.length);
      assert.deepEqual(prefix.map((e) => `${e.type} ${e.name}`), expected.map((e) => `${e.type} ${e.name}`));
      for (const [i, e] of expected.entries()) {
        if (e.rv !== '') assert.equal(prefix[i]?.rv, e.rv);
      }
      const rvs = got.map((e) => Number(e.rv));
      assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b), 'events in revision order');
    } finally {
      w.close();
    }
  } finally {
    await sb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
