import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCorefile, type Directive } from './parse.ts';
import { normalizeZone, parseDuration, parseHostPort, parseServerKey } from './values.ts';
import { kubeadmCorefile } from './default.ts';

const seed000 = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    # look
    hosts {
       10.1.72.80 oauth.abc.com
       fallthrough
    }
    prometheus :9153
    # 注意这里是解析的主机的 dns 服务
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;

function shape(ds: Directive[]): unknown[] {
  return ds.map((d) => (d.block === undefined ? [d.name, ...d.args] : [d.name, ...d.args, shape(d.block)]));
}

test('seed 000 parses into its directives, comments (also non-ASCII) dropped', () => {
  const cf = parseCorefile(seed000);
  assert.equal(cf.blocks.length, 1);
  assert.deepEqual(cf.blocks[0]?.keys, ['.:53']);
  assert.deepEqual(shape(cf.blocks[0]?.directives ?? []), [
    ['errors'],
    ['health', [['lameduck', '5s']]],
    ['ready'],
    ['kubernetes', 'cluster.local', 'in-addr.arpa', 'ip6.arpa', [['pods', 'insecure'], ['fallthrough', 'in-addr.arpa', 'ip6.arpa'], ['ttl', '30']]],
    ['hosts', [['10.1.72.80', 'oauth.abc.com'], ['fallthrough']]],
    ['prometheus', ':9153'],
    ['forward', '.', '/etc/resolv.conf', [['max_concurrent', '1000']]],
    ['cache', '30'],
    ['loop'],
    ['reload'],
    ['loadbalance'],
  ]);
  assert.equal(cf.blocks[0]?.directives.find((d) => d.name === 'hosts')?.line, 13);
});

test('kubeadm default parses', () => {
  assert.equal(parseCorefile(kubeadmCorefile).blocks[0]?.directives.length, 10);
});

const cases: { name: string; text: string; want?: unknown; error?: RegExp }[] = [
  { name: 'several keys, commas', text: 'example.org, example.net:53 {\n whoami\n}', want: [['example.org', 'example.net:53'], [['whoami']]] },
  { name: 'one-line blocks', text: '. {\n health { lameduck 5s }\n}', want: [['.'], [['health', [['lameduck', '5s']]]]] },
  { name: 'quoted token with spaces', text: '. {\n log . "{remote} {name}"\n}', want: [['.'], [['log', '.', '{remote} {name}']]] },
  { name: 'env substitution', text: '. {\n forward . {$UPSTREAM}\n}', want: [['.'], [['forward', '.', '9.9.9.9']]] },
  { name: 'snippet import', text: '(common) {\n errors\n cache 5\n}\n. {\n import common\n forward . 1.1.1.1\n}', want: [['.'], [['errors'], ['cache', '5'], ['forward', '.', '1.1.1.1']]] },
  { name: 'block without braces', text: '.\nwhoami\nlog', want: [['.'], [['whoami'], ['log']]] },
  { name: 'missing closing brace', text: '. {\n errors\n', error: /Corefile:1 - Error during parsing: Unexpected EOF: missing closing brace/ },
  { name: 'stray closing brace', text: '. {\n errors\n}\n}', error: /Unexpected '}'/ },
  { name: 'unterminated quote', text: '. {\n log "abc\n}', error: /Corefile:2 - Error during parsing: Unterminated quoted string/ },
  { name: 'unknown snippet', text: '. {\n import nothing\n}', error: /Import of 'nothing'/ },
];

for (const c of cases) {
  test(`corefile: ${c.name}`, () => {
    if (c.error !== undefined) {
      assert.throws(() => parseCorefile(c.text), c.error);
      return;
    }
    const cf = parseCorefile(c.text, { env: { UPSTREAM: '9.9.9.9' } });
    const b = cf.blocks[cf.blocks.length - 1];
    assert.deepEqual([b?.keys, shape(b?.directives ?? [])], c.want);
  });
}

test('zones: names get a trailing dot and lower case; CIDRs become reverse zones', () => {
  assert.deepEqual(normalizeZone('Cluster.Local'), ['cluster.local.']);
  assert.deepEqual(normalizeZone('.'), ['.']);
  assert.deepEqual(normalizeZone('10.0.0.0/8'), ['10.in-addr.arpa.']);
  assert.deepEqual(normalizeZone('10.96.0.0/12').length, 16);
  assert.equal(normalizeZone('10.96.0.0/12')[0], '96.10.in-addr.arpa.');
  assert.equal(normalizeZone('10.96.0.0/12')[15], '111.10.in-addr.arpa.');
  assert.deepEqual(normalizeZone('fd00::/8'), ['d.f.ip6.arpa.']);
  assert.throws(() => normalizeZone('10.0.0.0/33'));
});

test('server keys, durations, addresses', () => {
  assert.deepEqual(parseServerKey('.:53'), { key: '.:53', zones: ['.'], port: 53 });
  assert.deepEqual(parseServerKey('dns://example.org:1053'), { key: 'dns://example.org:1053', zones: ['example.org.'], port: 1053 });
  assert.deepEqual(parseServerKey('example.org'), { key: 'example.org', zones: ['example.org.'], port: undefined });
  assert.throws(() => parseServerKey('tls://.:853'), /transport tls:\/\/ is not supported/);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('5'), undefined);
  assert.deepEqual(parseHostPort(':9153', 0), { host: '0.0.0.0', port: 9153 });
  assert.deepEqual(parseHostPort('localhost:9153', 0), { host: 'localhost', port: 9153 });
  assert.deepEqual(parseHostPort('[::1]:53', 0), { host: '::1', port: 53 });
});
