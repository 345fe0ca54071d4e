import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { LocationLimiter, RequestRateLimiter, sourceAllowed, normalizeClientIP } from './limits.ts';
import { Balancer, affinitySetCookie, parseAffinityCookie } from './balancer.ts';
import type { Backend } from '../route-table/types.ts';

describe('RequestRateLimiter (nginx limit_req burst=B nodelay)', () => {
  test('admits 1 + burst at once, then one per interval', () => {
    let now = 1_000_000;
    const l = new RequestRateLimiter(1, 1000, 2, () => now);
    assert.deepEqual([1, 2, 3, 4].map(() => l.take('ip')), [true, true, true, false]);
    now += 999;
    assert.equal(l.take('ip'), false);
    now += 1;
    assert.equal(l.take('ip'), true);
    assert.equal(l.take('other'), true, 'per client');
  });
});

describe('LocationLimiter', () => {
  test('limit-connections counts requests in flight per client; the allowlist is exempt', () => {
    const l = new LocationLimiter({ rps: 0, rpm: 0, connections: 2, burstMultiplier: 5, allowlist: ['10.0.0.0/8'], status: 503 });
    const a = l.admit('1.1.1.1');
    const b = l.admit('1.1.1.1');
    assert.ok(a.ok && b.ok);
    const c = l.admit('1.1.1.1');
    assert.deepEqual(c, { ok: false, limit: 'limit-connections' });
    if (a.ok) a.release();
    assert.equal(l.admit('1.1.1.1').ok, true);
    for (let i = 0; i < 10; i++) assert.equal(l.admit('10.1.2.3').ok, true);
  });
  test('limit-rpm', () => {
    let now = 0;
    const l = new LocationLimiter({ rps: 0, rpm: 60, connections: 0, burstMultiplier: 1, allowlist: [], status: 503 }, () => now);
    for (let i = 0; i < 61; i++) assert.equal(l.admit('a').ok, true, `request ${i}`); // 1 + burst (60 × 1)
    assert.deepEqual(l.admit('a'), { ok: false, limit: 'limit-rpm' });
    now += 1000;
    assert.equal(l.admit('a').ok, true);
  });
});

describe('source ranges', () => {
  const cases: { name: string; ip: string; allow?: string[]; deny?: string[]; want: boolean }[] = [
    { name: 'no ranges', ip: '1.2.3.4', want: true },
    { name: 'in allowlist', ip: '10.0.0.7', allow: ['10.0.0.0/24'], want: true },
    { name: 'outside allowlist', ip: '10.0.1.7', allow: ['10.0.0.0/24'], want: false },
    { name: 'single address', ip: '172.10.0.1', allow: ['10.0.0.0/24', '172.10.0.1'], want: true },
    { name: 'denylist wins', ip: '10.0.0.7', allow: ['10.0.0.0/8'], deny: ['10.0.0.7'], want: false },
    { name: 'IPv6', ip: '::1', allow: ['::1/128'], want: true },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(sourceAllowed(tc.ip, tc.allow, tc.deny), tc.want));
  test('IPv4-mapped addresses compare as IPv4', () => assert.equal(normalizeClientIP('::ffff:127.0.0.1'), '127.0.0.1'));
});

describe('Balancer', () => {
  const b = (n: number): Backend => ({
    key: 'ns/svc:80', namespace: 'ns', service: 'svc', port: 80,
    endpoints: Array.from({ length: n }, (_, i) => ({ address: `10.0.0.${i + 1}`, port: 80, key: `10.0.0.${i + 1}:80` })),
  });
  test('round robin visits every endpoint evenly', () => {
    const bal = new Balancer();
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const ep = bal.pick(b(3));
      counts.set(ep?.key ?? '', (counts.get(ep?.key ?? '') ?? 0) + 1);
    }
    assert.deepEqual([...counts.values()], [100, 100, 100]);
  });
  test('a failed endpoint is skipped until its fail timeout, unless all failed', () => {
    let now = 0;
    const bal = new Balancer({ now: () => now, failTimeoutMs: 10_000 });
    const be = b(2);
    bal.markFailed(be.endpoints[0] ?? { address: '', port: 0, key: '' });
    for (let i = 0; i < 10; i++) assert.equal(bal.pick(be)?.key, '10.0.0.2:80');
    bal.markFailed(be.endpoints[1] ?? { address: '', port: 0, key: '' });
    assert.ok(bal.pick(be) !== undefined, 'all failed: still try');
    now += 10_001;
    const seen = new Set([bal.pick(be)?.key, bal.pick(be)?.key]);
    assert.equal(seen.size, 2);
  });
  test('rendezvous hashing: a key keeps its endpoint; removing another endpoint does not move it', () => {
    const bal = new Balancer();
    const five = b(5);
    const moved = [];
    for (let i = 0; i < 200; i++) {
      const before = bal.pickHashed(five, `user-${i}`)?.key;
      const four = { ...five, endpoints: five.endpoints.filter((e) => e.key !== '10.0.0.3:80') };
      const after = bal.pickHashed(four, `user-${i}`)?.key;
      if (before !== '10.0.0.3:80' && before !== after) moved.push(i);
      assert.equal(bal.pickHashed(five, `user-${i}`)?.key, before);
    }
    assert.deepEqual(moved, []);
  });
  test('affinity cookie format and attributes', () => {
    assert.deepEqual(parseAffinityCookie('abc|1234abcd'), { id: 'abc', backend: '1234abcd' });
    assert.equal(parseAffinityCookie('nobar'), undefined);
    const c = affinitySetCookie({ cookieName: 'route', path: '/app', mode: 'balanced', changeOnFailure: false, canaryBehavior: 'sticky', conditionalSameSiteNone: false, sameSite: 'Lax', maxAgeSeconds: 60 }, 'v|t', true, '', 0);
    assert.equal(c, 'route=v|t; Path=/app; Max-Age=60; Secure; HttpOnly; SameSite=Lax');
  });
});
