// Query → answer table for the kubernetes plugin against the fixed fake cluster (testdata.ts),
// expectations written as zone-file text. Rows follow the Kubernetes DNS schema 1.1.0 and
// CoreDNS's behaviour beyond it (reference/dns.md §1-2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answers, blocksFrom, fakeEnv, makeRequest, nextMarker, zoneLines } from '../../plugin/testing.ts';
import { reverseName } from '../../dns/names.ts';
import { parseRRs } from '../../dns/zonefile.ts';
import { newMessage, replyTo, type Message } from '../../dns/types.ts';
import type { Handler } from '../../plugin/plugin.ts';
import { fixtureCluster, fixtureSOA, kubeadmCorefile } from './testdata.ts';
import type { StaticClusterView } from './fake.ts';
import { makeEndpoint, makeService, makeSlice } from './fake.ts';

interface Row {
  name: string;
  /** `qname TYPE` */
  q: string;
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'NEXT';
  answer?: string;
  ns?: string;
  extra?: string;
}

const soa = fixtureSOA;

/** What the server's upstream lookup returns for names outside the cluster (the ExternalName chase). */
async function upstream(name: string, type: number): Promise<Message> {
  const m = newMessage(1);
  m.qr = true;
  if (name.toLowerCase() === 'example.com.' && type === 1) m.answer = parseRRs('example.com. 300 IN A 93.184.216.34');
  return m;
}

const rows: Row[] = [
  // ClusterIP services (spec 2.3)
  { name: 'ClusterIP A', q: 'web.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'web.test.svc.cluster.local. 5 IN A 10.96.0.20' },
  { name: 'the kubernetes Service', q: 'kubernetes.default.svc.cluster.local. A', rcode: 'NOERROR', answer: 'kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1' },
  { name: 'query case is kept in the owner name', q: 'WEB.Test.svc.Cluster.Local. A', rcode: 'NOERROR', answer: 'WEB.Test.svc.Cluster.Local. 5 IN A 10.96.0.20' },
  { name: 'ClusterIP without endpoints still answers', q: 'lonely.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'lonely.test.svc.cluster.local. 5 IN A 10.96.0.50' },
  { name: 'AAAA of an IPv4-only Service is NODATA', q: 'web.test.svc.cluster.local. AAAA', rcode: 'NOERROR', ns: soa },
  { name: 'dual-stack A', q: 'dual.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'dual.test.svc.cluster.local. 5 IN A 10.96.0.30' },
  { name: 'dual-stack AAAA', q: 'dual.test.svc.cluster.local. AAAA', rcode: 'NOERROR', answer: 'dual.test.svc.cluster.local. 5 IN AAAA fd00:10:96::30' },
  { name: 'endpoint name (dashed IP) under a ClusterIP Service', q: '10-244-0-5.web.test.svc.cluster.local. A', rcode: 'NOERROR', answer: '10-244-0-5.web.test.svc.cluster.local. 5 IN A 10.244.0.5' },
  { name: 'not-ready endpoint has no name', q: '10-244-0-6.web.test.svc.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  // SRV (spec 2.3.2, 2.4.2)
  {
    name: 'SRV of a named port', q: '_http._tcp.web.test.svc.cluster.local. SRV', rcode: 'NOERROR',
    answer: '_http._tcp.web.test.svc.cluster.local. 5 IN SRV 0 100 80 web.test.svc.cluster.local.',
    extra: 'web.test.svc.cluster.local. 5 IN A 10.96.0.20',
  },
  {
    name: 'SRV keeps the zone spelling of the query in the target', q: '_HTTP._TCP.web.test.svc.Cluster.Local. SRV', rcode: 'NOERROR',
    answer: '_HTTP._TCP.web.test.svc.Cluster.Local. 5 IN SRV 0 100 80 web.test.svc.Cluster.Local.',
    extra: 'web.test.svc.Cluster.Local. 5 IN A 10.96.0.20',
  },
  {
    name: 'bare SRV lists every port, weight 100/n', q: 'web.test.svc.cluster.local. SRV', rcode: 'NOERROR',
    answer: `web.test.svc.cluster.local. 5 IN SRV 0 50 80 web.test.svc.cluster.local.
             web.test.svc.cluster.local. 5 IN SRV 0 50 443 web.test.svc.cluster.local.`,
    extra: 'web.test.svc.cluster.local. 5 IN A 10.96.0.20',
  },
  { name: 'SRV with the wrong protocol', q: '_https._udp.web.test.svc.cluster.local. SRV', rcode: 'NXDOMAIN', ns: soa },
  { name: 'SRV of an unknown port name', q: '_grpc._tcp.web.test.svc.cluster.local. SRV', rcode: 'NXDOMAIN', ns: soa },
  {
    name: 'headless SRV: one per endpoint, weight counted before de-duplication', q: '_postgres._tcp.db.test.svc.cluster.local. SRV', rcode: 'NOERROR',
    answer: `_postgres._tcp.db.test.svc.cluster.local. 5 IN SRV 0 33 5432 db-0.db.test.svc.cluster.local.
             _postgres._tcp.db.test.svc.cluster.local. 5 IN SRV 0 33 5432 db-1.db.test.svc.cluster.local.`,
    extra: `db-0.db.test.svc.cluster.local. 5 IN A 10.244.1.10
            db-1.db.test.svc.cluster.local. 5 IN A 10.244.1.11`,
  },
  {
    name: 'dual-stack SRV: one record, both addresses in additional', q: '_http._tcp.dual.test.svc.cluster.local. SRV', rcode: 'NOERROR',
    answer: '_http._tcp.dual.test.svc.cluster.local. 5 IN SRV 0 50 80 dual.test.svc.cluster.local.',
    extra: `dual.test.svc.cluster.local. 5 IN A 10.96.0.30
            dual.test.svc.cluster.local. 5 IN AAAA fd00:10:96::30`,
  },
  { name: 'portless headless Service has no SRV (NODATA)', q: 'portless.test.svc.cluster.local. SRV', rcode: 'NOERROR', ns: soa },
  { name: 'SRV of an ExternalName Service is NODATA', q: '_http._tcp.ext.test.svc.cluster.local. SRV', rcode: 'NOERROR', ns: soa },
  // Headless services (spec 2.4)
  {
    name: 'headless A lists every ready endpoint once', q: 'db.test.svc.cluster.local. A', rcode: 'NOERROR',
    answer: `db.test.svc.cluster.local. 5 IN A 10.244.1.10
             db.test.svc.cluster.local. 5 IN A 10.244.1.11`,
  },
  { name: 'StatefulSet pod name (endpoint hostname)', q: 'db-0.db.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'db-0.db.test.svc.cluster.local. 5 IN A 10.244.1.10' },
  { name: 'endpoint hostname matches case-insensitively', q: 'DB-1.db.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'DB-1.db.test.svc.cluster.local. 5 IN A 10.244.1.11' },
  { name: 'not-ready StatefulSet pod has no name', q: 'db-2.db.test.svc.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  { name: 'headless with no ready endpoints is NXDOMAIN', q: 'unready.test.svc.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  { name: 'portless headless still has A records', q: 'portless.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'portless.test.svc.cluster.local. 5 IN A 10.244.2.1' },
  { name: 'IPv6 headless endpoint by hostname', q: 'v6-0.v6.test.svc.cluster.local. AAAA', rcode: 'NOERROR', answer: 'v6-0.v6.test.svc.cluster.local. 5 IN AAAA fd00:10:244::5' },
  { name: 'IPv6 headless, A asked: NODATA', q: 'v6.test.svc.cluster.local. A', rcode: 'NOERROR', ns: soa },
  // ExternalName (spec 2.5)
  { name: 'ExternalName CNAME', q: 'ext.test.svc.cluster.local. CNAME', rcode: 'NOERROR', answer: 'ext.test.svc.cluster.local. 5 IN CNAME example.com.' },
  {
    name: 'ExternalName A: CNAME first, then the target chased upstream', q: 'ext.test.svc.cluster.local. A', rcode: 'NOERROR',
    answer: `ext.test.svc.cluster.local. 5 IN CNAME example.com.
             example.com. 300 IN A 93.184.216.34`,
  },
  {
    name: 'ExternalName to an in-cluster name is chased inside the zone', q: 'ext-in.test.svc.cluster.local. A', rcode: 'NOERROR',
    answer: `ext-in.test.svc.cluster.local. 5 IN CNAME web.test.svc.cluster.local.
             web.test.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  { name: 'ExternalName that is an IP is not served', q: 'ext-ip.test.svc.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  { name: 'names below an ExternalName do not exist', q: 'x.ext.test.svc.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  // NXDOMAIN vs NODATA
  { name: 'unknown Service', q: 'missing.test.svc.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  {
    name: 'negative answers spell the zone as the query did', q: 'Missing.Test.svc.CLUSTER.local. A', rcode: 'NXDOMAIN',
    ns: 'CLUSTER.local. 5 IN SOA ns.dns.CLUSTER.local. hostmaster.CLUSTER.local. 1700000000 7200 1800 86400 5',
  },
  { name: 'unknown namespace', q: 'web.nowhere.svc.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  { name: 'existing namespace is NODATA', q: 'test.svc.cluster.local. A', rcode: 'NOERROR', ns: soa },
  { name: 'empty namespace is NODATA too', q: 'empty-ns.svc.cluster.local. A', rcode: 'NOERROR', ns: soa },
  { name: 'svc.<zone> is NODATA', q: 'svc.cluster.local. A', rcode: 'NOERROR', ns: soa },
  { name: 'a name under the zone that is neither svc nor pod', q: 'foo.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  { name: 'too many labels', q: 'a.b.c.web.test.svc.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  { name: 'TXT of an existing name is NODATA', q: 'web.test.svc.cluster.local. TXT', rcode: 'NOERROR', ns: soa },
  { name: 'TXT of a missing name is NXDOMAIN', q: 'missing.test.svc.cluster.local. TXT', rcode: 'NXDOMAIN', ns: soa },
  { name: 'other types of an existing name are NODATA', q: 'web.test.svc.cluster.local. HINFO', rcode: 'NOERROR', ns: soa },
  // The zone apex and dns-version (spec 2.2)
  { name: 'dns-version TXT', q: 'dns-version.cluster.local. TXT', rcode: 'NOERROR', answer: 'dns-version.cluster.local. 28800 IN TXT "1.1.0"' },
  { name: 'apex A is NODATA', q: 'cluster.local. A', rcode: 'NOERROR', ns: soa },
  { name: 'apex SOA', q: 'cluster.local. SOA', rcode: 'NOERROR', answer: soa },
  {
    name: 'apex NS with the kube-dns address as glue', q: 'cluster.local. NS', rcode: 'NOERROR',
    answer: 'cluster.local. 5 IN NS ns.dns.cluster.local.', extra: 'ns.dns.cluster.local. 5 IN A 10.96.0.10',
  },
  { name: 'the NS name resolves', q: 'ns.dns.cluster.local. A', rcode: 'NOERROR', answer: 'ns.dns.cluster.local. 5 IN A 10.96.0.10' },
  { name: 'zone transfers are refused', q: 'cluster.local. AXFR', rcode: 'REFUSED' },
  // Pods (spec 1.0.1 §2.6; pods insecure)
  { name: 'pod A record', q: '10-244-0-99.test.pod.cluster.local. A', rcode: 'NOERROR', answer: '10-244-0-99.test.pod.cluster.local. 5 IN A 10.244.0.99' },
  { name: 'pod AAAA record (dashes for colons)', q: 'fd00--1.test.pod.cluster.local. AAAA', rcode: 'NOERROR', answer: 'fd00--1.test.pod.cluster.local. 5 IN AAAA fd00::1' },
  { name: 'pod in an unknown namespace', q: '10-244-0-99.nowhere.pod.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  { name: 'pod label that is not an IP', q: 'not-an-ip.test.pod.cluster.local. A', rcode: 'NXDOMAIN', ns: soa },
  { name: 'pod.<zone> is NODATA', q: 'pod.cluster.local. A', rcode: 'NOERROR', ns: soa },
  // PTR (spec 2.3.3, 2.4.3)
  { name: 'PTR of a ClusterIP', q: '20.0.96.10.in-addr.arpa. PTR', rcode: 'NOERROR', answer: '20.0.96.10.in-addr.arpa. 5 IN PTR web.test.svc.cluster.local.' },
  { name: 'PTR of a headless endpoint (one for two slices)', q: '10.1.244.10.in-addr.arpa. PTR', rcode: 'NOERROR', answer: '10.1.244.10.in-addr.arpa. 5 IN PTR db-0.db.test.svc.cluster.local.' },
  {
    name: 'PTR of an IP two Services select', q: '5.0.244.10.in-addr.arpa. PTR', rcode: 'NOERROR',
    answer: `5.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-5.shared.test.svc.cluster.local.
             5.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-5.web.test.svc.cluster.local.`,
  },
  {
    name: 'IPv6 PTR (32 nibbles)', q: `${reverseName('fd00:10:96::30') ?? ''} PTR`, rcode: 'NOERROR',
    answer: `${reverseName('fd00:10:96::30') ?? ''} 5 IN PTR dual.test.svc.cluster.local.`,
  },
  { name: 'PTR of a not-ready endpoint falls through', q: '12.1.244.10.in-addr.arpa. PTR', rcode: 'NEXT' },
  { name: 'PTR of a foreign IP falls through (kubeadm: fallthrough in-addr.arpa)', q: '8.8.8.8.in-addr.arpa. PTR', rcode: 'NEXT' },
  // Outside the zones
  { name: 'names outside the zones go to the next plugin', q: 'example.com. A', rcode: 'NEXT' },
];

function kubernetesHandler(view: StaticClusterView, corefile = kubeadmCorefile): Handler {
  const blocks = blocksFrom(corefile, fakeEnv({ cluster: view }));
  const h = blocks[0]?.plugins.find((p) => p.name === 'kubernetes')?.handler;
  if (h === undefined) throw new Error('no kubernetes handler');
  return h;
}

async function ask(h: Handler, q: string): Promise<ReturnType<typeof answers>> {
  const [qname, qtype] = q.split(' ');
  const r = await h.serve(makeRequest(qname ?? '', qtype ?? 'A', { lookup: upstream }), nextMarker);
  if (r.plugin === 'kubernetes') {
    assert.equal(r.msg.aa || r.msg.rcode === 5, true, 'kubernetes answers are authoritative');
  }
  return answers(r);
}

test(`kubernetes: ${rows.length} query → answer cases against the fake cluster`, async (t) => {
  assert.ok(rows.length >= 40);
  const h = kubernetesHandler(fixtureCluster());
  for (const row of rows) {
    await t.test(row.name, async () => {
      const got = await ask(h, row.q);
      assert.deepEqual(got, { rcode: row.rcode, answer: zoneLines(row.answer), ns: zoneLines(row.ns), extra: zoneLines(row.extra) }, row.q);
    });
  }
});

test('kubernetes: SERVFAIL instead of NXDOMAIN until the first sync; positive answers are served', async () => {
  const view = fixtureCluster();
  view.setSynced(false);
  const h = kubernetesHandler(view);
  assert.equal((await ask(h, 'missing.test.svc.cluster.local. A')).rcode, 'SERVFAIL');
  assert.equal((await ask(h, 'web.test.svc.cluster.local. A')).rcode, 'NOERROR');
  assert.equal((await ask(h, '8.8.8.8.in-addr.arpa. PTR')).rcode, 'NEXT', 'fallthrough still applies');
  view.setSynced(true);
  assert.equal((await ask(h, 'missing.test.svc.cluster.local. A')).rcode, 'NXDOMAIN');
});

interface OptionRow {
  name: string;
  block: string;
  q: string;
  rcode: Row['rcode'];
  answer?: string;
}

const optionRows: OptionRow[] = [
  { name: 'pods disabled: no pod records', block: 'pods disabled', q: '10-244-0-5.test.pod.cluster.local. A', rcode: 'NXDOMAIN' },
  { name: 'pods verified: a pod with that IP in that namespace', block: 'pods verified', q: '10-244-0-5.test.pod.cluster.local. A', rcode: 'NOERROR', answer: '10-244-0-5.test.pod.cluster.local. 5 IN A 10.244.0.5' },
  { name: 'pods verified: no pod with that IP', block: 'pods verified', q: '10-244-0-99.test.pod.cluster.local. A', rcode: 'NXDOMAIN' },
  { name: 'pods verified: pod in another namespace', block: 'pods verified', q: '10-244-0-5.default.pod.cluster.local. A', rcode: 'NXDOMAIN' },
  { name: 'endpoint_pod_names: endpoint named by its pod', block: 'endpoint_pod_names', q: 'web-7d9f-x2k4p.web.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'web-7d9f-x2k4p.web.test.svc.cluster.local. 5 IN A 10.244.0.5' },
  { name: 'endpoint_pod_names: the dashed IP no longer names it', block: 'endpoint_pod_names', q: '10-244-0-5.web.test.svc.cluster.local. A', rcode: 'NXDOMAIN' },
  { name: 'ignore empty_service: ClusterIP without endpoints is NXDOMAIN', block: 'ignore empty_service', q: 'lonely.test.svc.cluster.local. A', rcode: 'NXDOMAIN' },
  { name: 'ignore empty_service: with endpoints still answers', block: 'ignore empty_service', q: 'web.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'web.test.svc.cluster.local. 5 IN A 10.96.0.20' },
  { name: 'namespaces: other namespaces are hidden', block: 'namespaces default', q: 'web.test.svc.cluster.local. A', rcode: 'NXDOMAIN' },
  { name: 'namespaces: listed ones are served', block: 'namespaces default', q: 'kubernetes.default.svc.cluster.local. A', rcode: 'NOERROR', answer: 'kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1' },
  { name: 'noendpoints: headless is NXDOMAIN', block: 'noendpoints', q: 'db.test.svc.cluster.local. A', rcode: 'NXDOMAIN' },
  { name: 'ttl 30', block: 'ttl 30', q: 'web.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'web.test.svc.cluster.local. 30 IN A 10.96.0.20' },
  { name: 'fallthrough (all zones): misses pass on', block: 'fallthrough', q: 'missing.test.svc.cluster.local. A', rcode: 'NEXT' },
  { name: 'labels: Services without the label are hidden', block: 'labels app=nothing', q: 'web.test.svc.cluster.local. A', rcode: 'NXDOMAIN' },
  { name: 'namespace_labels: matching namespaces are served', block: 'namespace_labels kubernetes.io/metadata.name=test', q: 'web.test.svc.cluster.local. A', rcode: 'NOERROR', answer: 'web.test.svc.cluster.local. 5 IN A 10.96.0.20' },
];

for (const row of optionRows) {
  test(`kubernetes option: ${row.name}`, async () => {
    const h = kubernetesHandler(fixtureCluster(), `.:53 {\n kubernetes cluster.local in-addr.arpa ip6.arpa {\n  ${row.block}\n }\n}`);
    const got = await ask(h, row.q);
    assert.equal(got.rcode, row.rcode);
    if (row.answer !== undefined) assert.deepEqual(got.answer, zoneLines(row.answer));
  });
}

test('kubernetes: changes in the view show in the next answer (no restart, no cache)', async () => {
  const view = fixtureCluster();
  const h = kubernetesHandler(view);
  assert.equal((await ask(h, 'late.test.svc.cluster.local. A')).rcode, 'NXDOMAIN');
  view.set(makeService('test', 'late', '10.96.0.99'));
  assert.deepEqual((await ask(h, 'late.test.svc.cluster.local. A')).answer, zoneLines('late.test.svc.cluster.local. 5 IN A 10.96.0.99'));
  view.set(makeService('test', 'hl', 'None'));
  assert.equal((await ask(h, 'hl.test.svc.cluster.local. A')).rcode, 'NXDOMAIN');
  view.set(makeSlice('test', 'hl', 'hl-1', [makeEndpoint('10.244.9.1'), makeEndpoint('10.244.9.2')]));
  assert.deepEqual((await ask(h, 'hl.test.svc.cluster.local. A')).answer, zoneLines('hl.test.svc.cluster.local. 5 IN A 10.244.9.1\nhl.test.svc.cluster.local. 5 IN A 10.244.9.2'));
  view.remove('Service', 'test', 'late');
  assert.equal((await ask(h, 'late.test.svc.cluster.local. A')).rcode, 'NXDOMAIN');
});

test('kubernetes: replies copy id, question and RD, set AA, never RA', async () => {
  const h = kubernetesHandler(fixtureCluster());
  const req = makeRequest('web.test.svc.cluster.local.', 'A', { id: 777 });
  const r = await h.serve(req, nextMarker);
  const want = replyTo(req.msg);
  assert.equal(r.msg.id, 777);
  assert.deepEqual(r.msg.question, want.question);
  assert.equal(r.msg.rd, true);
  assert.equal(r.msg.aa, true);
  assert.equal(r.msg.ra, false);
});
