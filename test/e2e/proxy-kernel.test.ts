// The kernel data planes (iptables, nftables) on the real kernel: rules applied inside a network
// namespace each suite makes (the host's tables are untouched), then the shared packet-flow table
// run with real connections from pod, node and outside namespaces, stale UDP conntrack clean-up,
// partial syncs, and clean-up of everything the mode installed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Testbed, kernelTestsUnavailable, runKernelFlows } from '../../src/service-proxy/testbed.ts';
import { Proxier } from '../../src/service-proxy/proxier.ts';
import type { Backend } from '../../src/service-proxy/backend.ts';
import type { Executor } from '../../src/service-proxy/exec.ts';
import { IptablesBackend } from '../../src/service-proxy/backends/iptables/backend.ts';
import { realIptables } from '../../src/service-proxy/backends/iptables/client.ts';
import { NftablesBackend } from '../../src/service-proxy/backends/nftables/backend.ts';
import { realNft } from '../../src/service-proxy/backends/nftables/client.ts';
import { realConntrack } from '../../src/service-proxy/conntrack.ts';
import { realClock } from '../../src/service-proxy/clock.ts';
import { fixtureConfig, fixtureExternalClients, fixturePods, fixtureServices, fixtureSlices, flowTable } from '../../src/service-proxy/flows.conformance.ts';
import { makeService, makeSlice, readyEndpoint } from '../../src/service-proxy/testing.ts';

const netguard = '/work/shared/tools/netguard';

interface Mode {
  name: 'iptables' | 'nftables';
  prefix: string;
  tools: string[];
  backend(ex: Executor): Backend;
  /** Our state, as text, for the clean-up check. */
  dump(ex: Executor): Promise<string>;
}

const modes: Mode[] = [
  {
    name: 'iptables', prefix: 'sbpi', tools: ['iptables-restore', 'conntrack'],
    backend: (ex) => new IptablesBackend({ client: realIptables(ex) }),
    dump: async (ex) => (await Promise.all(['nat', 'filter', 'mangle'].map((t) => ex.run('iptables-save', ['-t', t])))).map((r) => r.stdout).join(''),
  },
  {
    name: 'nftables', prefix: 'sbpn', tools: ['nft', 'conntrack'],
    backend: (ex) => new NftablesBackend({ client: realNft(ex) }),
    dump: async (ex) => (await ex.run('nft', ['list', 'ruleset'])).stdout,
  },
];

for (const mode of modes) {
  const skip = await kernelTestsUnavailable(mode.tools);
  if (skip !== undefined) console.log(`# skipping ${mode.name} kernel tests: ${skip}`);

  describe(`${mode.name} on the real kernel`, { skip }, () => {
    let tb: Testbed;
    let p: Proxier;

    before(async () => {
      spawnSync(netguard, ['on'], { stdio: 'ignore' });
      tb = await Testbed.create({ prefix: mode.prefix, nodeIP: '192.168.0.2', serviceCIDR: '172.30.0.0/16', pods: fixturePods, externalClients: fixtureExternalClients });
      p = new Proxier({ cfg: fixtureConfig, backend: mode.backend(tb.executor()), conntrack: realConntrack(tb.executor()), clock: realClock, minSyncPeriodMs: 0 });
      for (const s of fixtureServices()) p.onService(undefined, s);
      for (const s of fixtureSlices()) p.onEndpointSlice(s);
      p.setSynced();
      await p.whenIdle();
    });

    after(async () => {
      p?.stop();
      await tb?.destroy();
      spawnSync(netguard, ['off'], { stdio: 'ignore' });
    });

    test('packet-flow table with real connections', async () => {
      assert.equal(p.lastError, undefined);
      assert.deepEqual(await runKernelFlows(tb, flowTable, mode.name), []);
    });

    test('kube-proxy names in the kernel', async () => {
      const text = await mode.dump(tb.executor());
      if (mode.name === 'iptables') assert.match(text, /-A KUBE-SERVICES .*-d 172\.30\.0\.41\/32 .*-j KUBE-SVC-XPGD46QRK7WJZT7O/);
      else assert.match(text, /chain service-ULMVA6XW-ns1\/svc1\/tcp\/p80 \{/);
    });

    test('ClientIP affinity: one endpoint answers every time', async () => {
      p.onService(undefined, makeService('aff', 'web', (s) => {
        s.spec.clusterIP = '172.30.1.1';
        s.spec.sessionAffinity = 'ClientIP';
        s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 100 } };
        s.spec.ports = [{ port: 80 }];
      }));
      p.onEndpointSlice(makeSlice('aff', 'web', 1, (s) => { s.endpoints = ['1', '2', '3'].map((n) => readyEndpoint(`10.180.0.${n}`)); s.ports = [{ port: 80 }]; }));
      await p.whenIdle();
      const res = await tb.probe(tb.podNs('c1'), [{ proto: 'tcp', ip: '172.30.1.1', port: 80, count: 12, timeoutMs: 2000 }]);
      assert.equal(new Set(res.map((r) => r.split(' ')[0])).size, 1, res.join(', '));
    });

    test('UDP: after the endpoint is replaced no packet goes to the old one', async () => {
      const probe = () => tb.probe(tb.podNs('c1'), [{ proto: 'udp', ip: '172.30.0.47', port: 53, from: '10.0.0.2', sport: 40053, count: 4, timeoutMs: 2000 }]);
      const first = new Set((await probe()).map((r) => r.split(' ')[0]));
      assert.equal(first.size, 1, 'one flow sticks to one endpoint');
      const keep = first.has('10.180.0.7') ? '10.180.0.8' : '10.180.0.7';
      p.onEndpointSlice(makeSlice('ns7', 'dns', 1, (s) => {
        s.endpoints = [readyEndpoint(keep)];
        s.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 5353, protocol: 'TCP' }];
      }));
      await p.whenIdle();
      assert.deepEqual((await probe()).map((r) => r.split(' ')[0]), [keep, keep, keep, keep], 'the stale conntrack entry was deleted');
    });

    test('partial syncs keep the kernel in step; cleanup removes everything', async () => {
      p.onEndpointSlice(makeSlice('ns4', 'svc4', 1, (s) => { s.endpoints = [readyEndpoint('10.180.0.5', 'test-node')]; s.ports = [{ name: 'p80', port: 80 }]; }));
      p.onService(makeService('ns1', 'svc1'), undefined);
      await p.whenIdle();
      const res = await tb.probe(tb.podNs('c1'), [
        { proto: 'tcp', ip: '172.30.0.44', port: 80, count: 6, timeoutMs: 2000 },
        { proto: 'tcp', ip: '172.30.0.41', port: 80, timeoutMs: 1000 },
      ]);
      assert.deepEqual(res.map((r) => r.split(' ')[0]), ['10.180.0.5', '10.180.0.5', '10.180.0.5', '10.180.0.5', '10.180.0.5', '10.180.0.5', mode.name === 'nftables' ? 'TIMEOUT' : 'REFUSED']);
      p.stop();
      await p.backend.cleanup();
      const left = await mode.dump(tb.executor());
      assert.doesNotMatch(left, mode.name === 'iptables' ? /KUBE-/ : /kube-proxy/);
      assert.deepEqual(await tb.probe(tb.podNs('c1'), [{ proto: 'tcp', ip: '172.30.0.42', port: 80, timeoutMs: 1000 }]), ['REFUSED']);
    });
  });
}
