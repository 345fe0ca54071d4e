// Seed 002's demo in every mode, on the real kernel, with the mode chosen by the kube-proxy
// ConfigMap and switched by editing it: 30 requests to a 3-Pod Service's ClusterIP from the node
// and from a Pod reach every Pod (round robin in userspace rr), ClientIP affinity pins one Pod,
// a Pod reaches itself through its Service (hairpin), the NodePort answers on the node address, a
// Service without endpoints is refused at once; switching modes removes the old mode's state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Testbed, StandaloneProxy, kernelTestsUnavailable } from '../../src/service-proxy/testbed.ts';
import { makeService, makeSlice, readyEndpoint } from '../../src/service-proxy/testing.ts';
import { kubeProxyConfig } from '../../src/apiserver/bootstrap.ts';

const netguard = '/work/shared/tools/netguard';
const skip = await kernelTestsUnavailable(['iptables-restore', 'nft', 'conntrack', 'curl']);
if (skip !== undefined) console.log(`# skipping proxy mode tests: ${skip}`);

const pods = ['1', '2', '3'].map((n) => ({ name: `web${n}`, ip: `10.244.1.${n}`, tcpPorts: [80] }));
let tb: Testbed;
let sp: StandaloneProxy;

function configMap(mode: string, scheduler = ''): unknown {
  const conf = kubeProxyConfig(mode).replace('scheduler: ""', `scheduler: "${scheduler}"`);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': conf } };
}

const web = (edit?: Parameters<typeof makeService>[2]) => makeService('test', 'svc-nginx', (s) => {
  s.spec.type = 'NodePort';
  s.spec.clusterIP = '10.109.206.2';
  s.spec.ports = [{ port: 80, targetPort: 80, nodePort: 32311, protocol: 'TCP' }];
  edit?.(s);
});

before(async () => {
  if (skip !== undefined) return;
  spawnSync(netguard, ['on'], { stdio: 'ignore' });
  tb = await Testbed.create({ prefix: 'sbpm', nodeIP: '192.168.80.10', serviceCIDR: '10.96.0.0/12', pods: [...pods, { name: 'client', ip: '10.244.2.9' }] });
  sp = await StandaloneProxy.start(tb.nodeNs, { nodeName: 'node1', nodeIPs: ['192.168.80.10'], serviceCIDRs: ['10.96.0.0/12'], nodePortAddresses: ['192.168.80.10'], minSyncPeriodMs: 0, metricsAddress: '', logLevel: process.env['PROXY_TEST_LOG'] ?? 'warn' });
  await sp.request('config', { cm: configMap('iptables') });
  await sp.request('service', { cur: web() });
  await sp.request('slice', { slice: makeSlice('test', 'svc-nginx', 1, (s) => { s.endpoints = pods.map((p) => readyEndpoint(p.ip, 'node1')); s.ports = [{ port: 80 }]; }) });
  await sp.request('service', { cur: makeService('test', 'empty', (s) => { s.spec.clusterIP = '10.109.23.222'; s.spec.ports = [{ port: 80 }]; }) });
  await sp.request('synced');
  await sp.request('idle');
});

after(async () => {
  if (process.env['PROXY_TEST_LOG'] !== undefined) console.log(sp?.stderr);
  await sp?.stop();
  await tb?.destroy();
  spawnSync(netguard, ['off'], { stdio: 'ignore' });
});

/** 30 curls from the node (as in the seed) and 30 requests from a Pod. */
async function thirty(): Promise<{ node: string[]; pod: string[] }> {
  const node: string[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await tb.executor().run('curl', ['-s', '--max-time', '2', 'http://10.109.206.2:80/']);
    node.push(r.stdout.split(' ')[0] ?? `curl exit ${r.code}`);
  }
  const pod = (await tb.probe(tb.podNs('client'), [{ proto: 'tcp', ip: '10.109.206.2', port: 80, count: 30, timeoutMs: 2000 }])).map((r) => r.split(' ')[0] ?? r);
  return { node, pod };
}

async function state(): Promise<{ iptables: boolean; nft: boolean }> {
  const ipt = await tb.executor().run('iptables-save', ['-t', 'nat']);
  const nft = await tb.executor().run('nft', ['list', 'tables']);
  return { iptables: ipt.stdout.includes('KUBE-SERVICES'), nft: nft.stdout.includes('kube-proxy') };
}

async function commonChecks(mode: string): Promise<void> {
  // NodePort on the node address, from the client Pod.
  const np = await tb.probe(tb.podNs('client'), [{ proto: 'tcp', ip: '192.168.80.10', port: 32311, count: 3, timeoutMs: 2000 }]);
  assert.ok(np.every((r) => /^10\.244\.1\.\d /.test(r)), `${mode} NodePort: ${np.join(', ')}`);
  // Hairpin: a Pod reaches itself through its Service.
  const hp = await tb.probe(tb.podNs('web1'), [{ proto: 'tcp', ip: '10.109.206.2', port: 80, count: 12, timeoutMs: 2000 }]);
  assert.ok(hp.every((r) => /^10\.244\.1\.\d /.test(r)), `${mode} hairpin: ${hp.join(', ')}`);
  // No endpoints: refused at once.
  const t0 = performance.now();
  assert.deepEqual(await tb.probe(tb.podNs('client'), [{ proto: 'tcp', ip: '10.109.23.222', port: 80, timeoutMs: 3000 }]), ['REFUSED'], mode);
  assert.ok(performance.now() - t0 < 1500, `${mode}: refused quickly`);
}

test('iptables (ConfigMap mode "iptables"): every Pod answers; affinity pins one; NodePort, hairpin, refusal', { skip }, async () => {
  assert.equal((await sp.request('idle'))['mode'], 'iptables');
  const { node, pod } = await thirty();
  assert.deepEqual(new Set(node), new Set(pods.map((p) => p.ip)), node.join(' '));
  assert.deepEqual(new Set(pod), new Set(pods.map((p) => p.ip)));
  await commonChecks('iptables');
  await sp.request('service', { prev: web(), cur: web((s) => { s.spec.sessionAffinity = 'ClientIP'; s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 100 } }; }) });
  await sp.request('idle');
  const after = await thirty();
  assert.equal(new Set(after.node).size, 1, after.node.join(' '));
  assert.equal(new Set(after.pod).size, 1);
  assert.deepEqual(await state(), { iptables: true, nft: false });
});

test('editing the ConfigMap to nftables switches and removes the iptables rules', { skip }, async () => {
  await sp.request('service', { cur: web() });
  await sp.request('config', { cm: configMap('nftables') });
  assert.equal((await sp.request('idle'))['mode'], 'nftables');
  assert.deepEqual(await state(), { iptables: false, nft: true });
  const { node, pod } = await thirty();
  assert.deepEqual(new Set(node), new Set(pods.map((p) => p.ip)));
  assert.deepEqual(new Set(pod), new Set(pods.map((p) => p.ip)));
  await commonChecks('nftables');
  await sp.request('service', { cur: web((s) => { s.spec.sessionAffinity = 'ClientIP'; s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 100 } }; }) });
  await sp.request('idle');
  assert.equal(new Set((await thirty()).pod).size, 1);
});

test('mode "ipvs" runs the userspace proxy with ipvs.scheduler: strict round robin, then persistence', { skip }, async () => {
  await sp.request('service', { cur: web() });
  await sp.request('config', { cm: configMap('ipvs', 'rr') });
  assert.equal((await sp.request('idle'))['mode'], 'userspace');
  assert.deepEqual(await state(), { iptables: false, nft: false });
  const { node, pod } = await thirty();
  for (const seq of [node, pod]) {
    assert.equal(new Set(seq).size, 3);
    for (let i = 3; i < seq.length; i++) assert.equal(seq[i], seq[i - 3], `round robin order: ${seq.join(' ')}`);
  }
  await commonChecks('userspace');
  await sp.request('service', { cur: web((s) => { s.spec.sessionAffinity = 'ClientIP'; s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 100 } }; }) });
  await sp.request('idle');
  const after = await thirty();
  assert.equal(new Set(after.node).size, 1);
  assert.equal(new Set(after.pod).size, 1);
  const list = String((await sp.request('list'))['text']);
  assert.match(list, /^TCP  10\.109\.206\.2:80 rr persistent 100$/m);
  assert.match(list, /^TCP  192\.168\.80\.10:32311 rr persistent 100$/m);
  assert.match(list, /^  -> 10\.244\.1\.1:80 +Masq +1 +\d+ +\d+$/m);
});

test('back to iptables; stop removes everything', { skip }, async () => {
  await sp.request('config', { cm: configMap('iptables') });
  assert.equal((await sp.request('idle'))['mode'], 'iptables');
  assert.equal(new Set((await thirty()).pod).size, 1, 'affinity still set');
  await sp.stop();
  assert.deepEqual(await state(), { iptables: false, nft: false });
});
