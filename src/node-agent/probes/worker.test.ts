import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, flushMicrotasks } from '../../client/clock.ts';
import { ProbeWorker, type ProbeKind } from './worker.ts';
import type { ProbeOutcome } from './probe.ts';

async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    clock.advance(100);
    await flushMicrotasks();
  }
}

function harness(kind: ProbeKind, probe: Record<string, number>, outcomes: () => ProbeOutcome, started = () => true) {
  const clock = new FakeClock(0);
  const results: Array<[number, ProbeOutcome]> = [];
  let attempts = 0;
  let failures = 0;
  const w = new ProbeWorker(kind, probe, clock, {
    run: async () => { attempts++; return { result: outcomes(), output: 'nope' }; },
    onResult: (_k, r) => results.push([clock.now(), r]),
    onFailure: () => { failures++; },
    started,
  });
  w.start(0);
  return { clock, results, w, get attempts() { return attempts; }, get failures() { return failures; } };
}

test('readiness: initial delay, period, failure threshold, recovery', async () => {
  let healthy = true;
  const h = harness('readiness', { initialDelaySeconds: 2, periodSeconds: 1, failureThreshold: 3 }, () => (healthy ? 'success' : 'failure'));
  await advance(h.clock, 1900);
  assert.equal(h.attempts, 0, 'nothing before initialDelaySeconds');
  await advance(h.clock, 200);
  assert.deepEqual(h.results, [[2000, 'success']]);
  healthy = false;
  await advance(h.clock, 3000);
  assert.deepEqual(h.results.at(-1), [5000, 'failure'], 'not ready after 3 failures in a row (period × threshold)');
  assert.equal(h.failures, 3);
  healthy = true;
  await advance(h.clock, 1000);
  assert.deepEqual(h.results.at(-1), [6000, 'success']);
  h.w.stop();
});

test('liveness waits for startup and stops after failing', async () => {
  let started = false;
  const h = harness('liveness', { periodSeconds: 1, failureThreshold: 2 }, () => 'failure', () => started);
  await advance(h.clock, 2500);
  assert.equal(h.attempts, 0);
  started = true;
  await advance(h.clock, 5000);
  assert.deepEqual(h.results, [[4000, 'failure']], 'attempts at 3s and 4s, failureThreshold 2');
  assert.equal(h.attempts, 2, 'on hold once the restart is due');
  h.w.stop();
});

test('readiness successThreshold', async () => {
  const h = harness('readiness', { periodSeconds: 1, successThreshold: 3 }, () => 'success');
  await advance(h.clock, 2500);
  assert.deepEqual(h.results, [[2000, 'success']]);
  h.w.stop();
});
