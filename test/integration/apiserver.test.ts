// The API server's HTTP surface, in process: status codes, Status bodies, watch semantics
// (replay, bookmarks only on request, 410 after compaction), paging, CRDs, dry-run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcess } from '../helpers/inprocess.ts';
import { apiCall, apiWatch } from '../helpers/api.ts';
import { eventually } from '../helpers/switchboard.ts';

let s: InProcess;
before(async () => { s = await startInProcess(); });
after(async () => { await s.stop(); });

const cm = '/api/v1/namespaces/default/configmaps';

test('public and authenticated endpoints', async () => {
  const v = await apiCall({ ...s.target, token: '' }, 'GET', '/version');
  assert.equal(v.status, 200);
  assert.equal(v.json<{ minor: string }>().minor, '32');
  for (const p of ['/healthz', '/livez', '/readyz']) assert.equal((await apiCall({ ...s.target, token: '' }, 'GET', p)).status, 200);
  const denied = await apiCall({ ...s.target, token: 'nope' }, 'GET', cm);
  assert.equal(denied.status, 401);
  assert.equal(denied.json<{ kind: string; reason: string }>().reason, 'Unauthorized');
});

test('status codes and Status bodies', async () => {
  const rows: Array<{ name: string; method: string; path: string; body?: unknown; ct?: string; want: number; reason?: string; message?: RegExp }> = [
    { name: 'get missing', method: 'GET', path: `${cm}/nope`, want: 404, reason: 'NotFound', message: /^configmaps "nope" not found$/ },
    { name: 'unknown resource', method: 'GET', path: '/api/v1/namespaces/default/widgets', want: 404, reason: 'NotFound' },
    { name: 'namespace missing', method: 'POST', path: '/api/v1/namespaces/ghost/configmaps', body: { metadata: { name: 'x' } }, want: 404, message: /^namespaces "ghost" not found$/ },
    { name: 'bad json', method: 'POST', path: cm, body: '{"metadata":', want: 400, reason: 'BadRequest' },
    { name: 'kind mismatch', method: 'POST', path: cm, body: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'x' } }, want: 400 },
    { name: 'invalid name', method: 'POST', path: cm, body: { metadata: { name: 'A_B' } }, want: 422, reason: 'Invalid' },
    { name: 'missing name', method: 'POST', path: cm, body: { metadata: {} }, want: 422, message: /metadata\.name: Required value: name or generateName is required/ },
    { name: 'strict unknown field', method: 'POST', path: `${cm}?fieldValidation=Strict`, body: { metadata: { name: 'strict' }, dta: {} }, want: 400, message: /ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dta"/ },
    { name: 'bad label selector', method: 'GET', path: `${cm}?labelSelector=a%3D%3D%3D`, want: 400 },
    { name: 'bad field selector key', method: 'GET', path: `${cm}?fieldSelector=spec.x%3Dy`, want: 400 },
    { name: 'server-side apply refused', method: 'PATCH', path: `${cm}/kube-root-ca.crt`, body: {}, ct: 'application/apply-patch+yaml', want: 415 },
  ];
  for (const r of rows) {
    const res = await apiCall(s.target, r.method, r.path, r.body, r.ct !== undefined ? { 'Content-Type': r.ct } : {});
    assert.equal(res.status, r.want, `${r.name}: ${res.body}`);
    const st = res.json<{ kind: string; status: string; reason?: string; message?: string; code: number }>();
    assert.equal(st.kind, 'Status', r.name);
    assert.equal(st.code, r.want, r.name);
    if (r.reason !== undefined) assert.equal(st.reason, r.reason, r.name);
    if (r.message !== undefined) assert.match(st.message ?? '', r.message, r.name);
  }
});

test('conflict on a stale resourceVersion, generateName, dry-run', async () => {
  const c = await apiCall(s.target, 'POST', cm, { metadata: { name: 'conf' }, data: { a: '1' } });
  const obj = c.json<{ metadata: { resourceVersion: string } }>();
  const u1 = await apiCall(s.target, 'PUT', `${cm}/conf`, { ...obj, data: { a: '2' } });
  assert.equal(u1.status, 200);
  const u2 = await apiCall(s.target, 'PUT', `${cm}/conf`, { ...obj, data: { a: '3' } });
  assert.equal(u2.status, 409);
  assert.match(u2.json<{ message: string }>().message, /^Operation cannot be fulfilled on configmaps "conf": the object has been modified; please apply your changes to the latest version and try again$/);
  const g = await apiCall(s.target, 'POST', cm, { metadata: { generateName: 'gen-' } });
  assert.equal(g.status, 201);
  assert.match(g.json<{ metadata: { name: string } }>().metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const d = await apiCall(s.target, 'POST', `${cm}?dryRun=All`, { metadata: { name: 'dry' } });
  assert.equal(d.status, 201);
  assert.equal((await apiCall(s.target, 'GET', `${cm}/dry`)).status, 404);
});

test('list paging with continue tokens sees one consistent revision', async () => {
  for (let i = 0; i < 25; i++) await apiCall(s.target, 'POST', cm, { metadata: { name: `page-${String(i).padStart(2, '0')}`, labels: { paged: 'yes' } } });
  const names: string[] = [];
  let cont = '';
  let rv = '';
  for (let pages = 0; pages < 10; pages++) {
    const r = await apiCall(s.target, 'GET', `${cm}?labelSelector=paged%3Dyes&limit=10${cont !== '' ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    const l = r.json<{ metadata: { continue?: string; resourceVersion: string }; items: Array<{ metadata: { name: string } }> }>();
    if (rv === '') {
      rv = l.metadata.resourceVersion;
      // A write between pages must not show up in later pages.
      await apiCall(s.target, 'POST', cm, { metadata: { name: 'page-99', labels: { paged: 'yes' } } });
    }
    assert.equal(l.metadata.resourceVersion, rv);
    names.push(...l.items.map((i) => i.metadata.name));
    cont = l.metadata.continue ?? '';
    if (cont === '') break;
  }
  assert.equal(names.length, 25);
  assert.ok(!names.includes('page-99'));
});

test('watch: replay from 0, bookmarks only when asked, 410 after compaction', async () => {
  const w = await apiWatch(s.target, `${cm}?watch=true&labelSelector=w%3D1`);
  try {
    await apiCall(s.target, 'POST', cm, { metadata: { name: 'w1', labels: { w: '1' } } });
    await apiCall(s.target, 'PATCH', `${cm}/w1`, { metadata: { labels: { w: '2' } } }, { 'Content-Type': 'application/merge-patch+json' });
    await eventually(async () => w.events.length >= 2);
    assert.deepEqual(w.events.map((e) => e.type), ['ADDED', 'DELETED'], 'leaving the selector is a DELETED event');
    assert.ok(!w.events.some((e) => e.type === 'BOOKMARK'));
  } finally {
    w.close();
  }
  const replay = await apiWatch(s.target, `${cm}?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dw1`);
  try {
    await eventually(async () => replay.events.length >= 1);
    assert.equal(replay.events[0]?.type, 'ADDED');
  } finally {
    replay.close();
  }
  const before = await s.store.currentRevision();
  await apiCall(s.target, 'POST', cm, { metadata: { name: 'after-compact' } });
  await s.store.compact(await s.store.currentRevision());
  const old = await apiWatch(s.target, `${cm}?watch=true&resourceVersion=${before - 1}`);
  await old.ended;
  assert.equal(old.events[0]?.type, 'ERROR');
  const st = old.events[0]?.object as { code?: number; reason?: string };
  assert.equal(st.code, 410);
  assert.equal(st.reason, 'Expired');
  const bm = await apiWatch(s.target, `${cm}?watch=true&resourceVersion=${await s.store.currentRevision()}&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`);
  try {
    await eventually(async () => bm.events.some((e) => e.type === 'BOOKMARK'));
  } finally {
    bm.close();
  }
});

test('a CRD serves its custom resources', async () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: 'ipaddresspools.metallb.io' },
    spec: {
      group: 'metallb.io', scope: 'Namespaced',
      names: { kind: 'IPAddressPool', plural: 'ipaddresspools', singular: 'ipaddresspool', listKind: 'IPAddressPoolList' },
      versions: [{
        name: 'v1beta1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { addresses: { type: 'array', items: { type: 'string' } }, autoAssign: { type: 'boolean' } } } } } },
      }],
    },
  };
  assert.equal((await apiCall(s.target, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
  const path = '/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools';
  await eventually(async () => (await apiCall(s.target, 'GET', path)).status === 200);
  const created = await apiCall(s.target, 'POST', `${path}?fieldValidation=Strict`, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool' }, spec: { addresses: ['192.168.10.0/24'] } });
  assert.equal(created.status, 201, created.body);
  const typo = await apiCall(s.target, 'POST', `${path}?fieldValidation=Strict`, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'typo' }, spec: { adresses: [] } });
  assert.equal(typo.status, 400);
  assert.match(typo.json<{ message: string }>().message, /unknown field "spec\.adresses"/);
  const disc = await apiCall(s.target, 'GET', '/apis/metallb.io/v1beta1');
  assert.equal(disc.status, 200);
  assert.ok(disc.body.includes('"ipaddresspools"'));
  assert.equal((await apiCall(s.target, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ipaddresspools.metallb.io')).status, 200);
  await eventually(async () => (await apiCall(s.target, 'GET', path)).status === 404);
  // Re-created, it starts empty: the custom resources went with the CRD.
  assert.equal((await apiCall(s.target, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
  await eventually(async () => (await apiCall(s.target, 'GET', path)).status === 200);
  const list = await apiCall(s.target, 'GET', path);
  assert.deepEqual(list.json<{ items: unknown[] }>().items, []);
});
