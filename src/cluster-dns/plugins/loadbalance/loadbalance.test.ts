import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRRs, formatRR } from '../../dns/zonefile.ts';
import { seededRandom } from '../../plugin/testing.ts';
import { parseCidr, roundRobin, type Cidr } from './loadbalance.ts';

const rrs = parseRRs(`
  a.example. 5 IN A 10.0.0.1
  a.example. 5 IN CNAME b.example.
  a.example. 5 IN A 10.0.0.2
  a.example. 5 IN MX 10 m1.example.
  a.example. 5 IN A 192.168.0.3
  a.example. 5 IN TXT "t"
  a.example. 5 IN MX 20 m2.example.
  a.example. 5 IN A 10.0.0.4
`);

test('loadbalance: CNAMEs first, then other records, addresses, MX; every record kept', () => {
  const rand = seededRandom(3);
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const out = roundRobin(rrs, rand, []);
    assert.equal(out.length, rrs.length);
    assert.deepEqual(out.map((r) => r.type), ['CNAME', 'TXT', 'A', 'A', 'A', 'A', 'MX', 'MX']);
    assert.deepEqual(out.map(formatRR).sort(), rrs.map(formatRR).sort());
    seen.add(out.filter((r) => r.type === 'A').map(formatRR).join('|'));
  }
  assert.ok(seen.size > 5, 'addresses are shuffled');
});

test('loadbalance: prefer moves addresses in the CIDRs to the front', () => {
  const prefer = [parseCidr('192.168.0.0/16')].filter((c): c is Cidr => c !== undefined);
  for (let i = 0; i < 20; i++) {
    const out = roundRobin(rrs, seededRandom(i), prefer).filter((r) => r.type === 'A');
    assert.equal(out[0]?.type === 'A' ? out[0].address : '', '192.168.0.3');
  }
});

test('loadbalance: CIDR parsing', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8')?.bits, 8);
  assert.equal(parseCidr('fd00::/8')?.bytes.length, 16);
  assert.equal(parseCidr('10.0.0.0/40'), undefined);
  assert.equal(parseCidr('nope/8'), undefined);
});
