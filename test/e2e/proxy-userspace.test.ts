// The userspace backend on the real kernel: the proxy runs inside the test's node namespace (the
// standalone runner), binds ClusterIPs through the local route, NodePorts on the node address and
// external/LB IPs routed locally, and the shared packet-flow table runs with real connections.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Testbed, StandaloneProxy, kernelTestsUnavailable, runKernelFlows } from '../../src/service-proxy/testbed.ts';
import { fixtureConfig, fixtureExternalClients, fixturePods, fixtureServices, fixtureSlices, flowTable, testNodeName } from '../../src/service-proxy/flows.conformance.ts';
import { makeService, makeSlice, readyEndpoint } from '../../src/service-proxy/testing.ts';
import { mustRun } from '../../src/service-proxy/exec.ts';

const netguard = '/work/shared/tools/netguard';
const skip = await kernelTestsUnavailable([]);
if (skip !== undefined) console.log(`# skipping userspace kernel tests: ${skip}`);

let tb: Testbed;
let sp: StandaloneProxy;

before(async () => {
  if (skip !== undefined) return;
  spawnSync(netguard, ['on'], { stdio: 'ignore' });
  tb = await Testbed.create({ prefix: 'sbpu', nodeIP: '192.168.0.2', serviceCIDR: '172.30.0.0/16', pods: fixturePods, externalClients: fixtureExternalClients });
  // External and LoadBalancer IPs reach the node and are delivered locally, where the proxy listens.
  for (const cidr of ['192.168.99.0/24', '1.2.3.4/32', '5.6.7.8/32']) await mustRun(tb.executor(), 'ip', ['route', 'add', 'local', cidr, 'dev', 'lo']);
  sp = await StandaloneProxy.start(tb.nodeNs, {
    mode: 'userspace', nodeName: testNodeName, nodeIPs: fixtureConfig.nodeIPs, clusterCIDR: fixtureConfig.clusterCIDR,
    serviceCIDRs: fixtureConfig.serviceCIDRs, nodePortAddresses: fixtureConfig.nodeIPs, minSyncPeriodMs: 0, metricsAddress: '',
  });
  for (const s of fixtureServices()) await sp.request('service', { cur: s });
  for (const s of fixtureSlices()) await sp.request('slice', { slice: s });
  await sp.request('synced');
  await sp.request('idle');
});

after(async () => {
  await sp?.stop();
  await tb?.destroy();
  spawnSync(netguard, ['off'], { stdio: 'ignore' });
});

test('packet-flow table with real connections (userspace)', { skip }, async () => {
  assert.deepEqual(await runKernelFlows(tb, flowTable, 'userspace'), [], sp.stderr);
});

test('round robin: every pod answers in turn; ClientIP affinity pins one', { skip }, async () => {
  await sp.request('service', { cur: makeService('demo', 'web', (s) => { s.spec.clusterIP = '172.30.1.1'; s.spec.ports = [{ port: 80 }]; }) });
  await sp.request('slice', { slice: makeSlice('demo', 'web', 1, (s) => { s.endpoints = ['1', '2', '3'].map((n) => readyEndpoint(`10.180.0.${n}`)); s.ports = [{ port: 80 }]; }) });
  await sp.request('idle');
  const rr = (await tb.probe(tb.podNs('c1'), [{ proto: 'tcp', ip: '172.30.1.1', port: 80, count: 9, timeoutMs: 2000 }])).map((r) => r.split(' ')[0]);
  assert.deepEqual(rr.slice(3), [...rr.slice(0, 3), ...rr.slice(0, 3)], 'a strict rotation');
  assert.equal(new Set(rr).size, 3);
  await sp.request('service', { cur: makeService('demo', 'web', (s) => { s.spec.clusterIP = '172.30.1.1'; s.spec.ports = [{ port: 80 }]; s.spec.sessionAffinity = 'ClientIP'; s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 100 } }; }) });
  await sp.request('idle');
  const sticky = (await tb.probe(tb.podNs('c1'), [{ proto: 'tcp', ip: '172.30.1.1', port: 80, count: 9, timeoutMs: 2000 }])).map((r) => r.split(' ')[0]);
  assert.equal(new Set(sticky).size, 1, sticky.join(', '));
  const list = await sp.request('list');
  assert.match(String(list['text']), /TCP  172\.30\.1\.1:80 rr persistent 100\n(  -> 10\.180\.0\.\d:80 .*\n){3}/);
});

test('a dead endpoint is skipped: the next one answers', { skip }, async () => {
  tb.stopServer('e2');
  try {
    await sp.request('service', { cur: makeService('demo', 'web', (s) => { s.spec.clusterIP = '172.30.1.1'; s.spec.ports = [{ port: 80 }]; }) });
    await sp.request('idle');
    const res = await tb.probe(tb.podNs('c1'), [{ proto: 'tcp', ip: '172.30.1.1', port: 80, count: 9, timeoutMs: 3000 }]);
    assert.ok(res.every((r) => r.startsWith('10.180.0.1 ') || r.startsWith('10.180.0.3 ')), res.join(', '));
  } finally {
    await tb.startServer(fixturePods.find((p) => p.name === 'e2') ?? fixturePods[0]);
  }
});

test('UDP: after the endpoint is replaced no datagram goes to the old one', { skip }, async () => {
  const probe = () => tb.probe(tb.podNs('c1'), [{ proto: 'udp', ip: '172.30.0.47', port: 53, from: '10.0.0.2', sport: 40053, count: 4, timeoutMs: 2000 }]);
  const first = new Set((await probe()).map((r) => r.split(' ')[0]));
  assert.equal(first.size, 1);
  const keep = first.has('10.180.0.7') ? '10.180.0.8' : '10.180.0.7';
  await sp.request('slice', { slice: makeSlice('ns7', 'dns', 1, (s) => {
    s.endpoints = [readyEndpoint(keep)];
    s.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 5353, protocol: 'TCP' }];
  }) });
  await sp.request('idle');
  assert.deepEqual((await probe()).map((r) => r.split(' ')[0]), [keep, keep, keep, keep]);
});
