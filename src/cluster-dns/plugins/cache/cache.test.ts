// Cache TTL rules with a fake clock: caps, floors, countdown, denial vs success, SERVFAIL,
// disabled zones, case of later queries, prefetch and serve_stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answers, blocksFrom, fakeEnv, makeRequest } from '../../plugin/testing.ts';
import { parseRRs } from '../../dns/zonefile.ts';
import { Rcode, replyTo } from '../../dns/types.ts';
import type { Handler, Next, Reply } from '../../plugin/plugin.ts';

interface Upstream {
  next: Next;
  calls: number;
  set(rcode: number, answer?: string, authority?: string): void;
}

function upstream(): Upstream {
  let rcode = 0;
  let answer = '';
  let authority = '';
  const u: Upstream = {
    calls: 0,
    next: async (req): Promise<Reply> => {
      u.calls++;
      const m = replyTo(req.msg, rcode);
      m.answer = parseRRs(answer.replaceAll('QNAME', req.qname));
      m.authority = parseRRs(authority);
      return { msg: m, plugin: 'forward' };
    },
    set(r, a = '', ns = '') { rcode = r; answer = a; authority = ns; },
  };
  return u;
}

function cache(block: string, clock: { t: number }): Handler {
  const env = fakeEnv({ now: () => clock.t });
  const h = blocksFrom(`.:53 {\n ${block}\n}`, env)[0]?.plugins[0]?.handler;
  if (h === undefined) throw new Error('no cache');
  return h;
}

const soa = 'example. 60 IN SOA ns.example. host.example. 1 7200 1800 86400 20';

interface Row {
  name: string;
  block: string;
  rcode: number;
  answer?: string;
  authority?: string;
  /** [seconds after the first query, expected TTL of the first record or 'miss'] */
  steps: [number, number | 'miss'][];
}

const rows: Row[] = [
  { name: 'cache 30 caps a 300 s answer; TTL counts down', block: 'cache 30', rcode: 0, answer: 'QNAME 300 IN A 192.0.2.1', steps: [[0, 30], [1, 29], [29, 1], [30, 'miss']] },
  { name: 'short TTLs are kept', block: 'cache 30', rcode: 0, answer: 'QNAME 10 IN A 192.0.2.1', steps: [[0, 10], [9, 1], [10, 'miss']] },
  { name: 'TTLs below the 5 s floor are raised', block: 'cache', rcode: 0, answer: 'QNAME 1 IN A 192.0.2.1', steps: [[0, 5], [4, 1], [5, 'miss']] },
  { name: 'default success cap 3600', block: 'cache', rcode: 0, answer: 'QNAME 86400 IN A 192.0.2.1', steps: [[0, 3600], [3599, 1], [3600, 'miss']] },
  { name: 'NXDOMAIN uses the SOA minimum (RFC 2308)', block: 'cache', rcode: 3, authority: soa, steps: [[0, 20], [19, 1], [20, 'miss']] },
  { name: 'denial capped by cache 10', block: 'cache 10', rcode: 3, authority: soa, steps: [[0, 10], [10, 'miss']] },
  { name: 'denial TTL from the denial line', block: 'cache {\n denial 100 8\n }', rcode: 3, authority: soa, steps: [[0, 8], [8, 'miss']] },
  { name: 'SERVFAIL is kept 5 s', block: 'cache', rcode: 2, steps: [[0, -1], [4, -1], [5, 'miss']] },
  { name: 'servfail 0 keeps none', block: 'cache {\n servfail 0\n }', rcode: 2, steps: [[0, -1], [1, 'miss']] },
  { name: 'disable success for the zone', block: 'cache 30 {\n disable success example.\n }', rcode: 0, answer: 'QNAME 300 IN A 192.0.2.1', steps: [[0, 300], [1, 'miss']] },
  { name: 'disable denial leaves success cached', block: 'cache 30 {\n disable denial example.\n }', rcode: 0, answer: 'QNAME 300 IN A 192.0.2.1', steps: [[0, 30], [1, 29]] },
  { name: 'keepttl serves the original TTL', block: 'cache 30 {\n keepttl\n }', rcode: 0, answer: 'QNAME 300 IN A 192.0.2.1', steps: [[0, 300], [10, 300], [30, 'miss']] },
  { name: 'names outside the cache zones pass', block: 'cache 30 other.', rcode: 0, answer: 'QNAME 300 IN A 192.0.2.1', steps: [[0, 300], [1, 'miss']] },
];

for (const row of rows) {
  test(`cache: ${row.name}`, async () => {
    const clock = { t: 1_000_000 };
    const h = cache(row.block, clock);
    const up = upstream();
    up.set(row.rcode, row.answer, row.authority);
    const t0 = clock.t;
    let calls = 0;
    for (const [at, want] of row.steps) {
      clock.t = t0 + at * 1000;
      const r = await h.serve(makeRequest('x.example.', 'A'), up.next);
      const first = r.msg.answer[0] ?? r.msg.authority[0];
      if (want === 'miss') {
        assert.equal(up.calls, calls + 1, `${at}s: expected a miss`);
      } else {
        assert.equal(up.calls, at === 0 ? calls + 1 : calls, `${at}s: expected ${at === 0 ? 'the first fetch' : 'a hit'}`);
        assert.equal(r.msg.rcode, row.rcode);
        if (want >= 0) assert.equal(first?.ttl, want, `${at}s: TTL`);
      }
      calls = up.calls;
    }
  });
}

test('cache: a hit carries the new id, question and letter case', async () => {
  const clock = { t: 1_000_000 };
  const h = cache('cache 30', clock);
  const up = upstream();
  up.set(0, 'QNAME 300 IN A 192.0.2.1');
  await h.serve(makeRequest('www.example.', 'A', { id: 1 }), up.next);
  const r = await h.serve(makeRequest('WWW.Example.', 'A', { id: 2 }), up.next);
  assert.equal(up.calls, 1);
  assert.equal(r.plugin, 'cache');
  assert.equal(r.msg.id, 2);
  assert.equal(r.msg.question[0]?.name, 'WWW.Example.');
  assert.deepEqual(answers(r).answer, ['WWW.Example. 30 IN A 192.0.2.1']);
});

test('cache: DO and CD bits and types are separate entries', async () => {
  const clock = { t: 1_000_000 };
  const h = cache('cache 30', clock);
  const up = upstream();
  up.set(0, 'QNAME 300 IN A 192.0.2.1');
  await h.serve(makeRequest('a.example.', 'A'), up.next);
  await h.serve(makeRequest('a.example.', 'A', { edns: 1232, do: true }), up.next);
  await h.serve(makeRequest('a.example.', 'AAAA'), up.next);
  await h.serve(makeRequest('a.example.', 'A'), up.next);
  assert.equal(up.calls, 3);
});

test('cache: truncated replies are not kept', async () => {
  const clock = { t: 1_000_000 };
  const h = cache('cache 30', clock);
  let calls = 0;
  const next: Next = async (req) => {
    calls++;
    const m = replyTo(req.msg, Rcode.NOERROR);
    m.tc = true;
    return { msg: m, plugin: 'forward' };
  };
  await h.serve(makeRequest('t.example.', 'A'), next);
  await h.serve(makeRequest('t.example.', 'A'), next);
  assert.equal(calls, 2);
});

test('cache: prefetch refreshes a popular entry before it expires', async () => {
  const clock = { t: 1_000_000 };
  const h = cache('cache 100 {\n prefetch 2 1m 10%\n }', clock);
  const up = upstream();
  up.set(0, 'QNAME 100 IN A 192.0.2.1');
  await h.serve(makeRequest('p.example.', 'A'), up.next);
  clock.t += 50_000;
  await h.serve(makeRequest('p.example.', 'A'), up.next);
  assert.equal(up.calls, 1, 'not yet within the last 10 %');
  clock.t += 45_000;
  up.set(0, 'QNAME 100 IN A 192.0.2.2');
  await h.serve(makeRequest('p.example.', 'A'), up.next);
  await new Promise((r) => setImmediate(r));
  assert.equal(up.calls, 2, 'prefetched');
  clock.t += 10_000;
  const r = await h.serve(makeRequest('p.example.', 'A'), up.next);
  assert.deepEqual(answers(r).answer, ['p.example. 90 IN A 192.0.2.2'], 'the prefetched entry, 10 s old');
  assert.equal(up.calls, 2);
});

test('cache: serve_stale answers from an expired entry (TTL 0) and refreshes behind it', async () => {
  const clock = { t: 1_000_000 };
  const h = cache('cache 30 {\n serve_stale 1h\n }', clock);
  const up = upstream();
  up.set(0, 'QNAME 300 IN A 192.0.2.1');
  await h.serve(makeRequest('s.example.', 'A'), up.next);
  clock.t += 60_000;
  up.set(Rcode.SERVFAIL);
  const r = await h.serve(makeRequest('s.example.', 'A'), up.next);
  assert.deepEqual(answers(r).answer, ['s.example. 0 IN A 192.0.2.1']);
  await new Promise((res) => setImmediate(res));
  assert.equal(up.calls, 2, 'refreshed in the background');
});

test('cache: serve_stale verify asks first and serves stale only when that fails', async () => {
  const clock = { t: 1_000_000 };
  const h = cache('cache 30 {\n serve_stale 1h verify\n }', clock);
  const up = upstream();
  up.set(0, 'QNAME 300 IN A 192.0.2.1');
  await h.serve(makeRequest('v.example.', 'A'), up.next);
  clock.t += 60_000;
  up.set(0, 'QNAME 300 IN A 192.0.2.9');
  let r = await h.serve(makeRequest('v.example.', 'A'), up.next);
  assert.deepEqual(answers(r).answer, ['v.example. 30 IN A 192.0.2.9']);
  clock.t += 60_000;
  up.set(Rcode.SERVFAIL);
  r = await h.serve(makeRequest('v.example.', 'A'), up.next);
  assert.deepEqual(answers(r).answer, ['v.example. 0 IN A 192.0.2.9']);
});

test('cache: capacity evicts the oldest entry', async () => {
  const clock = { t: 1_000_000 };
  const h = cache('cache 30 {\n success 2\n }', clock);
  const up = upstream();
  up.set(0, 'QNAME 300 IN A 192.0.2.1');
  for (const n of ['a', 'b', 'c']) await h.serve(makeRequest(`${n}.example.`, 'A'), up.next);
  await h.serve(makeRequest('c.example.', 'A'), up.next);
  assert.equal(up.calls, 3);
  await h.serve(makeRequest('a.example.', 'A'), up.next);
  assert.equal(up.calls, 4, 'a was evicted');
});
