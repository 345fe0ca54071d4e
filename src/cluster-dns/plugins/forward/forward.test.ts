// forward's logic over a scripted transport: policies, failover to the next upstream, health checks
// marking upstreams down, `failover` and `next` rcodes, `except`, max_concurrent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answers, blocksFrom, fakeEnv, makeRequest, nextMarker, seededRandom } from '../../plugin/testing.ts';
import { parseRRs } from '../../dns/zonefile.ts';
import { Rcode, replyTo, type Message } from '../../dns/types.ts';
import type { Handler } from '../../plugin/plugin.ts';
import { ExchangeError, type Transport, type Upstream } from './transport.ts';
import type { Forward } from './forward.ts';
import { resolvConfNameservers } from './resolvconf.ts';

type Script = (to: Upstream, q: Message, proto: string) => Message | 'timeout' | Promise<Message>;

function scripted(script: Script): { factory: () => Transport; log: string[] } {
  const log: string[] = [];
  return {
    log,
    factory: () => ({
      exchange: async (to, q, proto) => {
        log.push(`${to.label} ${q.question[0]?.name ?? ''} ${proto}`);
        const r = await script(to, q, proto);
        if (r === 'timeout') throw new ExchangeError('ERR_DNS_TIMEOUT', `read udp ${to.label}: i/o timeout`);
        return r;
      },
      close: () => undefined,
    }),
  };
}

function answer(q: Message, rcode = 0, rrs = ''): Message {
  const m = replyTo(q, rcode);
  m.ra = true;
  m.answer = parseRRs(rrs);
  return m;
}

function forward(block: string, script: Script, seed = 1): { h: Handler; log: string[] } {
  const s = scripted(script);
  const h = blocksFrom(`.:53 {\n ${block}\n}`, fakeEnv({ transport: s.factory, random: seededRandom(seed) }))[0]?.plugins[0]?.handler;
  if (h === undefined) throw new Error('no forward');
  return { h, log: s.log };
}

test('forward: sequential tries upstreams in order, moving on after errors', async () => {
  const { h, log } = forward('forward . 127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 {\n policy sequential\n max_fails 0\n }', (to, q) =>
    to.port === 3 ? answer(q, 0, 'x.example. 60 IN A 192.0.2.1') : 'timeout');
  const r = await h.serve(makeRequest('x.example.', 'A'), nextMarker);
  assert.deepEqual(answers(r).answer, ['x.example. 60 IN A 192.0.2.1']);
  assert.deepEqual(log, ['127.0.0.1:1 x.example. udp', '127.0.0.1:2 x.example. udp', '127.0.0.1:3 x.example. udp']);
});

test('forward: round_robin starts at the next upstream each time', async () => {
  const { h, log } = forward('forward . 127.0.0.1:1 127.0.0.1:2 {\n policy round_robin\n }', (_to, q) => answer(q));
  for (let i = 0; i < 4; i++) await h.serve(makeRequest('x.example.', 'A'), nextMarker);
  assert.deepEqual(log.map((l) => l.split(' ')[0]), ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:1', '127.0.0.1:2']);
});

test('forward: random spreads over the upstreams', async () => {
  const { h, log } = forward('forward . 127.0.0.1:1 127.0.0.1:2 127.0.0.1:3', (_to, q) => answer(q), 5);
  for (let i = 0; i < 60; i++) await h.serve(makeRequest('x.example.', 'A'), nextMarker);
  const counts = new Map<string, number>();
  for (const l of log) counts.set(l.split(' ')[0] ?? '', (counts.get(l.split(' ')[0] ?? '') ?? 0) + 1);
  assert.equal(counts.size, 3);
  for (const n of counts.values()) assert.ok(n > 8);
});

test('forward: an upstream failing its health checks is skipped', async () => {
  let broken = true;
  const { h, log } = forward('forward . 127.0.0.1:1 127.0.0.1:2 {\n policy sequential\n max_fails 1\n health_check 10ms\n }', (to, q) =>
    to.port === 1 && broken ? 'timeout' : answer(q, 0, 'x.example. 60 IN A 192.0.2.2'));
  await h.serve(makeRequest('x.example.', 'A'), nextMarker);
  await new Promise((r) => setTimeout(r, 60));
  const f = h as unknown as Forward;
  assert.ok(f.fails('127.0.0.1:1') > 1, 'health checks failed');
  log.length = 0;
  await h.serve(makeRequest('x.example.', 'A'), nextMarker);
  assert.deepEqual(log, ['127.0.0.1:2 x.example. udp'], 'the down upstream is not tried');
  broken = false;
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(f.fails('127.0.0.1:1'), 0, 'a passing health check brings it back');
  (h as unknown as Forward).stop();
});

test('forward: failover rcodes try the next upstream, next rcodes go down the chain', async () => {
  const fo = forward('forward . 127.0.0.1:1 127.0.0.1:2 {\n policy sequential\n failover SERVFAIL REFUSED\n }', (to, q) =>
    to.port === 1 ? answer(q, Rcode.SERVFAIL) : answer(q, 0, 'x.example. 60 IN A 192.0.2.3'));
  assert.deepEqual(answers(await fo.h.serve(makeRequest('x.example.', 'A'), nextMarker)).answer, ['x.example. 60 IN A 192.0.2.3']);
  const nx = forward('forward . 127.0.0.1:1 {\n next NXDOMAIN\n }', (_to, q) => answer(q, Rcode.NXDOMAIN));
  assert.equal(answers(await nx.h.serve(makeRequest('x.example.', 'A'), nextMarker)).rcode, 'NEXT');
});

test('forward: FROM and except decide what is forwarded', async () => {
  const { h, log } = forward('forward example. 127.0.0.1:1 {\n except internal.example.\n }', (_to, q) => answer(q));
  assert.equal(answers(await h.serve(makeRequest('other.test.', 'A'), nextMarker)).rcode, 'NEXT');
  assert.equal(answers(await h.serve(makeRequest('a.internal.example.', 'A'), nextMarker)).rcode, 'NEXT');
  assert.equal(answers(await h.serve(makeRequest('a.example.', 'A'), nextMarker)).rcode, 'NOERROR');
  assert.equal(log.length, 1);
});

test('forward: force_tcp, and the client protocol otherwise', async () => {
  const { h, log } = forward('forward . 127.0.0.1:1 {\n force_tcp\n }', (_to, q) => answer(q));
  await h.serve(makeRequest('x.example.', 'A'), nextMarker);
  const plain = forward('forward . 127.0.0.1:1', (_to, q) => answer(q));
  await plain.h.serve(makeRequest('x.example.', 'A', { proto: 'tcp' }), nextMarker);
  assert.deepEqual([log[0], plain.log[0]], ['127.0.0.1:1 x.example. tcp', '127.0.0.1:1 x.example. tcp']);
});

test('forward: every upstream failing is SERVFAIL with the last error', async () => {
  const { h } = forward('forward . 127.0.0.1:1 {\n max_fails 0\n }', () => 'timeout');
  const f = h as unknown as Forward;
  f.opts.deadlineMs = 50;
  const r = await h.serve(makeRequest('x.example.', 'A'), nextMarker);
  assert.equal(r.msg.rcode, Rcode.SERVFAIL);
  assert.match(r.error?.message ?? '', /i\/o timeout/);
});

test('forward: a reply to another question is FORMERR', async () => {
  const { h } = forward('forward . 127.0.0.1:1', (_to, q) => {
    const m = answer(q);
    m.question = [{ name: 'evil.example.', type: 1, class: 1 }];
    return m;
  });
  assert.equal((await h.serve(makeRequest('x.example.', 'A'), nextMarker)).msg.rcode, Rcode.FORMERR);
});

test('resolv.conf: nameservers in order, comments and options ignored', () => {
  assert.deepEqual(resolvConfNameservers('# x\nsearch a b\nnameserver 10.0.0.1\nnameserver fe80::1%eth0\noptions ndots:5\nnameserver bogus\n'), ['10.0.0.1', 'fe80::1']);
});
