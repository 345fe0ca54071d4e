import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Picker, parseScheduler, type Candidate, type Scheduler } from './pick.ts';
import { FakeClock } from '../../fake.ts';

const eps = (...active: number[]): Candidate[] => active.map((a, i) => ({ endpoint: `10.0.0.${i + 1}:80`, weight: 1, active: a }));
const picker = (scheduler: Scheduler, sticky = 0, clock = new FakeClock()) => new Picker({ scheduler, affinityTimeoutSeconds: sticky, clock, random: () => 0.99 });

test('rr cycles through endpoints in order', () => {
  const p = picker('rr');
  assert.deepEqual(Array.from({ length: 6 }, () => p.pick('c', eps(0, 0, 0))?.endpoint), ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']);
});

test('wrr follows weights smoothly', () => {
  const p = picker('wrr');
  const c: Candidate[] = [{ endpoint: 'a', weight: 3, active: 0 }, { endpoint: 'b', weight: 1, active: 0 }];
  assert.deepEqual(Array.from({ length: 8 }, () => p.pick('c', c)?.endpoint), ['a', 'a', 'b', 'a', 'a', 'a', 'b', 'a']);
});

test('lc picks the least active', () => {
  assert.equal(picker('lc').pick('c', eps(3, 1, 2))?.endpoint, '10.0.0.2:80');
  assert.equal(picker('nq').pick('c', eps(3, 0, 2))?.endpoint, '10.0.0.2:80');
});

test('sh keeps a client on one endpoint; different clients spread', () => {
  const p = picker('sh');
  const a = p.pick('192.0.2.1', eps(0, 0, 0, 0))?.endpoint;
  for (let i = 0; i < 5; i++) assert.equal(p.pick('192.0.2.1', eps(0, 0, 0, 0))?.endpoint, a);
  const seen = new Set(Array.from({ length: 50 }, (_, i) => p.pick(`192.0.2.${i}`, eps(0, 0, 0, 0))?.endpoint));
  assert.ok(seen.size > 1);
});

test('random uses the injected source', () => {
  assert.equal(picker('random').pick('c', eps(0, 0, 0))?.endpoint, '10.0.0.3:80');
});

test('exclude skips failed endpoints (retry next)', () => {
  const p = picker('rr');
  assert.equal(p.pick('c', eps(0, 0), new Set(['10.0.0.1:80']))?.endpoint, '10.0.0.2:80');
  assert.equal(p.pick('c', eps(0, 0), new Set(['10.0.0.1:80', '10.0.0.2:80'])), undefined);
});

test('ClientIP affinity sticks until the timeout, refreshed by use', async () => {
  const clock = new FakeClock();
  const p = picker('rr', 100, clock);
  const first = p.pick('c1', eps(0, 0, 0))?.endpoint;
  for (let i = 0; i < 10; i++) {
    await clock.advance(60_000);
    assert.equal(p.pick('c1', eps(0, 0, 0))?.endpoint, first);
  }
  assert.notEqual(p.pick('c2', eps(0, 0, 0))?.endpoint, first, 'another client is balanced');
  await clock.advance(100_001);
  p.pick('c3', eps(0, 0, 0));
  assert.notEqual(p.pick('c1', eps(0, 0, 0))?.endpoint, undefined);
  assert.equal(p.affinityEntries(), 2);
});

test('affinity to a departed endpoint is forgotten', () => {
  const p = picker('rr', 100);
  const first = p.pick('c1', eps(0, 0))?.endpoint ?? '';
  p.forget(new Set(['10.0.0.2:80']));
  assert.equal(p.pick('c1', eps(0, 0).filter((e) => e.endpoint !== first))?.endpoint, '10.0.0.2:80');
});

test('scheduler names: IPVS names accepted, unknown falls back to rr', () => {
  assert.deepEqual(parseScheduler('wlc'), { scheduler: 'wlc' });
  assert.equal(parseScheduler('').scheduler, 'rr');
  assert.equal(parseScheduler('bogus').scheduler, 'rr');
  assert.equal(parseScheduler('lblc').scheduler, 'sh');
});
