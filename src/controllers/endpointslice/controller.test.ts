// The EndpointSlice and Endpoints controllers against the in-memory FakeClient: convergence,
// readiness flips, deletions, restarts without duplicates, no writes in a steady state, retries.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Endpoints, Pod, Service } from '../../api/types.ts';
import { makeEndpointSlice, makeService } from '../../api/testing.ts';
import { builtin, FakeClient, type ApiClient } from '../../client/index.ts';
import { StatusError } from '../../machinery/status.ts';
import { startEndpointSliceControllers, type EndpointSliceControllers } from './index.ts';
import { readyPod, setReady } from './testing.ts';
import { waitFor } from '../testing.ts';
import { managedByLabel, serviceNameLabel } from './wellknown.ts';

const podsRef = builtin('pods');
const servicesRef = builtin('services');
const slicesRef = builtin('endpointslices', 'discovery.k8s.io');
const endpointsRef = builtin('endpoints');

/** Polls every 5 ms (the controllers' shared waitFor). */
function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 3000): Promise<T> {
  return waitFor(what, fn, timeoutMs, 5);
}

/** Creates a Pod and then sets its status (as a node agent would). */
async function createPod(c: ApiClient, p: Pod): Promise<Pod> {
  const r = c.resource<Pod>(podsRef);
  const body = structuredClone(p);
  delete body.metadata.uid;
  delete body.metadata.resourceVersion;
  const created = await r.create(p.metadata.namespace ?? '', body);
  return r.updateStatus({ ...created, status: p.status ?? {} });
}

async function slicesOf(c: ApiClient, ns: string, svc: string): Promise<EndpointSlice[]> {
  return (await c.resource<EndpointSlice>(slicesRef).list(ns, { labelSelector: `${serviceNameLabel}=${svc}` })).items;
}

function readyIPs(slices: readonly EndpointSlice[]): string[] {
  return slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready === true).flatMap((e) => e.addresses)).sort();
}

function writes(f: FakeClient, resource: string): string[] {
  return f.actions.filter((a) => a.resource === resource && ['create', 'update', 'patch', 'delete'].includes(a.verb)).map((a) => `${a.verb} ${a.name}`);
}

async function setup(): Promise<{ f: FakeClient; ctl: EndpointSliceControllers; svc: Service }> {
  const f = new FakeClient();
  const svc = await f.resource<Service>(servicesRef).create('ns1', makeService('ns1', 'web', (s) => { s.spec.ipFamilies = ['IPv4']; delete s.metadata.uid; }));
  for (let i = 1; i <= 3; i++) await createPod(f, readyPod('ns1', `web-${i}`, `10.244.0.${i + 1}`, 'web'));
  const ctl = await startEndpointSliceControllers({ client: f });
  return { f, ctl, svc };
}

const threeIPs = ['10.244.0.2', '10.244.0.3', '10.244.0.4'];

describe('EndpointSlice and Endpoints controllers (FakeClient)', () => {
  test('converge: one slice and one Endpoints object for three ready Pods', async () => {
    const { f, ctl, svc } = await setup();
    try {
      const slices = await until('3 ready endpoints', async () => {
        const s = await slicesOf(f, 'ns1', 'web');
        return readyIPs(s).length === 3 ? s : undefined;
      });
      assert.equal(slices.length, 1);
      const s = slices[0] as EndpointSlice;
      assert.match(s.metadata.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(s.metadata.labels?.[managedByLabel], 'endpointslice-controller.k8s.io');
      assert.equal(s.metadata.ownerReferences?.[0]?.uid, svc.metadata.uid);
      assert.deepEqual(s.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
      const ep = await until('Endpoints', () => f.resource<Endpoints>(endpointsRef).get('ns1', 'web').catch(() => undefined));
      assert.deepEqual(ep.subsets?.[0]?.addresses?.map((a) => a.ip), threeIPs);
      const metrics = ctl.endpointSlices.metricsText();
      assert.match(metrics, /^endpoint_slice_controller_changes\{operation="create"\} 1$/m);
      assert.match(metrics, /^endpoint_slice_controller_syncs\{result="error"\} 0$/m);
    } finally {
      await ctl.stop();
    }
  });

  test('readiness flip moves a Pod between ready and not ready in both objects', async () => {
    const { f, ctl } = await setup();
    try {
      await until('converged', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).length === 3);
      const pods = f.resource<Pod>(podsRef);
      const p = await pods.get('ns1', 'web-2');
      setReady(p, false);
      await pods.updateStatus(p);
      await until('web-2 not ready in the slice', async () => {
        const eps = (await slicesOf(f, 'ns1', 'web')).flatMap((s) => s.endpoints ?? []);
        const e = eps.find((x) => x.targetRef?.name === 'web-2');
        return e !== undefined && e.conditions?.ready === false && e.conditions.serving === false;
      });
      await until('web-2 in notReadyAddresses', async () => {
        const ep = await f.resource<Endpoints>(endpointsRef).get('ns1', 'web');
        return ep.subsets?.[0]?.notReadyAddresses?.[0]?.ip === '10.244.0.3';
      });
      setReady(p, true);
      await pods.updateStatus({ ...(await pods.get('ns1', 'web-2')), status: p.status ?? {} });
      await until('ready again', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).length === 3);
    } finally {
      await ctl.stop();
    }
  });

  test('steady state writes nothing, also after a resync and a restart (no duplicate slices)', async () => {
    const { f, ctl } = await setup();
    await until('converged', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).length === 3
      && (await f.resource<Endpoints>(endpointsRef).get('ns1', 'web').catch(() => undefined)) !== undefined);
    await new Promise((r) => setTimeout(r, 100));
    f.clearActions();
    for (const c of [ctl.endpointSlices.controller, ctl.endpoints.controller]) c.enqueue('ns1/web');
    await new Promise((r) => setTimeout(r, 100));
    await ctl.stop();
    const again = await startEndpointSliceControllers({ client: f });
    try {
      await again.waitForSync();
      await until('restarted controllers synced the Service', async () => again.endpointSlices.stats.syncs > 0 && again.endpoints.stats.syncs > 0);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(writes(f, 'endpointslices'), []);
      assert.deepEqual(writes(f, 'endpoints'), []);
      assert.equal((await slicesOf(f, 'ns1', 'web')).length, 1);
    } finally {
      await again.stop();
    }
  });

  test('scaling 3 → 1 → 3 Pods keeps one slice and the Endpoints in step', async () => {
    const { f, ctl } = await setup();
    try {
      await until('3', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).length === 3);
      const pods = f.resource<Pod>(podsRef);
      await pods.delete('ns1', 'web-2', { gracePeriodSeconds: 0 });
      await pods.delete('ns1', 'web-3', { gracePeriodSeconds: 0 });
      await until('1', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).join() === '10.244.0.2');
      await until('Endpoints 1', async () => (await f.resource<Endpoints>(endpointsRef).get('ns1', 'web')).subsets?.[0]?.addresses?.length === 1);
      await createPod(f, readyPod('ns1', 'web-4', '10.244.0.5', 'web'));
      await createPod(f, readyPod('ns1', 'web-5', '10.244.0.6', 'web'));
      await until('3 again', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).join() === '10.244.0.2,10.244.0.5,10.244.0.6');
      assert.equal((await slicesOf(f, 'ns1', 'web')).length, 1);
    } finally {
      await ctl.stop();
    }
  });

  test('a terminating Pod stays in the slice as terminating and leaves the Endpoints', async () => {
    const { f, ctl } = await setup();
    try {
      await until('3', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).length === 3);
      await f.resource<Pod>(podsRef).delete('ns1', 'web-3', { gracePeriodSeconds: 30 });
      await until('terminating', async () => {
        const e = (await slicesOf(f, 'ns1', 'web')).flatMap((s) => s.endpoints ?? []).find((x) => x.targetRef?.name === 'web-3');
        return e?.conditions?.terminating === true && e.conditions.ready === false && e.conditions.serving === true;
      });
      await until('dropped from Endpoints', async () => (await f.resource<Endpoints>(endpointsRef).get('ns1', 'web')).subsets?.[0]?.addresses?.length === 2);
    } finally {
      await ctl.stop();
    }
  });

  test('a slice deleted by a user is replaced; slices managed by others are left alone', async () => {
    const { f, ctl } = await setup();
    try {
      const first = await until('slice', async () => (await slicesOf(f, 'ns1', 'web'))[0]);
      const foreign = makeEndpointSlice('ns1', 'web-manual', (s) => {
        s.metadata.labels = { [serviceNameLabel]: 'web', [managedByLabel]: 'someone-else' };
        delete s.metadata.uid;
      });
      await f.resource<EndpointSlice>(slicesRef).create('ns1', foreign);
      await f.resource<EndpointSlice>(slicesRef).delete('ns1', first.metadata.name ?? '');
      const replaced = await until('replacement', async () => {
        const s = (await slicesOf(f, 'ns1', 'web')).filter((x) => x.metadata.labels?.[managedByLabel] === 'endpointslice-controller.k8s.io');
        return s.length === 1 && s[0]?.metadata.name !== first.metadata.name && readyIPs(s).length === 3 ? s : undefined;
      });
      assert.equal(replaced.length, 1);
      const manual = await f.resource<EndpointSlice>(slicesRef).get('ns1', 'web-manual');
      assert.equal(manual.metadata.generation, 1);
    } finally {
      await ctl.stop();
    }
  });

  test('deleting the Service deletes its slices and Endpoints', async () => {
    const { f, ctl } = await setup();
    try {
      await until('converged', async () => (await slicesOf(f, 'ns1', 'web')).length === 1 && (await f.resource<Endpoints>(endpointsRef).get('ns1', 'web').catch(() => undefined)) !== undefined);
      await f.resource<Service>(servicesRef).delete('ns1', 'web');
      await until('slices gone', async () => (await slicesOf(f, 'ns1', 'web')).length === 0);
      await until('Endpoints gone', async () => (await f.resource<Endpoints>(endpointsRef).get('ns1', 'web').catch(() => 'gone')) === 'gone');
    } finally {
      await ctl.stop();
    }
  });

  test('a Service without a selector gets neither slices nor Endpoints', async () => {
    const f = new FakeClient();
    await f.resource<Service>(servicesRef).create('ns1', makeService('ns1', 'manual', (s) => { delete s.spec.selector; delete s.metadata.uid; }));
    const ctl = await startEndpointSliceControllers({ client: f });
    try {
      await ctl.waitForSync();
      await until('synced', async () => ctl.endpointSlices.stats.syncs > 0 && ctl.endpoints.stats.syncs > 0);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(writes(f, 'endpointslices'), []);
      assert.deepEqual(writes(f, 'endpoints'), []);
    } finally {
      await ctl.stop();
    }
  });

  test('a Pod relabelled from one Service to another moves', async () => {
    const { f, ctl } = await setup();
    try {
      await f.resource<Service>(servicesRef).create('ns1', makeService('ns1', 'api', (s) => { s.spec.ipFamilies = ['IPv4']; delete s.metadata.uid; }));
      await until('web converged', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).length === 3);
      await f.resource<Pod>(podsRef).patch('ns1', 'web-1', { metadata: { labels: { app: 'api' } } }, 'merge');
      await until('moved', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).length === 2 && readyIPs(await slicesOf(f, 'ns1', 'api')).join() === '10.244.0.2');
    } finally {
      await ctl.stop();
    }
  });

  test('a failed write is retried until it succeeds', async () => {
    const f = new FakeClient();
    let failures = 2;
    f.addReactor('create', 'endpointslices', () => (failures-- > 0 ? { error: new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500, reason: 'InternalError', message: 'boom' }) } : undefined));
    await f.resource<Service>(servicesRef).create('ns1', makeService('ns1', 'web', (s) => { s.spec.ipFamilies = ['IPv4']; delete s.metadata.uid; }));
    await createPod(f, readyPod('ns1', 'web-1', '10.244.0.2', 'web'));
    const logs: string[] = [];
    const ctl = await startEndpointSliceControllers({ client: f, log: (_l, m) => logs.push(m) });
    try {
      await until('slice after retries', async () => readyIPs(await slicesOf(f, 'ns1', 'web')).length === 1);
      assert.equal((await slicesOf(f, 'ns1', 'web')).length, 1);
      assert.ok(logs.some((m) => m.includes('boom')), 'the failure is logged');
    } finally {
      await ctl.stop();
    }
  });

  test('shared informers: given a factory, the controllers do not start or stop it', async () => {
    const { InformerFactory } = await import('../../client/index.ts');
    const f = new FakeClient();
    const informers = new InformerFactory(f);
    const ctl = await startEndpointSliceControllers({ client: f, informers });
    informers.start();
    await ctl.waitForSync();
    await ctl.stop();
    assert.equal(informers.hasSynced(), true);
    await informers.stop();
  });
});
