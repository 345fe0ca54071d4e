// The server over real loopback sockets: UDP and TCP, EDNS sizes and truncation, malformed
// packets, forwarding to a fake upstream, hosts from seed 000, reload (good and broken), health,
// ready and metrics endpoints, loop detection.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startClusterDns, type ClusterDns } from '../index.ts';
import { fixtureCluster } from '../plugins/kubernetes/testdata.ts';
import { makeEndpoint, makeService, makeSlice, type StaticClusterView } from '../plugins/kubernetes/fake.ts';
import { staticSource } from './server.ts';
import { exchangeRaw, query } from './client.ts';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';
import { sectionText } from '../dns/zonefile.ts';
import { Rcode, Type } from '../dns/types.ts';
import { serializeMessage } from '../dns/wire.ts';
import { newMessage } from '../dns/types.ts';
import { seededRandom } from '../plugin/testing.ts';

function corefile(upstream: string, extra = ''): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    ${extra}
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . ${upstream} {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
}

interface Env {
  dns: ClusterDns;
  up: FakeUpstream;
  view: StaticClusterView;
  logs: string[];
  source: ReturnType<typeof staticSource>;
}

async function start(t: TestContext, opts: { extra?: string; corefile?: (up: string) => string; view?: StaticClusterView } = {}): Promise<Env> {
  const up = await startFakeUpstream(`
    example.com. 300 IN A 93.184.216.34
    www.example.com. 300 IN CNAME example.com.
    oauth.abc.com. 300 IN A 203.0.113.99
  `);
  t.after(() => up.close());
  const view = opts.view ?? fixtureCluster();
  const logs: string[] = [];
  const source = staticSource((opts.corefile ?? ((u) => corefile(u, opts.extra ?? '')))(up.address));
  const dns = await startClusterDns({
    cluster: view,
    corefile: source,
    httpAddress: '127.0.0.1:0',
    log: (level, msg) => { logs.push(`${level} ${msg}`); },
    queryLog: (line) => { logs.push(line); },
  });
  t.after(() => dns.stop());
  return { dns, up, view, logs, source };
}

async function waitFor(what: string, fn: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('UDP and TCP answer cluster names', async (t) => {
  const { dns } = await start(t);
  for (const proto of ['udp', 'tcp'] as const) {
    const r = await query(dns.udpAddress, 'web.test.svc.cluster.local', 'A', { proto });
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(sectionText(r.answer), ['web.test.svc.cluster.local. 30 IN A 10.96.0.20']);
    assert.ok(r.aa);
  }
});

test('EDNS: 512 bytes without OPT (TC), the client buffer with it, everything over TCP', async (t) => {
  const view = fixtureCluster();
  view.set(makeService('test', 'big', 'None'));
  view.set(makeSlice('test', 'big', 'big-1', Array.from({ length: 60 }, (_, i) => makeEndpoint(`10.244.50.${i + 1}`))));
  const { dns } = await start(t, { view });
  const name = 'big.test.svc.cluster.local';
  const plain = await query(dns.udpAddress, name, 'A');
  assert.ok(plain.tc, 'TC over plain UDP');
  assert.ok(plain.size <= 512);
  assert.ok(plain.answer.length < 60);
  const small = await query(dns.udpAddress, name, 'A', { edns: 1232 });
  assert.equal(small.tc, false);
  assert.equal(small.answer.length, 60);
  assert.equal(small.edns?.udpSize, 1232);
  const tiny = await query(dns.udpAddress, name, 'A', { edns: 600 });
  assert.ok(tiny.tc);
  assert.ok(tiny.size <= 600);
  const tcp = await query(dns.udpAddress, name, 'A', { proto: 'tcp' });
  assert.equal(tcp.tc, false);
  assert.equal(tcp.answer.length, 60);
});

test('malformed packets: FORMERR when the header is readable, dropped otherwise; the server keeps answering', async (t) => {
  const { dns } = await start(t);
  const garbage = new Uint8Array([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]);
  const r = await exchangeRaw(dns.udpAddress, garbage);
  assert.ok(r !== undefined);
  assert.equal(r[3]! & 0xf, Rcode.FORMERR);
  assert.equal((r[0]! << 8) | r[1]!, 0x1234);
  assert.equal(await exchangeRaw(dns.udpAddress, new Uint8Array([1, 2, 3]), 'udp', 300), undefined);
  const rand = seededRandom(7);
  const sent: Promise<unknown>[] = [];
  for (let i = 0; i < 500; i++) {
    const b = new Uint8Array(Math.floor(rand() * 200));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(rand() * 256);
    if (b.length > 2) b[2] = b[2]! & 0x7f; // queries, not responses
    sent.push(exchangeRaw(dns.udpAddress, b, i % 2 === 0 ? 'udp' : 'tcp', 200));
  }
  await Promise.all(sent);
  const ok = await query(dns.udpAddress, 'kubernetes.default.svc.cluster.local', 'A');
  assert.equal(ok.rcode, Rcode.NOERROR);
});

test('header checks: NOTIMP for other opcodes, FORMERR for two questions, BADVERS for EDNS version 1, REFUSED outside every zone', async (t) => {
  const { dns } = await start(t, { corefile: () => 'cluster.local:53 {\n kubernetes cluster.local\n}' });
  const m = newMessage(9);
  m.opcode = 2;
  m.question.push({ name: 'x.', type: 1, class: 1 });
  let r = await exchangeRaw(dns.udpAddress, serializeMessage(m).bytes);
  assert.equal(r![3]! & 0xf, Rcode.NOTIMP);
  const two = newMessage(10);
  two.question.push({ name: 'a.', type: 1, class: 1 }, { name: 'b.', type: 1, class: 1 });
  r = await exchangeRaw(dns.udpAddress, serializeMessage(two).bytes);
  assert.equal(r![3]! & 0xf, Rcode.FORMERR);
  const v1 = newMessage(11);
  v1.question.push({ name: 'web.test.svc.cluster.local.', type: 1, class: 1 });
  v1.edns = { udpSize: 1232, version: 1, do: false, options: [] };
  const { parseMessage } = await import('../dns/wire.ts');
  const bad = parseMessage((await exchangeRaw(dns.udpAddress, serializeMessage(v1).bytes))!);
  assert.ok(bad.ok);
  assert.equal(bad.msg.rcode, Rcode.BADVERS);
  const outside = await query(dns.udpAddress, 'example.com', 'A');
  assert.equal(outside.rcode, Rcode.REFUSED);
});

test('forward: outside names go to the upstream, through the cache; SERVFAIL when it is silent', async (t) => {
  const { dns, up } = await start(t);
  const r = await query(dns.udpAddress, 'www.example.com', 'A');
  assert.equal(r.rcode, Rcode.NOERROR);
  assert.deepEqual(sectionText(r.answer), ['example.com. 30 IN A 93.184.216.34', 'www.example.com. 30 IN CNAME example.com.']);
  assert.equal(r.answer[0]?.type, 'CNAME', 'loadbalance keeps the CNAME first');
  const before = up.seen.length;
  await query(dns.udpAddress, 'www.example.com', 'A');
  assert.equal(up.seen.length, before, 'second query served from the cache');
  const nx = await query(dns.udpAddress, 'nothing.example.com', 'A');
  assert.equal(nx.rcode, Rcode.NXDOMAIN);
  up.behaviour.silent = true;
  const fail = await query(dns.udpAddress, 'silent.example.org', 'A', { timeoutMs: 8000 });
  assert.equal(fail.rcode, Rcode.SERVFAIL);
  const metrics = await (await fetch(`http://${dns.metricsAddress ?? ''}/metrics`)).text();
  assert.match(metrics, /coredns_cache_hits_total\{server="dns:\/\/:53",type="success",zones="\.",view=""\} 1/);
  assert.match(metrics, new RegExp(`coredns_forward_requests_total\\{to="${up.address}"\\} \\d+`));
});

test('forward: a second upstream takes over when the first is dead; max_concurrent refuses the excess', async (t) => {
  const dead = await startFakeUpstream();
  dead.behaviour.silent = true;
  const up2 = await startFakeUpstream('alive.example. 60 IN A 192.0.2.1');
  t.after(async () => { await dead.close(); await up2.close(); });
  const { dns } = await start(t, {
    corefile: () => `.:53 {\n forward . ${dead.address} ${up2.address} {\n  policy sequential\n  max_concurrent 1\n }\n}`,
  });
  const r = await query(dns.udpAddress, 'alive.example', 'A', { timeoutMs: 6000 });
  assert.deepEqual(sectionText(r.answer), ['alive.example. 60 IN A 192.0.2.1']);
  // Two at once with max_concurrent 1: one is refused.
  const both = await Promise.all([query(dns.udpAddress, 'alive.example', 'A', { timeoutMs: 6000 }), query(dns.udpAddress, 'alive.example', 'A', { timeoutMs: 6000 })]);
  assert.deepEqual(both.map((m) => m.rcode).sort(), [Rcode.NOERROR, Rcode.REFUSED]);
});

test('forward: prefer_udp retries over TCP when the UDP reply is truncated', async (t) => {
  const up = await startFakeUpstream('big.example. 60 IN A 192.0.2.8');
  up.behaviour.truncateUdp = true;
  t.after(() => up.close());
  const { dns } = await start(t, { corefile: () => `.:53 {\n forward . ${up.address} {\n  prefer_udp\n }\n}` });
  const r = await query(dns.udpAddress, 'big.example', 'A');
  assert.equal(r.tc, false);
  assert.deepEqual(sectionText(r.answer), ['big.example. 60 IN A 192.0.2.8']);
  assert.deepEqual(up.seen.map((s) => s.proto), ['udp', 'tcp']);
});

test('seed 000: hosts entries answer before kubernetes, other names fall through', async (t) => {
  const { dns, up } = await start(t, { extra: 'hosts {\n 10.1.72.80 oauth.abc.com\n fallthrough\n }' });
  const a = await query(dns.udpAddress, 'oauth.abc.com', 'A');
  assert.deepEqual(sectionText(a.answer), ['oauth.abc.com. 30 IN A 10.1.72.80'], 'hosts wins over the upstream (TTL capped by cache 30)');
  const ptr = await query(dns.udpAddress, '80.72.1.10.in-addr.arpa', 'PTR');
  assert.deepEqual(sectionText(ptr.answer), ['80.72.1.10.in-addr.arpa. 30 IN PTR oauth.abc.com.']);
  const aaaa = await query(dns.udpAddress, 'oauth.abc.com', 'AAAA');
  assert.equal(aaaa.rcode, Rcode.NOERROR);
  assert.equal(aaaa.answer.length, 0);
  assert.equal(up.seen.filter((s) => s.name === 'oauth.abc.com.').length, 0, 'never asked upstream');
  const svc = await query(dns.udpAddress, 'web.test.svc.cluster.local', 'A');
  assert.deepEqual(sectionText(svc.answer), ['web.test.svc.cluster.local. 30 IN A 10.96.0.20']);
  const ext = await query(dns.udpAddress, 'example.com', 'A');
  assert.deepEqual(sectionText(ext.answer), ['example.com. 30 IN A 93.184.216.34']);
});

test('reload: a Corefile change applies at once; a broken one is refused with the reason and the old one keeps serving', async (t) => {
  const { dns, up, source, logs } = await start(t);
  const before = await query(dns.udpAddress, 'oauth.abc.com', 'A');
  assert.deepEqual(sectionText(before.answer), ['oauth.abc.com. 30 IN A 203.0.113.99'], 'from upstream first');
  const t0 = Date.now();
  source.set(corefile(up.address, 'hosts {\n 10.1.72.80 oauth.abc.com\n fallthrough\n }'));
  await waitFor('the hosts entry', async () => sectionText((await query(dns.udpAddress, 'oauth.abc.com', 'A')).answer)[0] === 'oauth.abc.com. 30 IN A 10.1.72.80');
  assert.ok(Date.now() - t0 < 5000);
  const gen = dns.server.generation;
  source.set(corefile(up.address, 'hots {\n 10.1.72.81 oauth.abc.com\n }'));
  await waitFor('the refusal', () => dns.server.lastReloadError !== '');
  assert.match(dns.server.lastReloadError, /Corefile:7 - Error during parsing: Unknown directive 'hots'/);
  assert.equal(dns.server.generation, gen);
  assert.ok(logs.some((l) => l.includes("Unknown directive 'hots'") && l.includes('keeping the running one')));
  const still = await query(dns.udpAddress, 'oauth.abc.com', 'A');
  assert.deepEqual(sectionText(still.answer), ['oauth.abc.com. 30 IN A 10.1.72.80']);
  const metrics = await (await fetch(`http://${dns.metricsAddress ?? ''}/metrics`)).text();
  assert.match(metrics, /coredns_reload_failed_total 1/);
  assert.match(metrics, /coredns_reload_version_info\{hash="sha512",value="[0-9a-f]{128}"\} 1/);
  source.set(corefile(up.address, 'rewrite name foo bar'));
  await waitFor('the second refusal', () => /rewrite/.test(dns.server.lastReloadError));
  assert.match(dns.server.lastReloadError, /plugin 'rewrite' is not implemented by Switchboard/);
});

test('reload: without the reload plugin a change waits for a restart', async (t) => {
  const { dns, source, logs } = await start(t, { corefile: () => '.:53 {\n kubernetes cluster.local\n}' });
  source.set('.:53 {\n kubernetes cluster.local {\n  ttl 99\n }\n}');
  await waitFor('the log line', () => logs.some((l) => l.includes('reload plugin is not enabled')));
  const r = await query(dns.udpAddress, 'web.test.svc.cluster.local', 'A');
  assert.equal(r.answer[0]?.ttl, 5);
});

test('health, ready and metrics endpoints', async (t) => {
  const view = fixtureCluster();
  view.setSynced(false);
  const { dns } = await start(t, { view });
  const base = `http://${dns.healthAddress ?? ''}`;
  assert.equal(dns.healthAddress, dns.readyAddress);
  const h = await fetch(`${base}/health`);
  assert.equal(h.status, 200);
  assert.equal(await h.text(), 'OK');
  const notReady = await fetch(`${base}/ready`);
  assert.equal(notReady.status, 503);
  assert.equal(await notReady.text(), 'kubernetes');
  const sf = await query(dns.udpAddress, 'missing.test.svc.cluster.local', 'A');
  assert.equal(sf.rcode, Rcode.SERVFAIL, 'SERVFAIL before the first sync, not NXDOMAIN');
  view.setSynced(true);
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  await query(dns.udpAddress, 'web.test.svc.cluster.local', 'A', { proto: 'tcp' });
  const m = await (await fetch(`http://${dns.metricsAddress ?? ''}/metrics`)).text();
  for (const name of ['coredns_dns_requests_total', 'coredns_dns_responses_total', 'coredns_dns_request_duration_seconds_bucket', 'coredns_dns_request_size_bytes_bucket',
    'coredns_dns_response_size_bytes_bucket', 'coredns_cache_hits_total', 'coredns_cache_misses_total', 'coredns_plugin_enabled', 'coredns_build_info', 'coredns_health_request_duration_seconds_bucket']) {
    assert.ok(m.includes(name), `metrics has ${name}`);
  }
  assert.match(m, /coredns_dns_requests_total\{server="dns:\/\/:53",zone="\.",view="",proto="tcp",family="1",type="A"\} 1/);
  assert.match(m, /coredns_dns_responses_total\{server="dns:\/\/:53",zone="\.",view="",rcode="SERVFAIL",plugin="kubernetes"\} 1/);
  assert.match(m, /coredns_plugin_enabled\{server="dns:\/\/:53",zone="\.",view="",name="kubernetes"\} 1/);
  assert.equal((await fetch(`http://${dns.metricsAddress ?? ''}/nothing`)).status, 404);
});

test('loop: forwarding to ourselves is detected, logged the way CoreDNS words it, and cut', async (t) => {
  const logs: string[] = [];
  // Bind first to learn the port, then point forward at it.
  const probe = await startClusterDns({ cluster: fixtureCluster(), corefile: '.:53 {\n kubernetes cluster.local\n}', log: () => undefined });
  const port = Number(probe.udpAddress.split(':')[1]);
  await probe.stop();
  const dns = await startClusterDns({
    cluster: fixtureCluster(), port,
    corefile: `.:53 {\n errors\n forward . 127.0.0.1:${port}\n loop\n}`,
    log: (level, msg) => { logs.push(`${level} ${msg}`); },
  });
  t.after(() => dns.stop());
  await waitFor('loop detection', () => logs.some((l) => l.includes('plugin/loop: Loop (')), 8000);
  assert.ok(logs.some((l) => /detected for zone "\.", see https:\/\/coredns\.io\/plugins\/loop#troubleshooting\. Query: "HINFO \d+\.\d+\."/.test(l)));
  const r = await query(dns.udpAddress, 'anything.example', 'A', { timeoutMs: 3000 });
  assert.equal(r.rcode, Rcode.SERVFAIL);
});

test('log plugin writes one CoreDNS-format line per query', async (t) => {
  const { dns, logs } = await start(t, { corefile: () => '.:53 {\n log\n kubernetes cluster.local\n}' });
  await query(dns.udpAddress, 'web.test.svc.cluster.local', 'A', { edns: 1232 });
  await waitFor('a log line', () => logs.some((l) => l.startsWith('[INFO] 127.0.0.1:')));
  const line = logs.find((l) => l.startsWith('[INFO]')) ?? '';
  assert.match(line, /^\[INFO\] 127\.0\.0\.1:\d+ - \d+ "A IN web\.test\.svc\.cluster\.local\. udp \d+ false 1232" NOERROR qr,aa,rd \d+ [\d.]+s$/);
});

test('several server blocks: the most specific zone wins', async (t) => {
  const { dns } = await start(t, {
    corefile: (up) => `cluster.local:53 {\n kubernetes cluster.local\n}\n.:53 {\n forward . ${up}\n}\nexample.com {\n hosts {\n  192.0.2.55 example.com\n }\n}`,
  });
  const a = await query(dns.udpAddress, 'example.com', 'A');
  assert.deepEqual(sectionText(a.answer), ['example.com. 3600 IN A 192.0.2.55']);
  const b = await query(dns.udpAddress, 'www.example.com', 'A');
  assert.equal(b.rcode, Rcode.SERVFAIL, 'hosts without fallthrough: a miss in its zone is SERVFAIL');
  const c = await query(dns.udpAddress, 'web.test.svc.cluster.local', 'SRV');
  assert.equal(c.answer.length, 2);
  assert.equal(Type.SRV, 33);
});
