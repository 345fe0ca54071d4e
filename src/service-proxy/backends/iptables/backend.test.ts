import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Proxier } from '../../proxier.ts';
import { FakeClock } from '../../fake.ts';
import { FakeIptables } from './fake.ts';
import { IptablesBackend } from './backend.ts';
import { FakeConntrack } from '../../conntrack.ts';
import { fixtureConfig, fixtureServices, fixtureSlices, flowTable, testNodeName } from '../../flows.conformance.ts';
import { checkFlows } from '../../flows.ts';
import { traceIptables } from './tracer.ts';
import { makeSlice, readyEndpoint } from '../../testing.ts';
import { renderIptables } from './render.ts';
import { stateFrom } from '../../testing.ts';
import { saveTable, applyRestore, emptyTables } from './ruleset.ts';

function setup() {
  const clock = new FakeClock();
  const ipt = new FakeIptables();
  const conntrack = new FakeConntrack();
  const p = new Proxier({ cfg: fixtureConfig, backend: new IptablesBackend({ client: ipt }), clock, conntrack });
  for (const s of fixtureServices()) p.onService(undefined, s);
  for (const s of fixtureSlices()) p.onEndpointSlice(s);
  return { clock, ipt, p, conntrack };
}

test('nothing is written before both informers have synced', async () => {
  const { clock, ipt } = setup();
  await clock.advance(60_000);
  assert.equal(ipt.restores.length, 0);
});

test('first sync is full and installs hooks; flows pass through the fake kernel tables', async () => {
  const { clock, ipt, p } = setup();
  p.setSynced();
  await clock.advance(0);
  assert.equal(ipt.restores.length, 1);
  assert.ok(ipt.tables.get('nat')?.get('PREROUTING')?.some((r) => r.includes('KUBE-SERVICES')));
  assert.ok(ipt.tables.get('mangle')?.has('KUBE-PROXY-CANARY'));
  assert.deepEqual(checkFlows('iptables', flowTable, (pk) => traceIptables(ipt.tables, pk, fixtureConfig.nodeIPs)), []);
  assert.equal(p.metrics.iptablesTotal.get({ table: 'nat' }) > 0, true);
});

test('an endpoint change is a partial sync writing one service', async () => {
  const { clock, ipt, p } = setup();
  p.setSynced();
  await clock.advance(0);
  p.onEndpointSlice(makeSlice('ns4', 'svc4', 1, (s) => { s.endpoints = [readyEndpoint('10.180.0.4'), readyEndpoint('10.180.0.6')]; s.ports = [{ name: 'p80', port: 80 }]; }));
  await clock.advance(1000);
  assert.equal(ipt.restores.length, 2);
  const partial = ipt.restores[1] ?? '';
  assert.match(partial, /:KUBE-SVC-4SW47YFZTEDKD3PK - \[0:0\]/);
  assert.doesNotMatch(partial, /:KUBE-SVC-XPGD46QRK7WJZT7O/);
  assert.match(partial, /-X KUBE-SEP-C6EBXVWJJZMIWKLZ/);
  // The kernel now holds what a full render of the new state would.
  const want = emptyTables();
  applyRestore(want, renderIptables({ state: p.state, cfg: fixtureConfig }).text);
  assert.equal(saveTable(ipt.tables, 'nat').replace(/^(-A (PREROUTING|OUTPUT|POSTROUTING) |:KUBE-PROXY-CANARY ).*\n/gm, ''), saveTable(want, 'nat'));
  assert.equal(p.metrics.syncPartialDuration.count, 1);
});

test('a failed restore is retried as a full sync', async () => {
  const { clock, ipt, p } = setup();
  p.setSynced();
  await clock.advance(0);
  ipt.failNextRestores = 1;
  p.onEndpointSlice(makeSlice('ns4', 'svc4', 1, (s) => { s.endpoints = [readyEndpoint('10.180.0.4')]; s.ports = [{ name: 'p80', port: 80 }]; }));
  await clock.advance(1000);
  assert.equal(p.metrics.iptablesPartialRestoreFailures.get(), 1);
  await clock.advance(2000);
  const last = ipt.restores.at(-1) ?? '';
  assert.match(last, /:KUBE-SVC-XPGD46QRK7WJZT7O - \[0:0\]/, 'retry rewrites every service');
  assert.deepEqual(checkFlows('iptables', flowTable.filter((f) => !f.destIP.startsWith('172.30.0.44') && f.destIP !== '192.168.99.33'), (pk) => traceIptables(ipt.tables, pk, fixtureConfig.nodeIPs)), []);
});

test('rules wiped by another tool come back at the next periodic sync (canary)', async () => {
  const { clock, ipt, p } = setup();
  p.setSynced();
  await clock.advance(0);
  ipt.wipe();
  // The canary is checked by the periodic sync (syncPeriod, 30 s).
  await clock.advance(30_000);
  const out = traceIptables(ipt.tables, { sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, protocol: 'TCP' }, fixtureConfig.nodeIPs);
  assert.equal(out.output, '10.180.0.1:80');
});

test('cleanup removes every chain and jump we made', async () => {
  const { clock, ipt, p } = setup();
  p.setSynced();
  await clock.advance(0);
  await p.backend.cleanup();
  for (const table of ['nat', 'filter', 'mangle'] as const) {
    assert.doesNotMatch(saveTable(ipt.tables, table), /KUBE-/, table);
  }
});

test('cleanup removes the tables our first sync created (iptables-nft), and only those', async () => {
  const { clock, ipt, p } = setup();
  // mangle did not exist before us; nat did, and filter gets a rule of another tool's after our start.
  ipt.missing.add('mangle');
  ipt.missing.add('filter');
  p.setSynced();
  await clock.advance(0);
  assert.deepEqual([...ipt.missing], [], 'every table in use');
  await ipt.restore('*filter\n:OTHER - [0:0]\n-A INPUT -j OTHER\nCOMMIT\n');
  await p.backend.cleanup();
  assert.deepEqual([...ipt.missing], ['mangle'], 'mangle removed; filter kept for the other tool; nat was there before');
});

test('conntrack reconciler runs after each sync', async () => {
  const { clock, p, conntrack } = setup();
  conntrack.entries = [{ proto: 'udp', state: '', origSrc: '10.0.0.2', origDst: '172.30.0.47', origSport: 5000, origDport: 53, replySrc: '10.180.0.99', replySport: 53 }];
  p.setSynced();
  await clock.advance(0);
  assert.equal(conntrack.deleted.length, 1);
  assert.equal(p.metrics.conntrackDeleted.get(), 1);
});

test('state helper sanity: stateFrom equals what the proxier applied', async () => {
  const { clock, p } = setup();
  p.setSynced();
  await clock.advance(0);
  assert.equal(renderIptables({ state: p.state, cfg: fixtureConfig }).text, renderIptables({ state: stateFrom(fixtureServices(), fixtureSlices(), testNodeName), cfg: fixtureConfig }).text);
});
