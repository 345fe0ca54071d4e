import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConntrack, staleUDPEntries } from './conntrack.ts';
import { makeService, makeSlice, readyEndpoint, stateFrom } from './testing.ts';
import { defaultProxyConfig } from './types.ts';

const sample = `udp      17 29 src=10.0.0.2 dst=172.30.0.10 sport=40000 dport=53 src=10.180.0.1 dst=10.0.0.2 sport=53 dport=40000 mark=0 use=1
udp      17 25 src=10.0.0.2 dst=172.30.0.10 sport=40001 dport=53 [UNREPLIED] src=10.180.0.9 dst=10.0.0.2 sport=53 dport=40001 mark=0 use=1
udp      17 25 src=10.0.0.3 dst=172.30.0.10 sport=40002 dport=53 [UNREPLIED] src=172.30.0.10 dst=10.0.0.3 sport=53 dport=40002 mark=0 use=1
udp      17 25 src=10.0.0.3 dst=172.30.0.77 sport=40003 dport=53 src=10.180.0.5 dst=10.0.0.3 sport=53 dport=40003 mark=0 use=1
udp      17 25 src=10.0.0.3 dst=8.8.8.8 sport=40004 dport=53 src=8.8.8.8 dst=10.0.0.3 sport=53 dport=40004 mark=0 use=1
udp      17 25 src=203.0.113.2 dst=192.168.0.2 sport=40005 dport=30053 src=10.180.0.9 dst=192.168.0.2 sport=53 dport=40005 mark=0 use=1
tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=172.30.0.10 sport=50000 dport=53 src=10.180.0.9 dst=10.0.0.2 sport=53 dport=50000 [ASSURED] mark=0 use=1
conntrack v1.4.7 (conntrack-tools): 7 flow entries have been shown.
`;

test('parse conntrack -L output', () => {
  const es = parseConntrack(sample);
  assert.equal(es.length, 7);
  assert.deepEqual(es[0], { proto: 'udp', state: '', origSrc: '10.0.0.2', origDst: '172.30.0.10', origSport: 40000, origDport: 53, replySrc: '10.180.0.1', replySport: 53 });
  assert.equal(es[6]?.state, 'ESTABLISHED');
});

test('stale UDP entries: removed endpoint, un-DNATed with endpoints now, deleted service; TCP and foreign flows untouched', () => {
  const svc = makeService('kube-system', 'dns', (s) => {
    s.spec.type = 'NodePort';
    s.spec.clusterIP = '172.30.0.10';
    s.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 'tcp', port: 53, protocol: 'TCP' }];
  });
  const slice = makeSlice('kube-system', 'dns', 1, (s) => {
    s.endpoints = [readyEndpoint('10.180.0.1')];
    s.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'tcp', port: 53, protocol: 'TCP' }];
  });
  const cfg = defaultProxyConfig({ nodeIPs: ['192.168.0.2'], serviceCIDRs: ['172.30.0.0/16'] });
  const stale = staleUDPEntries(parseConntrack(sample), stateFrom([svc], [slice], 'n'), cfg);
  assert.deepEqual(stale.map((e) => e.origSport), [40001, 40002, 40003, 40005]);
});
