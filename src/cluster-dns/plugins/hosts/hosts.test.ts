import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answers, blocksFrom, fakeEnv, makeRequest, nextMarker } from '../../plugin/testing.ts';
import type { Handler } from '../../plugin/plugin.ts';
import { Hosts } from './hosts.ts';
import { lookupHost, parseHosts } from './hostsfile.ts';

const etcHosts = `
127.0.0.1   localhost
::1         localhost ip6-localhost
# a comment
10.0.0.5    db.internal db   # trailing comment
fe80::1%eth0 link.internal
not-an-ip   ignored.example
10.0.0.9    *.wild.internal
`;

function hosts(block: string, files: Record<string, string> = { '/etc/hosts': etcHosts }): Handler {
  const h = blocksFrom(`.:53 {\n ${block}\n}`, fakeEnv({ files }))[0]?.plugins[0]?.handler;
  if (h === undefined) throw new Error('no hosts');
  return h;
}

const rows: { name: string; block: string; q: string; rcode: string; answer?: string[] }[] = [
  { name: 'file entry', block: 'hosts', q: 'db.internal. A', rcode: 'NOERROR', answer: ['db.internal. 3600 IN A 10.0.0.5'] },
  { name: 'alias without dots', block: 'hosts', q: 'db. A', rcode: 'NOERROR', answer: ['db. 3600 IN A 10.0.0.5'] },
  { name: 'IPv6 with a zone index', block: 'hosts', q: 'link.internal. AAAA', rcode: 'NOERROR', answer: ['link.internal. 3600 IN AAAA fe80::1'] },
  { name: 'case-insensitive, case kept', block: 'hosts', q: 'DB.Internal. A', rcode: 'NOERROR', answer: ['DB.Internal. 3600 IN A 10.0.0.5'] },
  { name: 'known name, other type: NODATA', block: 'hosts', q: 'db.internal. MX', rcode: 'NOERROR', answer: [] },
  { name: 'AAAA of an IPv4-only name: NODATA', block: 'hosts', q: 'db.internal. AAAA', rcode: 'NOERROR', answer: [] },
  { name: 'unknown name without fallthrough: SERVFAIL (no SOA to say NXDOMAIN)', block: 'hosts', q: 'nothing.internal. A', rcode: 'SERVFAIL' },
  { name: 'unknown name with fallthrough', block: 'hosts {\n fallthrough\n }', q: 'nothing.internal. A', rcode: 'NEXT' },
  { name: 'fallthrough for some zones only', block: 'hosts {\n fallthrough example.\n }', q: 'nothing.internal. A', rcode: 'SERVFAIL' },
  { name: 'PTR generated from the file', block: 'hosts', q: '5.0.0.10.in-addr.arpa. PTR', rcode: 'NOERROR', answer: ['5.0.0.10.in-addr.arpa. 3600 IN PTR db.', '5.0.0.10.in-addr.arpa. 3600 IN PTR db.internal.'] },
  { name: 'PTR miss always passes on', block: 'hosts', q: '1.1.1.1.in-addr.arpa. PTR', rcode: 'NEXT' },
  { name: 'no_reverse', block: 'hosts {\n no_reverse\n }', q: '5.0.0.10.in-addr.arpa. PTR', rcode: 'NEXT' },
  { name: 'inline entries with their ttl', block: 'hosts {\n 10.1.72.80 oauth.abc.com\n ttl 60\n }', q: 'oauth.abc.com. A', rcode: 'NOERROR', answer: ['oauth.abc.com. 60 IN A 10.1.72.80'] },
  { name: 'inline and file entries combine', block: 'hosts {\n 10.0.0.6 db.internal\n }', q: 'db.internal. A', rcode: 'NOERROR', answer: ['db.internal. 3600 IN A 10.0.0.5', 'db.internal. 3600 IN A 10.0.0.6'] },
  { name: 'a leftmost * matches one label', block: 'hosts', q: 'x.wild.internal. A', rcode: 'NOERROR', answer: ['x.wild.internal. 3600 IN A 10.0.0.9'] },
  { name: 'names outside the zones pass', block: 'hosts /etc/hosts internal', q: 'localhost. A', rcode: 'NEXT' },
  { name: 'fallthrough_unsupported passes other types', block: 'hosts {\n fallthrough_unsupported\n }', q: 'db.internal. TXT', rcode: 'NEXT' },
];

for (const r of rows) {
  test(`hosts: ${r.name}`, async () => {
    const [qname, qtype] = r.q.split(' ');
    const got = answers(await hosts(r.block).serve(makeRequest(qname ?? '', qtype ?? 'A'), nextMarker));
    assert.equal(got.rcode, r.rcode);
    if (r.answer !== undefined) assert.deepEqual(got.answer, r.answer);
  });
}

test('hosts: a missing file is a warning, inline entries still work', async () => {
  const env = fakeEnv({ files: {} });
  const h = blocksFrom('.:53 {\n hosts /nope {\n  10.1.72.80 oauth.abc.com\n }\n}', env)[0]?.plugins[0]?.handler;
  assert.ok(h !== undefined);
  const got = answers(await h.serve(makeRequest('oauth.abc.com.', 'A'), nextMarker));
  assert.deepEqual(got.answer, ['oauth.abc.com. 3600 IN A 10.1.72.80']);
  assert.ok(env.logs.some((l) => l.msg.includes('File does not exist: /nope')));
});

test('hosts: the file is re-read when its size or mtime changes', async () => {
  let text = '10.0.0.1 a.internal\n';
  let mtime = 1;
  const h = new Hosts({ path: '/h', zones: ['.'], inline: [], ttl: 5, noReverse: false, reloadMs: 0, fallthrough: { zones: [] }, fallthroughUnsupported: false }, {
    readFile: () => text, statFile: () => ({ mtimeMs: mtime, size: text.length }), log: () => undefined, now: () => 0,
  });
  assert.deepEqual(answers(await h.serve(makeRequest('a.internal.', 'A'), nextMarker)).answer, ['a.internal. 5 IN A 10.0.0.1']);
  assert.equal(h.readFile(), false, 'unchanged');
  text = '10.0.0.2 a.internal\n';
  mtime = 2;
  assert.equal(h.readFile(), true);
  assert.deepEqual(answers(await h.serve(makeRequest('a.internal.', 'A'), nextMarker)).answer, ['a.internal. 5 IN A 10.0.0.2']);
});

test('hostsfile: parse keeps only valid lines within the zones', () => {
  const m = parseHosts(etcHosts, ['internal.']);
  assert.deepEqual([...m.v4.keys()].sort(), ['*.wild.internal.', 'db.internal.']);
  assert.deepEqual(lookupHost(m, 6, 'link.internal.'), ['fe80::1']);
  assert.equal(m.size, 3);
});
