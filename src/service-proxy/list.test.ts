import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatListing, virtualServers } from './list.ts';
import { countersFromConntrack, parseConntrack } from './conntrack.ts';
import { makeService, makeSlice, readyEndpoint, stateFrom } from './testing.ts';
import { defaultProxyConfig } from './types.ts';

test('ipvsadm -Ln layout with persistence, NodePorts per address and conntrack counts', () => {
  const state = stateFrom([
    makeService('test', 'svc-nginx', (s) => {
      s.spec.type = 'NodePort';
      s.spec.clusterIP = '10.109.206.2';
      s.spec.sessionAffinity = 'ClientIP';
      s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 100 } };
      s.spec.ports = [{ port: 80, nodePort: 32311 }];
    }),
    makeService('kube-system', 'kube-dns', (s) => { s.spec.clusterIP = '10.96.0.10'; s.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }]; }),
  ], [
    makeSlice('test', 'svc-nginx', 1, (s) => { s.endpoints = ['10.244.104.62', '10.244.166.189'].map((ip) => readyEndpoint(ip)); s.ports = [{ port: 80 }]; }),
    makeSlice('kube-system', 'kube-dns', 1, (s) => { s.endpoints = [readyEndpoint('10.244.219.74')]; s.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }]; }),
  ], 'n');
  const counters = countersFromConntrack(parseConntrack([
    'tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.109.206.2 sport=5 dport=80 src=10.244.104.62 dst=10.0.0.2 sport=80 dport=5 [ASSURED] mark=0 use=1',
    'tcp      6 100 TIME_WAIT src=10.0.0.2 dst=10.109.206.2 sport=6 dport=80 src=10.244.104.62 dst=10.0.0.2 sport=80 dport=6 [ASSURED] mark=0 use=1',
    'udp      17 20 src=10.0.0.2 dst=10.96.0.10 sport=7 dport=53 src=10.244.219.74 dst=10.0.0.2 sport=53 dport=7 mark=0 use=1',
  ].join('\n')));
  const text = formatListing({
    mode: 'iptables', scheduler: 'random',
    virtualServers: virtualServers({ state, cfg: defaultProxyConfig(), mode: 'iptables', scheduler: 'random', nodePortAddresses: ['192.168.80.10'], counters }),
  });
  assert.equal(text, [
    'Switchboard service proxy, iptables mode (layout of ipvsadm -Ln)',
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
    'TCP  10.109.206.2:80 random persistent 100',
    '  -> 10.244.104.62:80             Masq    1      1          1',
    '  -> 10.244.166.189:80            Masq    1      0          0',
    'TCP  192.168.80.10:32311 random persistent 100',
    '  -> 10.244.104.62:80             Masq    1      0          0',
    '  -> 10.244.166.189:80            Masq    1      0          0',
    'UDP  10.96.0.10:53 random',
    '  -> 10.244.219.74:53             Masq    1      0          1',
    '',
  ].join('\n'));
});
