import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appliedFrom, desiredState, renderTransaction, renderTransactions } from './render.ts';
import { applyTransaction, FakeNft, type NftModel } from './fake.ts';
import { traceNft } from './tracer.ts';
import { NftablesBackend } from './backend.ts';
import { checkFlows } from '../../flows.ts';
import { fixtureConfig, fixtureServices, fixtureSlices, flowTable, testNodeName } from '../../flows.conformance.ts';
import { makeService, makeSlice, readyEndpoint, stateFrom } from '../../testing.ts';
import { Proxier } from '../../proxier.ts';
import { FakeClock } from '../../fake.ts';

const golden = join(import.meta.dirname, 'testdata', 'overall.golden');
const fullTx = () => renderTransaction({ desired: desiredState(stateFrom(fixtureServices(), fixtureSlices(), testNodeName), fixtureConfig), cfg: fixtureConfig, applied: undefined });
const empty = (): NftModel => ({ exists: false, chains: new Map(), sets: new Map() });

test('full transaction matches the golden file (UPDATE_GOLDEN=1 rewrites it)', () => {
  const tx = fullTx();
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, tx);
  assert.equal(tx, readFileSync(golden, 'utf8'));
});

test('packet-flow table through the tracer over the applied table', () => {
  const m = applyTransaction(empty(), fullTx());
  assert.deepEqual(checkFlows('nftables', flowTable, (p) => traceNft(m, p, fixtureConfig.nodeIPs)), []);
});

test('a full transaction applied twice is idempotent', () => {
  const once = applyTransaction(empty(), fullTx());
  const twice = applyTransaction(once, fullTx());
  assert.deepEqual(twice, once);
});

test('partial transaction touches only the changed service and ends where a full one would', () => {
  const st1 = stateFrom(fixtureServices(), fixtureSlices(), testNodeName);
  const d1 = desiredState(st1, fixtureConfig);
  const m1 = applyTransaction(empty(), renderTransaction({ desired: d1, cfg: fixtureConfig, applied: undefined }));
  const slices2 = fixtureSlices().map((s) => (s.metadata.namespace === 'ns4' ? makeSlice('ns4', 'svc4', 1, (x) => { x.endpoints = [readyEndpoint('10.180.0.4'), readyEndpoint('10.180.0.6')]; x.ports = [{ name: 'p80', port: 80 }]; }) : s));
  const svcs2 = fixtureServices().filter((s) => s.metadata.namespace !== 'ns1');
  const st2 = stateFrom(svcs2, slices2.filter((s) => s.metadata.namespace !== 'ns1'), testNodeName);
  const tx = renderTransaction({ desired: desiredState(st2, fixtureConfig, new Set(['ns4/svc4', 'ns1/svc1'])), cfg: fixtureConfig, applied: appliedFrom(d1) });
  assert.doesNotMatch(tx, /ns5\/svc5/, 'unchanged services are not touched');
  assert.match(tx, /delete chain ip kube-proxy endpoint-5RFCDDV7-ns4\/svc4\/tcp\/p80__10.180.0.5\/80/);
  assert.match(tx, /delete element ip kube-proxy service-ips \{ 172.30.0.41 . tcp . 80 \}/);
  const m2 = applyTransaction(m1, tx);
  const fresh = applyTransaction(empty(), renderTransaction({ desired: desiredState(st2, fixtureConfig), cfg: fixtureConfig, applied: undefined }));
  assert.deepEqual(m2, fresh);
});

test('a sync with no changes sends nothing', () => {
  const st = stateFrom(fixtureServices(), fixtureSlices(), testNodeName);
  const d = desiredState(st, fixtureConfig);
  assert.equal(renderTransaction({ desired: desiredState(st, fixtureConfig, new Set()), cfg: fixtureConfig, applied: appliedFrom(d) }), '');
});

test('proxier over the fake: leftovers of an earlier run are deleted on the first sync', async () => {
  const nft = new FakeNft();
  const old = stateFrom([makeService('old', 'gone', (s) => { s.spec.clusterIP = '172.30.9.9'; s.spec.sessionAffinity = 'ClientIP'; s.spec.ports = [{ port: 80 }]; })],
    [makeSlice('old', 'gone', 1, (s) => { s.endpoints = [readyEndpoint('10.9.9.9')]; s.ports = [{ port: 80 }]; })], 'n');
  await nft.run(renderTransaction({ desired: desiredState(old, fixtureConfig), cfg: fixtureConfig, applied: undefined }));
  assert.ok([...nft.model.chains.keys()].some((c) => c.includes('old/gone')));
  const clock = new FakeClock();
  const p = new Proxier({ cfg: fixtureConfig, backend: new NftablesBackend({ client: nft }), clock });
  for (const s of fixtureServices()) p.onService(undefined, s);
  for (const s of fixtureSlices()) p.onEndpointSlice(s);
  p.setSynced();
  await clock.advance(0);
  assert.equal(p.lastError, undefined);
  assert.ok(![...nft.model.chains.keys()].some((c) => c.includes('old/gone')));
  assert.ok(![...nft.model.sets.keys()].some((c) => c.includes('old/gone')));
  assert.deepEqual(checkFlows('nftables', flowTable, (pk) => traceNft(nft.model, pk, fixtureConfig.nodeIPs)), []);
  // One endpoint change: one small transaction.
  p.onEndpointSlice(makeSlice('ns4', 'svc4', 1, (s) => { s.endpoints = [readyEndpoint('10.180.0.4')]; s.ports = [{ name: 'p80', port: 80 }]; }));
  await clock.advance(1000);
  const last = nft.transactions.at(-1) ?? '';
  assert.ok(last.split('\n').length < 20, last);
  // A failed transaction makes the next one full.
  nft.failNext = 1;
  p.onEndpointSlice(makeSlice('ns4', 'svc4', 1, (s) => { s.endpoints = [readyEndpoint('10.180.0.5')]; s.ports = [{ name: 'p80', port: 80 }]; }));
  await clock.advance(1000);
  assert.equal(p.metrics.nftablesSyncFailures.get(), 1);
  await clock.advance(5000);
  assert.match(nft.transactions.at(-1) ?? '', /^add table ip kube-proxy/);
  assert.equal(traceNft(nft.model, { sourceIP: '10.0.0.2', destIP: '172.30.0.44', destPort: 80, protocol: 'TCP' }, fixtureConfig.nodeIPs).output, '10.180.0.5:80');
  await p.backend.cleanup();
  assert.equal(nft.model.exists, false);
});

test('a large sync cut into transactions ends where one transaction would', () => {
  const svcs = [];
  const slices = [];
  for (let i = 0; i < 30; i++) {
    svcs.push(makeService('ns', `s${i}`, (s) => { s.spec.clusterIP = `172.30.2.${i}`; s.spec.sessionAffinity = i % 2 === 0 ? 'ClientIP' : 'None'; s.spec.ports = [{ name: 'p', port: 80 }]; }));
    slices.push(makeSlice('ns', `s${i}`, 1, (s) => { s.endpoints = Array.from({ length: 3 }, (_, j) => readyEndpoint(`10.2.${i}.${j}`)); s.ports = [{ name: 'p', port: 80 }]; }));
  }
  const before = desiredState(stateFrom(fixtureServices(), fixtureSlices(), testNodeName), fixtureConfig);
  const base = applyTransaction(empty(), renderTransaction({ desired: before, cfg: fixtureConfig, applied: undefined }));
  const after = desiredState(stateFrom(svcs, slices, 'n'), fixtureConfig);
  for (const applied of [undefined, appliedFrom(before)]) {
    const input = { desired: after, cfg: fixtureConfig, applied, existing: { chains: new Set([...before.chains.keys()]), sets: new Set([...before.affinitySets.keys()]) } };
    const one = applyTransaction(base, renderTransaction(input));
    let pieces = base;
    const txs = renderTransactions(input, 25);
    assert.ok(txs.length > 5);
    for (const tx of txs) pieces = applyTransaction(pieces, tx);
    assert.deepEqual(pieces, one, applied === undefined ? 'full' : 'partial');
  }
});
