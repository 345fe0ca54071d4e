// The informer-backed view over the client's FakeClient: indexes, changes, the ConfigMap source,
// and a whole DNS instance answering from it (the same path `switchboard up` uses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtin, FakeClient, InformerFactory } from '../../../client/index.ts';
import type { KubeObject } from '../../../api/types.ts';
import { configMapSource, InformerClusterView } from './informer.ts';
import { makeEndpoint, makeNamespace, makePod, makeService, makeSlice } from './fake.ts';
import { startClusterDns } from '../../index.ts';
import { query } from '../../server/client.ts';
import { sectionText } from '../../dns/zonefile.ts';
import { Rcode } from '../../dns/types.ts';

async function seed(c: FakeClient): Promise<void> {
  const put = async (plural: string, group: string | undefined, obj: KubeObject) => {
    await c.resource(builtin(plural, group)).create(obj.metadata.namespace ?? '', obj);
  };
  for (const n of ['default', 'kube-system', 'test']) await put('namespaces', undefined, makeNamespace(n));
  await put('services', undefined, makeService('test', 'web', '10.96.0.20'));
  await put('services', undefined, makeService('test', 'db', 'None'));
  await put('endpointslices', 'discovery.k8s.io', makeSlice('test', 'db', 'db-1', [makeEndpoint('10.244.1.10', (e) => { e.hostname = 'db-0'; })]));
  // Pod status is not taken on create (as on a real server): write it through the status subresource.
  const pods = c.resource(builtin('pods'));
  const pod = await pods.create('test', makePod('test', 'db-0', '10.244.1.10'));
  await pods.updateStatus({ ...pod, status: makePod('test', 'db-0', '10.244.1.10').status });
  await put('configmaps', undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'kube-system', name: 'coredns' }, data: { Corefile: '.:53 {\n kubernetes cluster.local in-addr.arpa {\n  pods verified\n }\n reload\n}\n' } });
}

test('informer view: lookups by name, cluster IP, endpoint IP and pod IP; changes move the SOA serial', async () => {
  const c = new FakeClient();
  await seed(c);
  const f = new InformerFactory(c);
  let now = 1_700_000_000_000;
  const view = new InformerClusterView(f, { now: () => now });
  view.requirePods();
  view.start();
  assert.equal(await view.waitForSync(5000), true);
  assert.ok(view.hasSynced());
  assert.equal(view.namespace('test')?.metadata.name, 'test');
  assert.equal(view.service('test', 'web')?.spec?.clusterIP, '10.96.0.20');
  assert.deepEqual(view.servicesByClusterIP('10.96.0.20').map((s) => s.metadata.name), ['web']);
  assert.deepEqual(view.endpointSlices('test', 'db').map((s) => s.metadata.name), ['db-1']);
  assert.deepEqual(view.endpointSlicesByIP('10.244.1.10').map((s) => s.metadata.name), ['db-1']);
  assert.deepEqual(view.podsByIP('10.244.1.10').map((p) => p.metadata.name), ['db-0']);
  const before = view.modified();
  now += 60_000;
  await c.resource(builtin('services')).create('test', makeService('test', 'late', '10.96.0.99'));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(view.servicesByClusterIP('10.96.0.99').map((s) => s.metadata.name), ['late']);
  assert.equal(view.modified(), before + 60);
  view.stop();
  await f.stop();
});

test('configMapSource: the Corefile and its changes', async () => {
  const c = new FakeClient();
  await seed(c);
  const f = new InformerFactory(c);
  const src = configMapSource(f);
  src.informer.start();
  await src.informer.waitForSync();
  assert.match(src.read() ?? '', /pods verified/);
  let changed = 0;
  src.watch(() => { changed++; });
  const cm = await c.resource(builtin('configmaps')).get('kube-system', 'coredns');
  await c.resource(builtin('configmaps')).update({ ...cm, data: { Corefile: '.:53 {\n whoami\n}\n' } });
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(changed >= 1);
  assert.match(src.read() ?? '', /whoami/);
  await f.stop();
});

test('startClusterDns over a client: the ConfigMap Corefile, pods verified, live changes, reload', async () => {
  const c = new FakeClient();
  await seed(c);
  const dns = await startClusterDns({ client: c, httpAddress: '127.0.0.1:0', log: () => undefined, events: false });
  try {
    const a = await query(dns.udpAddress, 'web.test.svc.cluster.local', 'A');
    assert.deepEqual(sectionText(a.answer), ['web.test.svc.cluster.local. 5 IN A 10.96.0.20']);
    const pod = await query(dns.udpAddress, '10-244-1-10.test.pod.cluster.local', 'A');
    assert.deepEqual(sectionText(pod.answer), ['10-244-1-10.test.pod.cluster.local. 5 IN A 10.244.1.10'], 'pods verified: a pod with that IP');
    assert.equal((await query(dns.udpAddress, '10-244-1-99.test.pod.cluster.local', 'A')).rcode, Rcode.NXDOMAIN);
    await c.resource(builtin('endpointslices', 'discovery.k8s.io')).create('test', makeSlice('test', 'db', 'db-2', [makeEndpoint('10.244.1.11', (e) => { e.hostname = 'db-1'; })]));
    for (let i = 0; i < 50 && (await query(dns.udpAddress, 'db.test.svc.cluster.local', 'A')).answer.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await query(dns.udpAddress, 'db.test.svc.cluster.local', 'A')).answer.length, 2);
    const cm = await c.resource(builtin('configmaps')).get('kube-system', 'coredns');
    await c.resource(builtin('configmaps')).update({ ...cm, data: { Corefile: '.:53 {\n kubernetes cluster.local {\n  ttl 42\n }\n reload\n}\n' } });
    for (let i = 0; i < 50 && (await query(dns.udpAddress, 'web.test.svc.cluster.local', 'A')).answer[0]?.ttl !== 42; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await query(dns.udpAddress, 'web.test.svc.cluster.local', 'A')).answer[0]?.ttl, 42);
  } finally {
    await dns.stop();
  }
});
