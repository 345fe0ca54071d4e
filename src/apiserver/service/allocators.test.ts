import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterIPRange, ipRangeOffset } from './ipallocator.ts';
import { NodePortRange, parsePortRange, portRangeOffset } from './portallocator.ts';
import { AllocationError } from './errors.ts';

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof AllocationError ? `${err.code}: ${err.message}` : `other: ${String(err)}`;
  }
}

describe('ClusterIPRange bands', () => {
  const cases: { name: string; given: string; want: { max: number; staticBand: number; cidr: string } }[] = [
    { name: 'kubeadm /12: 256 static addresses', given: '10.96.0.0/12', want: { max: 1048574, staticBand: 256, cidr: '10.96.0.0/12' } },
    { name: 'apiserver default /24: 16 static addresses', given: '10.0.0.0/24', want: { max: 254, staticBand: 16, cidr: '10.0.0.0/24' } },
    { name: '/20: size/16 = 256', given: '10.0.0.0/20', want: { max: 4094, staticBand: 256, cidr: '10.0.0.0/20' } },
    { name: '/22: size/16 = 64', given: '10.0.0.0/22', want: { max: 1022, staticBand: 64, cidr: '10.0.0.0/22' } },
    { name: '/28: no static band', given: '10.0.0.0/28', want: { max: 14, staticBand: 0, cidr: '10.0.0.0/28' } },
    { name: 'host bits masked', given: '10.96.7.7/12', want: { max: 1048574, staticBand: 256, cidr: '10.96.0.0/12' } },
    { name: 'IPv6 capped at 65536', given: 'fd00::/108', want: { max: 65535, staticBand: 256, cidr: 'fd00::/108' } },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const r = new ClusterIPRange(tc.given);
      assert.deepEqual({ max: r.max, staticBand: r.staticBand, cidr: r.cidrString }, tc.want);
    });
  }
  test('offset formula', () => {
    assert.equal(ipRangeOffset(16n), 0);
    assert.equal(ipRangeOffset(32n), 16);
    assert.equal(ipRangeOffset(1n << 20n), 256);
  });
  test('ranges below 8 addresses are refused', () => {
    assert.throws(() => new ClusterIPRange('10.0.0.0/30'), /at least 8 addresses/);
    assert.throws(() => new ClusterIPRange('nope'), /invalid service CIDR/);
  });
});

describe('ClusterIPRange allocate', () => {
  const cidr = '10.96.0.0/12';
  const cases: { name: string; given: string; want: string }[] = [
    { name: 'first usable (the kubernetes Service)', given: '10.96.0.1', want: 'ok' },
    { name: 'kube-dns', given: '10.96.0.10', want: 'ok' },
    { name: 'last usable', given: '10.111.255.254', want: 'ok' },
    { name: 'network address', given: '10.96.0.0', want: 'not-in-range: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12' },
    { name: 'broadcast address', given: '10.111.255.255', want: 'not-in-range: the provided IP (10.111.255.255) is not in the valid range. The range of valid IPs is 10.96.0.0/12' },
    { name: 'outside', given: '192.168.1.1', want: 'not-in-range: the provided IP (192.168.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12' },
    { name: 'leading zeros are normalised in the message', given: '192.168.001.001', want: 'not-in-range: the provided IP (192.168.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12' },
    { name: 'other family', given: 'fd00::1', want: 'not-in-range: the provided IP (fd00::1) is not in the valid range. The range of valid IPs is 10.96.0.0/12' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(code(() => new ClusterIPRange(cidr).allocate(tc.given, 'a')), tc.want));

  test('already allocated, owner-checked release, reuse', () => {
    const r = new ClusterIPRange(cidr);
    r.allocate('10.96.0.50', 'a');
    assert.equal(code(() => r.allocate('10.96.0.50', 'b')), 'allocated: provided IP is already allocated');
    assert.equal(r.release('10.96.0.50', 'b'), false, 'a stale release by another owner frees nothing');
    assert.equal(r.has('10.96.0.50'), true);
    assert.equal(r.release('10.96.0.50', 'a'), true);
    assert.equal(r.has('10.96.0.50'), false);
    r.allocate('10.96.0.50', 'b');
    assert.equal(r.ownerOf('10.96.0.50'), 'b');
  });

  test('dynamic allocation uses the upper band first, then the static band, then reports full', () => {
    const r = new ClusterIPRange('10.0.0.0/24', () => 0.5);
    const got = new Set<string>();
    for (let i = 0; i < 254 - 16; i++) got.add(r.allocateNext(`o${i}`));
    assert.equal(got.size, 238);
    for (const ip of got) {
      const last = Number(ip.split('.')[3]);
      assert.ok(last >= 17 && last <= 254, `${ip} is in the upper band`);
    }
    const lower = r.allocateNext('x');
    const last = Number(lower.split('.')[3]);
    assert.ok(last >= 1 && last <= 16, `${lower} comes from the static band once the upper band is full`);
    for (let i = 0; i < 15; i++) r.allocateNext(`y${i}`);
    assert.equal(r.free, 0);
    assert.equal(code(() => r.allocateNext('z')), 'full: range is full');
    r.release('10.0.0.200', r.ownerOf('10.0.0.200') ?? '');
    assert.equal(r.allocateNext('z'), '10.0.0.200', 'the only free address is reused');
  });

  test('a static IP in the lower band is never handed out dynamically while the upper band has room', () => {
    const r = new ClusterIPRange(cidr, () => 0);
    for (let i = 0; i < 50; i++) {
      const ip = r.allocateNext(`o${i}`);
      assert.ok(r.offsetOf(ip)! >= 256, ip);
    }
    assert.equal(r.networkIP(), '10.96.0.0');
  });
});

describe('NodePortRange', () => {
  test('default range: 2768 ports, 86 static', () => {
    const r = new NodePortRange();
    assert.equal(r.toString(), '30000-32767');
    assert.equal(r.size, 2768);
    assert.equal(r.staticBand, 86);
    assert.equal(portRangeOffset(2768), 86);
    assert.equal(portRangeOffset(16), 0);
    assert.equal(portRangeOffset(100), 16);
    assert.equal(portRangeOffset(10000), 128);
  });

  const cases: { name: string; given: number; want: string }[] = [
    { name: 'lowest', given: 30000, want: 'ok' },
    { name: 'highest', given: 32767, want: 'ok' },
    { name: 'below', given: 80, want: 'not-in-range: provided port is not in the valid range. The range of valid ports is 30000-32767' },
    { name: 'above', given: 32768, want: 'not-in-range: provided port is not in the valid range. The range of valid ports is 30000-32767' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(code(() => new NodePortRange().allocate(tc.given, 'a')), tc.want));

  test('taken, release, reuse', () => {
    const r = new NodePortRange();
    r.allocate(30080, 'a');
    assert.equal(code(() => r.allocate(30080, 'b')), 'allocated: provided port is already allocated');
    assert.equal(r.release(30080, 'b'), false);
    assert.equal(r.release(30080, 'a'), true);
    r.allocate(30080, 'b');
  });

  test('dynamic: upper band, then static band, then full', () => {
    const r = new NodePortRange('30000-30099', () => 0.3);
    assert.equal(r.staticBand, 16);
    const ports: number[] = [];
    for (let i = 0; i < 84; i++) ports.push(r.allocateNext(`o${i}`));
    assert.ok(ports.every((p) => p >= 30016), 'upper band first');
    assert.equal(new Set(ports).size, 84);
    const p = r.allocateNext('s');
    assert.ok(p < 30016);
    for (let i = 0; i < 15; i++) r.allocateNext(`t${i}`);
    assert.equal(code(() => r.allocateNext('u')), 'full: range is full');
  });

  test('parsePortRange', () => {
    assert.deepEqual(parsePortRange('30000-32767'), { base: 30000, size: 2768 });
    assert.deepEqual(parsePortRange('30000+99'), { base: 30000, size: 100 });
    assert.deepEqual(parsePortRange('31000'), { base: 31000, size: 1 });
    assert.throws(() => parsePortRange('32767-30000'));
    assert.throws(() => parsePortRange('a-b'));
    assert.throws(() => parsePortRange('1-70000'));
  });
});
