import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/types.ts';
import { parseResolvConf, renderHosts, renderResolvConf, type DnsSettings } from './files.ts';

function makePod(ns: string, name: string, edit: (p: Pod) => void = () => {}): Pod {
  const p: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, uid: 'u1' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  edit(p);
  return p;
}

const dns: DnsSettings = {
  clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local',
  host: parseResolvConf('nameserver 192.0.2.53\nsearch corp.example.\noptions edns0 timeout:2\n'),
};

test('resolv.conf by DNS policy (kubelet dns.go)', () => {
  const rows: Array<{ name: string; given: Pod; want: string }> = [
    { name: 'ClusterFirst', given: makePod('test', 'web'), want: 'search test.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n' },
    { name: 'Default copies the host', given: makePod('test', 'web', (p) => { p.spec!.dnsPolicy = 'Default'; }), want: 'search corp.example\nnameserver 192.0.2.53\noptions edns0 timeout:2\n' },
    { name: 'ClusterFirst on hostNetwork is Default', given: makePod('a', 'b', (p) => { p.spec!.hostNetwork = true; }), want: 'search corp.example\nnameserver 192.0.2.53\noptions edns0 timeout:2\n' },
    {
      name: 'None with dnsConfig, options merged by name', given: makePod('a', 'b', (p) => {
        p.spec!.dnsPolicy = 'None';
        p.spec!.dnsConfig = { nameservers: ['1.1.1.1'], searches: ['x.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] };
      }), want: 'search x.example\nnameserver 1.1.1.1\noptions ndots:2 edns0\n',
    },
    {
      name: 'dnsConfig overrides ndots', given: makePod('ns1', 'p', (p) => { p.spec!.dnsConfig = { options: [{ name: 'ndots', value: '2' }] }; }),
      want: 'search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:2\n',
    },
  ];
  for (const r of rows) assert.equal(renderResolvConf(r.given, dns), r.want, r.name);
});

test('parseResolvConf: nameservers accumulate, last search/options win, trailing dots go', () => {
  assert.deepEqual(parseResolvConf('nameserver 1.1.1.1\nsearch a.\nnameserver 8.8.8.8 # x\nsearch b. c\noptions rotate\n'), {
    nameservers: ['1.1.1.1', '8.8.8.8'], searches: ['b', 'c'], options: ['rotate'],
  });
});

test('hosts file: pod IP with hostname, FQDN with subdomain, hostAliases block', () => {
  const pod = makePod('test', 'web-0', (p) => {
    p.spec!.subdomain = 'web';
    p.spec!.hostAliases = [{ ip: '1.2.3.4', hostnames: ['foo.local', 'bar.local'] }];
  });
  const text = renderHosts(pod, ['10.244.0.5'], 'cluster.local');
  assert.match(text, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
  assert.match(text, /\n10\.244\.0\.5\tweb-0\.web\.test\.svc\.cluster\.local\tweb-0\n/);
  assert.match(text, /\n\n# Entries added by HostAliases\.\n1\.2\.3\.4\tfoo\.local\tbar\.local\n$/);
  assert.match(renderHosts(makePod('a', 'b', (p) => { p.spec!.hostname = 'h'; }), ['10.0.0.1'], 'cluster.local'), /\n10\.0\.0\.1\th\n$/);
});
