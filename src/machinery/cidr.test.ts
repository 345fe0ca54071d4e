import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseIP, formatIP, parseCIDR, formatCIDR, cidrContains, cidrSize, isIPv6String, isIPv4String,
  isUnspecified, isLoopback, isLinkLocalUnicast, isLinkLocalMulticast,
} from './cidr.ts';

describe('parseIP and formatIP', () => {
  const cases: { name: string; given: string; want: string | undefined }[] = [
    { name: 'IPv4', given: '10.96.0.1', want: '10.96.0.1' },
    { name: 'IPv4 leading zeros are accepted (ParseIPSloppy)', given: '010.096.000.001', want: '10.96.0.1' },
    { name: 'IPv4 field over 255', given: '10.96.0.256', want: undefined },
    { name: 'IPv4 three fields', given: '10.96.0', want: undefined },
    { name: 'IPv4 with spaces', given: ' 10.96.0.1', want: undefined },
    { name: 'empty', given: '', want: undefined },
    { name: 'None is not an IP', given: 'None', want: undefined },
    { name: 'IPv6 full', given: '2001:0db8:0000:0000:0000:0000:0000:0001', want: '2001:db8::1' },
    { name: 'IPv6 compressed', given: 'fd00::10', want: 'fd00::10' },
    { name: 'IPv6 all zero', given: '::', want: '::' },
    { name: 'IPv6 loopback', given: '::1', want: '::1' },
    { name: 'IPv6 longest zero run compressed', given: '1:0:0:2:0:0:0:3', want: '1:0:0:2::3' },
    { name: 'IPv6 single zero group not compressed', given: '1:0:2:3:4:5:6:7', want: '1:0:2:3:4:5:6:7' },
    { name: 'IPv6 uppercase', given: 'FD00::A', want: 'fd00::a' },
    { name: 'IPv4-mapped IPv6 is IPv4', given: '::ffff:10.0.0.1', want: '10.0.0.1' },
    { name: 'IPv6 embedded IPv4', given: '64:ff9b::192.0.2.33', want: '64:ff9b::c000:221' },
    { name: 'IPv6 two ellipses', given: '1::2::3', want: undefined },
    { name: 'IPv6 too many groups', given: '1:2:3:4:5:6:7:8:9', want: undefined },
    { name: 'IPv6 ellipsis must stand for a group', given: '1:2:3:4:5:6:7:8::', want: undefined },
    { name: 'IPv6 zone', given: 'fe80::1%eth0', want: undefined },
    { name: 'IPv6 group too long', given: '12345::1', want: undefined },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const ip = parseIP(tc.given);
      assert.equal(ip === undefined ? undefined : formatIP(ip), tc.want);
    });
  }
  test('families', () => {
    assert.equal(isIPv6String('fd00::1'), true);
    assert.equal(isIPv6String('::ffff:1.2.3.4'), false);
    assert.equal(isIPv4String('::ffff:1.2.3.4'), true);
    assert.equal(isIPv4String('x'), false);
  });
});

describe('parseCIDR', () => {
  const cases: { name: string; given: string; want: string | undefined; size?: bigint }[] = [
    { name: 'kubeadm service range', given: '10.96.0.0/12', want: '10.96.0.0/12', size: 1048576n },
    { name: 'host bits are masked', given: '10.96.3.7/12', want: '10.96.0.0/12' },
    { name: '/32', given: '10.0.0.1/32', want: '10.0.0.1/32', size: 1n },
    { name: 'IPv6', given: 'fd00:10:96::/112', want: 'fd00:10:96::/112', size: 65536n },
    { name: 'prefix too long', given: '10.0.0.0/33', want: undefined },
    { name: 'no prefix', given: '10.0.0.0', want: undefined },
    { name: 'negative prefix', given: '10.0.0.0/-1', want: undefined },
    { name: 'bad address', given: '10.0.0/8', want: undefined },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const c = parseCIDR(tc.given);
      assert.equal(c === undefined ? undefined : formatCIDR(c), tc.want);
      if (tc.size !== undefined && c !== undefined) assert.equal(cidrSize(c), tc.size);
    });
  }
  test('contains', () => {
    const c = parseCIDR('10.96.0.0/12');
    assert.ok(c);
    const ip = (s: string) => {
      const p = parseIP(s);
      assert.ok(p);
      return p;
    };
    assert.equal(cidrContains(c, ip('10.96.0.0')), true);
    assert.equal(cidrContains(c, ip('10.111.255.255')), true);
    assert.equal(cidrContains(c, ip('10.112.0.0')), false);
    assert.equal(cidrContains(c, ip('fd00::1')), false);
  });
});

describe('special addresses (Go net.IP methods)', () => {
  const cases: { name: string; given: string; want: [unspecified: boolean, loopback: boolean, linkLocal: boolean, llMulticast: boolean] }[] = [
    { name: '0.0.0.0', given: '0.0.0.0', want: [true, false, false, false] },
    { name: '::', given: '::', want: [true, false, false, false] },
    { name: '127.1.2.3', given: '127.1.2.3', want: [false, true, false, false] },
    { name: '::1', given: '::1', want: [false, true, false, false] },
    { name: '169.254.169.254', given: '169.254.169.254', want: [false, false, true, false] },
    { name: 'fe80::1', given: 'fe80::1', want: [false, false, true, false] },
    { name: 'febf::1', given: 'febf::1', want: [false, false, true, false] },
    { name: 'fec0::1 is not link-local', given: 'fec0::1', want: [false, false, false, false] },
    { name: '224.0.0.251', given: '224.0.0.251', want: [false, false, false, true] },
    { name: '224.0.1.1 is routable multicast', given: '224.0.1.1', want: [false, false, false, false] },
    { name: 'ff02::fb', given: 'ff02::fb', want: [false, false, false, true] },
    { name: 'ordinary', given: '192.0.2.10', want: [false, false, false, false] },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const ip = parseIP(tc.given);
      assert.ok(ip);
      assert.deepEqual([isUnspecified(ip), isLoopback(ip), isLinkLocalUnicast(ip), isLinkLocalMulticast(ip)], tc.want);
    });
  }
});
