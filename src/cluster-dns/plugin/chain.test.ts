import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blocksFrom, fakeEnv } from './testing.ts';
import { directives } from './directives.ts';
import { fixtureCluster } from '../plugins/kubernetes/testdata.ts';

const env = () => fakeEnv({ cluster: fixtureCluster(), files: { '/etc/resolv.conf': 'nameserver 10.255.255.53\nsearch example\n', '/etc/hosts': '127.0.0.1 localhost\n' } });

test('handlers run in plugin.cfg order whatever the Corefile order', () => {
  const blocks = blocksFrom(`.:53 {
    forward . /etc/resolv.conf
    loadbalance
    kubernetes cluster.local
    cache 30
    hosts
    errors
    log
    prometheus :9153
    loop
    ready
    health
    reload
  }`, env());
  const names = blocks[0]?.plugins.map((p) => p.name);
  assert.deepEqual(names, [...directives]);
  const handlers = blocks[0]?.plugins.filter((p) => p.handler !== undefined).map((p) => p.name);
  assert.deepEqual(handlers, ['prometheus', 'errors', 'log', 'loadbalance', 'cache', 'hosts', 'kubernetes', 'loop', 'forward']);
});

const errors: { name: string; corefile: string; error: RegExp }[] = [
  { name: 'unknown plugin by name', corefile: '.:53 {\n errors\n hots {\n }\n}', error: /: Corefile:3 - Error during parsing: Unknown directive 'hots'$/ },
  { name: 'a CoreDNS plugin Switchboard lacks', corefile: '.:53 {\n rewrite name a b\n}', error: /Corefile:2 - Error during parsing: plugin 'rewrite' is not implemented by Switchboard/ },
  { name: 'a plugin twice', corefile: '.:53 {\n cache\n cache 30\n}', error: /Corefile:3 - Error during parsing: plugin\/cache: this plugin can only be used once per Server Block/ },
  { name: 'the same zone twice', corefile: '.:53 {\n errors\n}\n.:53 {\n errors\n}', error: /cannot serve dns:\/\/\.:53 - it is already defined/ },
  { name: 'unknown property', corefile: '.:53 {\n kubernetes cluster.local {\n  podz insecure\n }\n}', error: /: plugin\/kubernetes: Corefile:3 - Error during parsing: unknown property 'podz'$/ },
  { name: 'bad pods mode', corefile: '.:53 {\n kubernetes cluster.local {\n  pods sometimes\n }\n}', error: /wrong value for pods: sometimes/ },
  { name: 'ttl out of range', corefile: '.:53 {\n kubernetes {\n  ttl 4000\n }\n}', error: /ttl: 4000 must be between 0 and 3600/ },
  { name: 'forward without upstream', corefile: '.:53 {\n forward .\n}', error: /Wrong argument count or unexpected line ending after '\.'/ },
  { name: 'forward to a name', corefile: '.:53 {\n forward . dns.google\n}', error: /not an IP address or file: "dns.google"/ },
  { name: 'forward over TLS', corefile: '.:53 {\n forward . tls://1.1.1.1\n}', error: /transport tls:\/\/ is not supported/ },
  { name: 'missing resolv.conf', corefile: '.:53 {\n forward . /nope/resolv.conf\n}', error: /reading \/nope\/resolv.conf: ENOENT/ },
  { name: 'bad duration', corefile: '.:53 {\n health {\n  lameduck soon\n }\n}', error: /invalid duration 'soon'/ },
  { name: 'reload interval too short', corefile: '.:53 {\n reload 1s\n}', error: /interval value must be greater or equal to 2s/ },
  { name: 'cache TTL zero', corefile: '.:53 {\n cache 0\n}', error: /cache TTL can not be zero or negative: 0/ },
  { name: 'cache disable of an unknown kind', corefile: '.:53 {\n cache {\n  disable everything\n }\n}', error: /cache type for disable must be "success" or "denial"/ },
  { name: 'loadbalance weighted', corefile: '.:53 {\n loadbalance weighted /etc/w\n}', error: /policy 'weighted' is not supported/ },
  { name: 'hosts option typo', corefile: '.:53 {\n hosts {\n  fallthru\n }\n}', error: /unknown property 'fallthru'/ },
  { name: 'errors consolidate with a bad regexp', corefile: '.:53 {\n errors {\n  consolidate 5m ([\n }\n}', error: /invalid regexp/ },
];

for (const c of errors) {
  test(`setup error: ${c.name}`, () => {
    assert.throws(() => blocksFrom(c.corefile, env()), c.error);
  });
}

test('forward reads its upstreams from a resolv.conf', () => {
  const blocks = blocksFrom('.:53 {\n forward . /etc/resolv.conf\n}', env());
  const f = blocks[0]?.plugins[0]?.handler as unknown as { opts: { upstreams: { label: string }[] } };
  assert.deepEqual(f.opts.upstreams.map((u) => u.label), ['10.255.255.53:53']);
});

test('kubernetes without a cluster connection says how to give it one', () => {
  assert.throws(() => blocksFrom('.:53 {\n kubernetes\n}', fakeEnv()), /no cluster to read/);
});
