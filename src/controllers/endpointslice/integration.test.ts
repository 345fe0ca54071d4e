// The EndpointSlice and Endpoints controllers against a real API server in this process (TLS,
// REST, watch): Pods with their status set by hand (no node agent), scaling 3 → 1 → 3 within 1 s,
// readiness flips, a controller restart without duplicates, and an API server restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Endpoints, Pod, Service } from '../../api/types.ts';
import { makeService } from '../../api/testing.ts';
import { builtin, type ApiClient } from '../../client/index.ts';
import { startTestServer, type TestServer } from '../../client/testing.ts';
import { startEndpointSliceControllers, type EndpointSliceControllers } from './index.ts';
import { readyPod, setReady } from './testing.ts';
import { waitFor } from '../testing.ts';
import { serviceNameLabel } from './wellknown.ts';

const slack = Number(process.env['SB_TIMING_SLACK'] ?? '3');

const podsRef = builtin('pods');
const slicesRef = builtin('endpointslices', 'discovery.k8s.io');
const endpointsRef = builtin('endpoints');

let ts: TestServer;
let ctl: EndpointSliceControllers | undefined;

before(async () => {
  ts = await startTestServer();
  await ts.createNamespace('ns1');
});

after(async () => {
  await ctl?.stop();
  await ts.close();
});

/** Polls every 5 ms (the controllers' shared waitFor). */
function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  return waitFor(what, fn, timeoutMs, 5);
}

async function createPod(c: ApiClient, name: string, ip: string): Promise<void> {
  const p = readyPod('ns1', name, ip, 'web');
  const status = p.status ?? {};
  delete p.metadata.uid;
  delete p.metadata.resourceVersion;
  delete p.metadata.creationTimestamp;
  delete p.status;
  const r = c.resource<Pod>(podsRef);
  const created = await r.create('ns1', p);
  await r.updateStatus({ ...created, status });
}

async function slices(): Promise<EndpointSlice[]> {
  return (await ts.client.resource<EndpointSlice>(slicesRef).list('ns1', { labelSelector: `${serviceNameLabel}=web` })).items;
}

const readyIPs = (ss: readonly EndpointSlice[]): string =>
  ss.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready === true).flatMap((e) => e.addresses)).sort().join(',');

/** Runs `change`, then waits for `cond`; returns the milliseconds from the start of the change. */
async function timed(what: string, change: () => Promise<void>, cond: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  await change();
  await until(what, async () => cond());
  return performance.now() - t0;
}

test('a new Service gets its placeholder, then its Pods; scaling 3 → 1 → 3 shows within 1 s', async () => {
  // The in-process server has no Service IP allocator (`switchboard up` wires one): the Service
  // comes as an allocated one would be stored.
  const svc = makeService('ns1', 'web', (s) => {
    delete s.metadata.uid;
    delete s.metadata.resourceVersion;
    delete s.metadata.creationTimestamp;
    delete s.status;
    s.spec.ipFamilies = ['IPv4'];
    s.spec.ipFamilyPolicy = 'SingleStack';
  });
  await ts.client.resource<Service>(builtin('services')).create('ns1', svc);
  ctl = await startEndpointSliceControllers({ client: ts.client });
  const placeholder = await until('placeholder', async () => {
    const s = await slices();
    return s.length === 1 && (s[0]?.endpoints ?? []).length === 0 ? s[0] : undefined;
  });
  assert.match(placeholder.metadata.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(placeholder.ports ?? [], []);

  for (let i = 1; i <= 3; i++) await createPod(ts.client, `web-${i}`, `10.244.0.${i + 1}`);
  await until('3 ready endpoints', async () => readyIPs(await slices()) === '10.244.0.2,10.244.0.3,10.244.0.4');

  const pods = ts.client.resource<Pod>(podsRef);
  const down = await timed('scaled to 1', async () => {
    await pods.delete('ns1', 'web-2', { gracePeriodSeconds: 0 });
    await pods.delete('ns1', 'web-3', { gracePeriodSeconds: 0 });
  }, async () => readyIPs(await slices()) === '10.244.0.2');
  const up = await timed('scaled to 3', async () => {
    await createPod(ts.client, 'web-4', '10.244.0.5');
    await createPod(ts.client, 'web-5', '10.244.0.6');
  }, async () => readyIPs(await slices()) === '10.244.0.2,10.244.0.5,10.244.0.6');
  console.log(`# 3 → 1: ${down.toFixed(0)} ms, 1 → 3: ${up.toFixed(0)} ms (API writes included)`);
  // The 1 s bound, with the slack the e2e tests allow a starved CI machine (SB_TIMING_SLACK).
  assert.ok(down < 1000 * slack, `3 → 1 took ${down} ms`);
  assert.ok(up < 1000 * slack, `1 → 3 took ${up} ms`);
  const final = await slices();
  assert.equal(final.length, 1, 'one slice throughout: the placeholder was reused');
  assert.equal(final[0]?.metadata.name, placeholder.metadata.name);

  const ep = await until('Endpoints with 3 addresses', async () => {
    const e = await ts.client.resource<Endpoints>(endpointsRef).get('ns1', 'web');
    return e.subsets?.[0]?.addresses?.length === 3 ? e : undefined;
  });
  assert.deepEqual(ep.subsets?.[0]?.ports, [{ port: 8080, protocol: 'TCP' }]);
});

test('a readiness flip moves the Pod between ready and not ready', async () => {
  const pods = ts.client.resource<Pod>(podsRef);
  const p = await pods.get('ns1', 'web-4');
  setReady(p, false);
  const ms = await timed('web-4 not ready', async () => { await pods.updateStatus(p); }, async () => {
    const e = (await slices()).flatMap((s) => s.endpoints ?? []).find((x) => x.targetRef?.name === 'web-4');
    return e?.conditions?.ready === false && e.conditions.serving === false;
  });
  assert.ok(ms < 1000 * slack, `readiness flip took ${ms} ms`);
  await until('notReadyAddresses', async () => {
    const e = await ts.client.resource<Endpoints>(endpointsRef).get('ns1', 'web');
    return e.subsets?.[0]?.notReadyAddresses?.map((a) => a.ip).join() === '10.244.0.5' && e.subsets[0]?.addresses?.length === 2;
  });
  const again = await pods.get('ns1', 'web-4');
  setReady(again, true);
  await pods.updateStatus(again);
  await until('ready again', async () => readyIPs(await slices()) === '10.244.0.2,10.244.0.5,10.244.0.6');
});

test('restarting the controllers writes nothing and makes no duplicate slice', async () => {
  await until('Endpoints settled', async () => (await ts.client.resource<Endpoints>(endpointsRef).get('ns1', 'web')).subsets?.[0]?.addresses?.length === 3);
  const before = (await slices()).map((s) => `${s.metadata.name ?? ''}@${s.metadata.resourceVersion ?? ''}`);
  const epBefore = (await ts.client.resource<Endpoints>(endpointsRef).get('ns1', 'web')).metadata.resourceVersion;
  await ctl?.stop();
  ctl = await startEndpointSliceControllers({ client: ts.client });
  await ctl.waitForSync();
  await until('synced', async () => (ctl?.endpointSlices.stats.syncs ?? 0) > 0 && (ctl?.endpoints.stats.syncs ?? 0) > 0);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual((await slices()).map((s) => `${s.metadata.name ?? ''}@${s.metadata.resourceVersion ?? ''}`), before);
  assert.equal((await ts.client.resource<Endpoints>(endpointsRef).get('ns1', 'web')).metadata.resourceVersion, epBefore);
  assert.deepEqual({ creates: ctl.endpointSlices.stats.creates, updates: ctl.endpointSlices.stats.updates }, { creates: 0, updates: 0 });
});

test('changes made while the API server was down converge after it returns', async () => {
  const side = await ts.sidecar();
  await ts.stopServer();
  // Written through a second server on the same store while the controllers' server is down.
  await side.client.resource<Pod>(podsRef).delete('ns1', 'web-5', { gracePeriodSeconds: 0 });
  await ts.startServer();
  await until('web-5 gone after the relist', async () => readyIPs(await slices()) === '10.244.0.2,10.244.0.5', 15_000);
  await side.stop();
  assert.equal((await slices()).length, 1);
});
