// End to end: `kubectl scale deployment` 3 → 1 → 3 behind a Service updates its EndpointSlices
// within 1 s each way (the "Must show"), with the real kubectl against `switchboard up`.
// The Pods run on a hollow node in this process (bench/controllers/hollow-node.ts: IP and Ready in
// one status write, deletions confirmed), pinned to it by nodeSelector so `up`'s own node agent
// never takes them.
//
// Needs the Deployment/ReplicaSet controllers, the scheduler and the EndpointSlice controller. When
// `switchboard up` does not run them the test skips and says so; SB_E2E_EXTERNAL_CONTROLLERS=1
// runs them in this process against the cluster's kubeconfig (as an external controller manager).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Switchboard, kubectlMissing, eventually, assertWithin } from '../helpers/switchboard.ts';
import { builtin, Client, loadKubeconfig, type WatchHandle } from '../../src/client/index.ts';
import type { EndpointSlice } from '../../src/api/types.ts';
import { HollowNode } from '../../bench/controllers/hollow-node.ts';

const NS = 'scale';
const missing = kubectlMissing();
let sb: Switchboard | undefined;
let client: Client | undefined;
let hollow: HollowNode | undefined;
let external: { stop(): Promise<void> } | undefined;
let skipReason: string | false = missing;

async function kubectl(args: string[]): Promise<string> {
  if (sb === undefined) throw new Error('no cluster');
  const r = await sb.kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

async function appears(what: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

before(async () => {
  if (missing !== false) {
    console.log(`# skipping the scaling end-to-end test: ${missing}`);
    return;
  }
  sb = await Switchboard.start();
  client = new Client(loadKubeconfig(sb.kubeconfig));
  await kubectl(['create', 'namespace', NS]);
  await kubectl(['create', 'service', 'clusterip', 'probe', '--tcp=80:80', '-n', NS]);
  await kubectl(['create', 'deployment', 'probe', '--image=nginx:1.25', '--replicas=0', '-n', NS]);
  const c = client;
  const slicesRun = await appears(async () => (await c.resource(builtin('endpointslices', 'discovery.k8s.io')).list(NS, { labelSelector: 'kubernetes.io/service-name=probe' })).items.length > 0, 5000);
  const workloadsRun = await appears(async () => (await c.resource(builtin('replicasets', 'apps')).list(NS)).items.length > 0, slicesRun ? 5000 : 100);
  if (slicesRun && workloadsRun) return;
  if (process.env['SB_E2E_EXTERNAL_CONTROLLERS'] === '1') {
    const { startControllers, controllerNames } = await import('../../src/controllers/index.ts');
    const names = controllerNames.filter((n) => (n === 'endpointslice' ? !slicesRun : !workloadsRun));
    external = await startControllers({ client, controllers: names });
    console.log(`# switchboard up does not run ${names.join(', ')}: running them in the test process (SB_E2E_EXTERNAL_CONTROLLERS=1)`);
    return;
  }
  const lacking = [...(slicesRun ? [] : ['the EndpointSlice controller']), ...(workloadsRun ? [] : ['the Deployment controller'])].join(' and ');
  skipReason = `switchboard up does not run ${lacking} yet; set SB_E2E_EXTERNAL_CONTROLLERS=1 to run them from the test`;
  console.log(`# skipping the scaling end-to-end test: ${skipReason}`);
});

after(async () => {
  await hollow?.stop();
  await external?.stop();
  client?.close();
  await sb?.stop();
});

test('kubectl scale 3 → 1 → 3 updates the EndpointSlices within 1 s each way', async (t) => {
  if (skipReason !== false || client === undefined) return t.skip(skipReason === false ? 'no cluster' : skipReason);
  hollow = new HollowNode(client, { namespace: NS, name: 'e2e-hollow-scale' });
  await hollow.start();
  await kubectl(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=0', '--port=80', '-n', NS]);
  await kubectl(['patch', 'deployment', 'web', '-n', NS, '--type=strategic', '-p', JSON.stringify({ spec: { template: { spec: { nodeSelector: { type: 'hollow' } } } } })]);
  await kubectl(['expose', 'deployment', 'web', '--port=80', '-n', NS]);

  // Follow the slices on a watch, to time each change precisely.
  const slices = new Map<string, EndpointSlice>();
  const changed: Array<() => void> = [];
  const sr = client.resource<EndpointSlice>(builtin('endpointslices', 'discovery.k8s.io'));
  const list = await sr.list(NS, { labelSelector: 'kubernetes.io/service-name=web' });
  for (const s of list.items) slices.set(s.metadata.name ?? '', s);
  const w: WatchHandle = sr.watch(NS, { resourceVersion: list.metadata.resourceVersion ?? '', labelSelector: 'kubernetes.io/service-name=web' }, (ev) => {
    if (ev.type === 'BOOKMARK') return;
    if (ev.type === 'DELETED') slices.delete(ev.object.metadata.name ?? '');
    else slices.set(ev.object.metadata.name ?? '', ev.object);
    for (const f of changed.splice(0)) f();
  });
  const ready = (): number => [...slices.values()].flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true).length;
  const readyCount = async (n: number, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (ready() !== n) {
      if (Date.now() > deadline) throw new Error(`${n} ready endpoints not seen within ${timeoutMs} ms (have ${ready()})`);
      await new Promise<void>((r) => {
        changed.push(r);
        setTimeout(r, 50);
      });
    }
  };
  try {
    await kubectl(['scale', 'deployment', 'web', '--replicas=3', '-n', NS]);
    await readyCount(3, 15_000);
    const timeScale = async (n: number): Promise<number> => {
      const t0 = performance.now();
      await kubectl(['scale', 'deployment', 'web', `--replicas=${n}`, '-n', NS]);
      await readyCount(n, 15_000);
      return performance.now() - t0;
    };
    const down = await timeScale(1);
    const up = await timeScale(3);
    console.log(`# kubectl scale 3 → 1: ${down.toFixed(0)} ms, 1 → 3: ${up.toFixed(0)} ms (kubectl itself included)`);
    assertWithin(down, 1000, 'kubectl scale 3 → 1 → EndpointSlices');
    assertWithin(up, 1000, 'kubectl scale 1 → 3 → EndpointSlices');
    await eventually(async () => {
      const out = await kubectl(['get', 'endpoints', 'web', '-n', NS, '-o', 'jsonpath={.subsets[*].addresses[*].ip}']);
      return out.split(' ').filter((x) => x !== '').length === 3;
    }, 5000, 50);
    await eventually(async () => [...slices.values()].flatMap((s) => s.endpoints ?? []).length === 3, 5000, 50);
    assert.equal(slices.size, 1, 'one slice throughout');
  } finally {
    w.stop();
  }
});
