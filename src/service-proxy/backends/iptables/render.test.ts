import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderIptables, probability } from './render.ts';
import { tablesFromRestore, traceIptables } from './tracer.ts';
import { checkFlows } from '../../flows.ts';
import { fixtureConfig, fixtureServices, fixtureSlices, flowTable, testNodeName } from '../../flows.conformance.ts';
import { stateFrom, makeService, makeSlice, readyEndpoint } from '../../testing.ts';
import { applyRestore, emptyTables, saveTable } from './ruleset.ts';

const golden = join(import.meta.dirname, 'testdata', 'overall.golden');

test('full ruleset matches the golden file (UPDATE_GOLDEN=1 rewrites it)', () => {
  const out = renderIptables({ state: stateFrom(fixtureServices(), fixtureSlices(), testNodeName), cfg: fixtureConfig });
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, out.text);
  assert.equal(out.text, readFileSync(golden, 'utf8'));
});

test('packet-flow table through the tracer over the rendered rules', () => {
  const out = renderIptables({ state: stateFrom(fixtureServices(), fixtureSlices(), testNodeName), cfg: fixtureConfig });
  const tables = tablesFromRestore(out.text);
  const errors = checkFlows('iptables', flowTable, (p) => traceIptables(tables, p, fixtureConfig.nodeIPs));
  assert.deepEqual(errors, []);
});

test('statistic probabilities are %0.10f of 1/n', () => {
  assert.deepEqual([3, 2].map(probability), ['0.3333333333', '0.5000000000']);
});

test('rule counts follow kube-proxy formulas: 10 services x 10 endpoints', () => {
  const svcs = [];
  const slices = [];
  for (let i = 0; i < 10; i++) {
    svcs.push(makeService('ns', `s${i}`, (s) => { s.spec.clusterIP = `172.30.1.${i}`; s.spec.ports = [{ name: 'p', port: 80 }]; }));
    slices.push(makeSlice('ns', `s${i}`, 1, (s) => { s.endpoints = Array.from({ length: 10 }, (_, j) => readyEndpoint(`10.1.${i}.${j}`)); s.ports = [{ name: 'p', port: 80 }]; }));
  }
  const out = renderIptables({ state: stateFrom(svcs, slices, 'n'), cfg: fixtureConfig });
  // 10 x (2 + 3*10) per-service nat rules, plus 4 static nat rules and the NodePort tail.
  assert.equal(out.ruleCounts.nat, 10 * (2 + 3 * 10) + 5);
  assert.equal(out.ruleCounts.filter, 3);
});

test('partial render writes only changed services and deletes unused chains', () => {
  const svcs = fixtureServices();
  const slices = fixtureSlices();
  const full = renderIptables({ state: stateFrom(svcs, slices, testNodeName), cfg: fixtureConfig });
  const tables = emptyTables();
  applyRestore(tables, full.text);
  // ns4/svc4 loses an endpoint; ns1/svc1 is deleted.
  const slices2 = slices.map((s) => (s.metadata.namespace === 'ns4' ? makeSlice('ns4', 'svc4', 1, (x) => { x.endpoints = [readyEndpoint('10.180.0.4')]; x.ports = [{ name: 'p80', port: 80 }]; }) : s))
    .filter((s) => s.metadata.namespace !== 'ns1');
  const svcs2 = svcs.filter((s) => s.metadata.namespace !== 'ns1');
  const partial = renderIptables({
    state: stateFrom(svcs2, slices2, testNodeName), cfg: fixtureConfig,
    changedServices: new Set(['ns4/svc4', 'ns1/svc1']), existingChains: full.activeChains,
  });
  assert.equal(partial.writtenServices, 1);
  assert.ok(!partial.text.includes('KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]'), 'unchanged ns5 chain is not rewritten');
  assert.ok(partial.text.includes('-X KUBE-SVC-XPGD46QRK7WJZT7O'), 'deleted service chain removed');
  assert.ok(partial.text.includes('-X KUBE-SEP-C6EBXVWJJZMIWKLZ'), 'removed endpoint chain removed');
  applyRestore(tables, partial.text);
  const expectedTables = tablesFromRestore(renderIptables({ state: stateFrom(svcs2, slices2, testNodeName), cfg: fixtureConfig }).text);
  assert.equal(saveTable(tables, 'nat'), saveTable(expectedTables, 'nat'), 'partial result equals a fresh full render');
  assert.equal(saveTable(tables, 'filter'), saveTable(expectedTables, 'filter'));
});

test('largeClusterMode drops comments from per-service rules', () => {
  const svc = makeService('ns', 'big', (s) => { s.spec.clusterIP = '172.30.9.9'; s.spec.ports = [{ port: 80 }]; });
  const slice = makeSlice('ns', 'big', 1, (s) => { s.endpoints = Array.from({ length: 1001 }, (_, j) => readyEndpoint(`10.9.${j >> 8}.${j & 255}`)); s.ports = [{ port: 80 }]; });
  const out = renderIptables({ state: stateFrom([svc], [slice], 'n'), cfg: fixtureConfig });
  const sepRules = out.text.split('\n').filter((l) => l.startsWith('-A KUBE-SEP-'));
  assert.ok(sepRules.length > 2000);
  assert.ok(sepRules.every((l) => !l.includes('--comment')));
});

test('masqueradeAll and no local detector', () => {
  const svc = makeService('ns', 'a', (s) => { s.spec.clusterIP = '172.30.9.1'; s.spec.ports = [{ port: 80 }]; });
  const slice = makeSlice('ns', 'a', 1, (s) => { s.endpoints = [readyEndpoint('10.9.0.1')]; s.ports = [{ port: 80 }]; });
  const st = stateFrom([svc], [slice], 'n');
  const all = renderIptables({ state: st, cfg: { ...fixtureConfig, masqueradeAll: true } });
  assert.ok(all.text.includes('-A KUBE-SVC-') && /-A KUBE-SVC-\S+ -m comment --comment "ns\/a cluster IP" -m tcp -p tcp -d 172.30.9.1 --dport 80 -j KUBE-MARK-MASQ/.test(all.text));
  const none = renderIptables({ state: st, cfg: { ...fixtureConfig, clusterCIDR: '' } });
  assert.ok(!/-A KUBE-SVC-\S+ .*KUBE-MARK-MASQ/.test(none.text));
});

test('a large sync split into restores (per-service chains first) ends where one restore would', () => {
  const svcs = [];
  const slices = [];
  for (let i = 0; i < 40; i++) {
    svcs.push(makeService('ns', `s${i}`, (s) => { s.spec.clusterIP = `172.30.2.${i}`; s.spec.ports = [{ name: 'p', port: 80 }]; }));
    slices.push(makeSlice('ns', `s${i}`, 1, (s) => { s.endpoints = Array.from({ length: 3 }, (_, j) => readyEndpoint(`10.2.${i}.${j}`)); s.ports = [{ name: 'p', port: 80 }]; }));
  }
  const one = emptyTables();
  const pieces = emptyTables();
  // Start both from the fixture, so the split sync also deletes chains.
  const before = renderIptables({ state: stateFrom(fixtureServices(), fixtureSlices(), testNodeName), cfg: fixtureConfig });
  applyRestore(one, before.text);
  applyRestore(pieces, before.text);
  const out = renderIptables({ state: stateFrom(svcs, slices, 'n'), cfg: fixtureConfig, existingChains: before.activeChains });
  const txs = out.transactions(50);
  assert.ok(txs.length > 4, `${txs.length} transactions`);
  applyRestore(one, out.text);
  for (const tx of txs) applyRestore(pieces, tx);
  assert.equal(saveTable(pieces, 'nat'), saveTable(one, 'nat'));
  assert.equal(saveTable(pieces, 'filter'), saveTable(one, 'filter'));
  assert.deepEqual(out.transactions(1_000_000), [out.text]);
});
