import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base32, iptablesEndpointChain, iptablesServiceChain, nftEndpointBase, nftServiceBase } from './hash.ts';

const p80 = { nameString: 'ns1/svc1:p80', protocol: 'TCP' as const, name: { namespace: 'ns1', name: 'svc1', port: 'p80', protocol: 'TCP' as const } };

test('base32 matches RFC 4648 vectors', () => {
  const vectors: [string, string][] = [['', ''], ['f', 'MY======'], ['fo', 'MZXQ===='], ['foo', 'MZXW6==='], ['foob', 'MZXW6YQ='], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI======']];
  for (const [plain, want] of vectors) assert.equal(base32(new TextEncoder().encode(plain)), want);
});

test('iptables chain names match kube-proxy test fixtures', () => {
  const rows = [
    { name: 'svc chain', got: iptablesServiceChain('SVC', p80), want: 'KUBE-SVC-XPGD46QRK7WJZT7O' },
    { name: 'sep chain', got: iptablesEndpointChain(p80, '10.180.0.1:80'), want: 'KUBE-SEP-SXIVWICOYRO3J4NJ' },
    { name: 'ext chain ns2', got: iptablesServiceChain('EXT', { nameString: 'ns2/svc2:p80', protocol: 'TCP' }), want: 'KUBE-EXT-GNZBNJ2PO5MGZ6GT' },
    { name: 'fw chain ns5', got: iptablesServiceChain('FW', { nameString: 'ns5/svc5:p80', protocol: 'TCP' }), want: 'KUBE-FW-NUKIZ6OKUXPJNT4C' },
    { name: 'sep ns5 affinity', got: iptablesEndpointChain({ nameString: 'ns5/svc5:p80', protocol: 'TCP' }, '10.180.0.3:80'), want: 'KUBE-SEP-I77PXRDZVX7PMWMN' },
  ];
  for (const r of rows) assert.equal(r.got, r.want, r.name);
});

test('nftables chain bases match kube-proxy test fixtures', () => {
  assert.equal(nftServiceBase(p80), 'ULMVA6XW-ns1/svc1/tcp/p80');
  assert.equal(nftEndpointBase(p80, { ip: '10.180.0.1', port: 80 }), '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
  const p5 = { name: { namespace: 'ns5', name: 'svc5', port: 'p80', protocol: 'TCP' as const }, protocol: 'TCP' as const };
  assert.equal(nftServiceBase(p5), 'HVFWP5L3-ns5/svc5/tcp/p80');
  assert.equal(nftEndpointBase(p5, { ip: '10.180.0.3', port: 80 }), 'GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80');
});
