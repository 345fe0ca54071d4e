// startServiceProxy end to end without root: the informer source over the fake API client, the
// userspace data plane on loopback addresses, the HTTP endpoint (/metrics, /healthz, /proxyMode,
// /proxy/list), mode resolution from the ConfigMap (kernel modes unavailable → userspace), and a
// ConfigMap edit switching the scheduler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { FakeClient, InformerFactory, builtin } from '../client/index.ts';
import { startServiceProxy, fetchListing, proxyListFromDataDir } from './start.ts';
import { informerSource } from './informers.ts';
import { formatListing } from './list.ts';
import { makeService, makeSlice, readyEndpoint } from './testing.ts';
import { kubeProxyConfig } from '../apiserver/bootstrap.ts';
import type { KubeObject } from '../api/types.ts';

async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function ask(ip: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = connect({ host: ip, port });
    let b = '';
    c.on('data', (d) => (b += d));
    c.on('end', () => resolve(b));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'ERROR'));
  });
}

async function eventually(f: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('informers → userspace proxy on loopback, HTTP listing and metrics, ConfigMap scheduler switch', async () => {
  const port = await freePort('127.0.6.1');
  const servers = ['127.0.6.1', '127.0.6.2'].map((ip) => {
    const s = createServer((c) => c.end(ip));
    s.listen(port, ip);
    return s;
  });
  const vip = '127.0.11.1';
  const vport = await freePort(vip);
  const client = new FakeClient();
  const cm = (mode: string, sched: string): KubeObject => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' },
    data: { 'config.conf': kubeProxyConfig(mode).replace('scheduler: ""', `scheduler: "${sched}"`) },
  });
  await client.resource(builtin('configmaps')).create('kube-system', cm('ipvs', 'rr'));
  await client.resource(builtin('services')).create('t', makeService('t', 'web', (s) => { s.spec.clusterIP = vip; s.spec.ports = [{ name: 'http', port: vport }]; }));
  await client.resource(builtin('endpointslices', 'discovery.k8s.io')).create('t', makeSlice('t', 'web', 1, (s) => {
    s.endpoints = [readyEndpoint('127.0.6.1'), readyEndpoint('127.0.6.2')];
    s.ports = [{ name: 'http', port }];
  }));
  // A Service another proxy owns is ignored.
  await client.resource(builtin('services')).create('t', makeService('t', 'other', (s) => {
    s.metadata.labels = { 'service.kubernetes.io/service-proxy-name': 'someone-else' };
    s.spec.clusterIP = '127.0.11.2';
    s.spec.ports = [{ port: vport }];
  }));
  const factory = new InformerFactory(client);
  const logs: string[] = [];
  const proxy = await startServiceProxy({
    source: informerSource(factory), nodeName: 'n1', nodeIPs: [], serviceCIDRs: ['127.0.11.0/24'], clusterCIDR: '',
    minSyncPeriodMs: 0, unavailable: { iptables: 'test', nftables: 'test' }, log: (l, m) => logs.push(`${l} ${m}`),
  });
  try {
    await eventually(async () => proxy.mode !== '');
    await proxy.whenIdle();
    assert.equal(proxy.mode, 'userspace');
    assert.ok(logs.some((l) => l.includes('this kernel has no IPVS')), logs.join('\n'));
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await ask(vip, vport));
    assert.deepEqual(got, ['127.0.6.1', '127.0.6.2', '127.0.6.1', '127.0.6.2']);

    const listing = await fetchListing(proxy.metricsAddress);
    assert.equal(listing.virtualServers.length, 1);
    const text = formatListing(listing);
    assert.match(text, new RegExp(`^TCP  ${vip.replaceAll('.', '\\.')}:${vport} rr$`, 'm'));
    assert.match(text, /^ {2}-> 127\.0\.6\.1:\d+ +Masq +1 +0 +0$/m);

    const metrics = await (await fetch(`http://${proxy.metricsAddress}/metrics`)).text();
    assert.match(metrics, /^kubeproxy_sync_proxy_rules_last_timestamp_seconds \d/m);
    assert.match(metrics, /^kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]/m);
    assert.match(metrics, /^switchboard_proxy_connections_total\{endpoint="127\.0\.6\.1:\d+",service="t\/web:http\/TCP"\} 2$/m);
    assert.equal(await (await fetch(`http://${proxy.metricsAddress}/proxyMode`)).text(), 'userspace');
    assert.equal((await fetch(`http://${proxy.metricsAddress}/healthz`)).status, 200);

    // `switchboard proxy list` through a data dir's state.json.
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/sb-proxy-list-`);
    writeFileSync(`${dir}/state.json`, JSON.stringify({ metrics: { proxy: proxy.metricsAddress } }));
    assert.equal(await proxyListFromDataDir(dir), text);
    rmSync(dir, { recursive: true });

    // Scheduler change through the ConfigMap: sh keeps one client on one endpoint.
    await client.resource(builtin('configmaps')).update({ ...cm('ipvs', 'sh'), metadata: { ...cm('ipvs', 'sh').metadata, resourceVersion: (await client.resource(builtin('configmaps')).get('kube-system', 'kube-proxy')).metadata.resourceVersion ?? '' } });
    await eventually(async () => formatListing(await proxy.listing()).includes(' sh'));
    const sh = new Set<string>();
    for (let i = 0; i < 4; i++) sh.add(await ask(vip, vport));
    assert.equal(sh.size, 1);

    // Endpoints go away: refused.
    await client.resource(builtin('endpointslices', 'discovery.k8s.io')).delete('t', 'web-1');
    await eventually(async () => (await ask(vip, vport)) === 'ECONNREFUSED');
  } finally {
    await proxy.stop();
    await factory.stop();
    for (const s of servers) s.close();
  }
});

test('kubeconfig: a real API server, Services and EndpointSlices edited through it', async () => {
  const { startTestServer } = await import('../client/testing.ts');
  const srv = await startTestServer();
  const port = await freePort('127.0.6.3');
  const server = createServer((c) => c.end('127.0.6.3'));
  server.listen(port, '127.0.6.3');
  const vip = '127.0.11.3';
  const vport = await freePort(vip);
  let proxy: Awaited<ReturnType<typeof startServiceProxy>> | undefined;
  try {
    await srv.createNamespace('t');
    await srv.createNamespace('kube-system');
    await srv.client.resource(builtin('services')).create('t', makeService('t', 'web', (s) => { s.spec.clusterIP = vip; s.spec.clusterIPs = [vip]; s.spec.ports = [{ port: vport, protocol: 'TCP', targetPort: port }]; }));
    proxy = await startServiceProxy({
      kubeconfig: srv.kubeconfigPath, mode: 'userspace', nodeName: 'n1', nodeIPs: [], serviceCIDRs: ['127.0.11.0/24'], clusterCIDR: '',
      minSyncPeriodMs: 0, metricsAddress: '', unavailable: { iptables: 'test', nftables: 'test' },
    });
    await eventually(async () => proxy?.mode === 'userspace');
    assert.equal(await ask(vip, vport), 'ECONNREFUSED', 'no endpoints yet');
    await srv.client.resource(builtin('endpointslices', 'discovery.k8s.io')).create('t', makeSlice('t', 'web', 1, (s) => { s.endpoints = [readyEndpoint('127.0.6.3')]; s.ports = [{ port, protocol: 'TCP' }]; }));
    await eventually(async () => (await ask(vip, vport)) === '127.0.6.3');
  } finally {
    await proxy?.stop();
    server.close();
    await srv.close();
  }
});
