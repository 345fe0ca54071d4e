import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredFrontends, traceUserspace } from './route.ts';
import { checkFlows } from '../../flows.ts';
import { fixtureConfig, fixtureServices, fixtureSlices, flowTable, testNodeName } from '../../flows.conformance.ts';
import { stateFrom } from '../../testing.ts';

const state = stateFrom(fixtureServices(), fixtureSlices(), testNodeName);
const npa = fixtureConfig.nodeIPs;

test('packet-flow table through the userspace endpoint choice', () => {
  assert.deepEqual(checkFlows('userspace', flowTable, (p) => traceUserspace(state, fixtureConfig, npa, p), { compareMasq: false }), []);
});

test('no listener for a service without endpoints (so the kernel refuses)', () => {
  const f = desiredFrontends(state, fixtureConfig, npa);
  assert.ok(f.has('TCP 172.30.0.41:80'));
  assert.ok(!f.has('TCP 172.30.0.46:80'));
  assert.ok(f.has('TCP 192.168.0.2:3003'));
  assert.ok(f.has('UDP 172.30.0.47:53'));
  assert.ok(f.has('TCP 172.30.0.48:80'), 'iTP Local without local endpoints still listens (and drops)');
});
