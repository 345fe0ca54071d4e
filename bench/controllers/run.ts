// bench/controllers: how fast Pods show up in EndpointSlices, and how many slice writes a rolling
// update costs. Against a real `switchboard up` (sqlite store):
//   1. scale: a Deployment behind a Service goes from 0 to BENCH_REPLICAS (100) Pods with
//      `kubectl scale deploy --replicas=N`; measured until the slices hold N ready endpoints;
//   2. churn: `kubectl rollout restart` of those N Pods; EndpointSlice (and Endpoints) writes counted
//      on a watch until every endpoint is a new, ready Pod.
// There is no node agent: a hollow node in this process (as kubemark's hollow kubelet / KWOK)
// registers a Ready Node, gives each Pod bound to it an IP and Ready status in one status write,
// and confirms deletions (grace period 0). Parts `switchboard up` does not run yet are run here
// against its kubeconfig (the output says which). Without a Deployment controller the same
// steps are driven on Pods directly (BENCH_MODE=pods forces that).
// Settings: BENCH_REPLICAS (100), BENCH_MODE (auto | deployment | pods), BENCH_SURGE (25).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deployment, EndpointSlice, Endpoints, Pod, ReplicaSet, Service } from '../../src/api/types.ts';
import {
  builtin, Client, loadKubeconfig, type ApiClient, type WatchHandle,
} from '../../src/client/index.ts';
import { startEndpointSliceControllers, type EndpointSliceControllers } from '../../src/controllers/endpointslice/index.ts';
import { Switchboard } from '../../test/helpers/switchboard.ts';
import { HollowNode } from './hollow-node.ts';

const N = Number(process.env['BENCH_REPLICAS'] ?? 100);
const MODE = process.env['BENCH_MODE'] ?? 'auto';
const SURGE = Number(process.env['BENCH_SURGE'] ?? 25);
const NS = 'bench';
const NODE = 'hollow-node-1';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const notes: string[] = [];

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000, everyMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

/** Per Pod: from its Ready status write to its ready endpoint in a slice. */
function readyToSlice(h: HollowNode, w: SliceWatch, names: Iterable<string>): number[] {
  const out: number[] = [];
  for (const n of names) {
    const a = h.readyAt.get(n);
    const b = w.readySeenAt.get(n);
    if (a !== undefined && b !== undefined) out.push(Math.max(0, b - a));
  }
  return out;
}

const lastOf = (m: ReadonlyMap<string, number>, names: Iterable<string>): number => Math.max(...[...names].map((n) => m.get(n) ?? Number.NaN));

// ---- watching the slices ----

/** Follows the Service's slices (and Endpoints) through watches; counts every write. */
class SliceWatch {
  readonly slices = new Map<string, EndpointSlice>();
  /** When each Pod was first seen ready in a slice (performance.now()). */
  readonly readySeenAt = new Map<string, number>();
  sliceEvents = { ADDED: 0, MODIFIED: 0, DELETED: 0 };
  endpointsEvents = 0;
  readonly #handles: WatchHandle[] = [];
  readonly #client: ApiClient;

  constructor(client: ApiClient) {
    this.#client = client;
  }

  async start(): Promise<void> {
    const sr = this.#client.resource<EndpointSlice>(builtin('endpointslices', 'discovery.k8s.io'));
    const list = await sr.list(NS, { labelSelector: 'kubernetes.io/service-name=bench' });
    for (const s of list.items) this.slices.set(s.metadata.name ?? '', s);
    this.#handles.push(sr.watch(NS, { resourceVersion: list.metadata.resourceVersion ?? '', labelSelector: 'kubernetes.io/service-name=bench', timeoutSeconds: 3600 }, (ev) => {
      if (ev.type === 'BOOKMARK') return;
      this.sliceEvents[ev.type]++;
      if (ev.type === 'DELETED') this.slices.delete(ev.object.metadata.name ?? '');
      else {
        this.slices.set(ev.object.metadata.name ?? '', ev.object);
        const now = performance.now();
        for (const e of ev.object.endpoints ?? []) {
          const n = e.targetRef?.name ?? '';
          if (e.conditions?.ready === true && !this.readySeenAt.has(n)) this.readySeenAt.set(n, now);
        }
      }
    }));
    const er = this.#client.resource<Endpoints>(builtin('endpoints'));
    const elist = await er.list(NS, { fieldSelector: 'metadata.name=bench' });
    this.#handles.push(er.watch(NS, { resourceVersion: elist.metadata.resourceVersion ?? '', fieldSelector: 'metadata.name=bench', timeoutSeconds: 3600 }, (ev) => {
      if (ev.type !== 'BOOKMARK') this.endpointsEvents++;
    }));
  }

  resetCounts(): void {
    this.sliceEvents = { ADDED: 0, MODIFIED: 0, DELETED: 0 };
    this.endpointsEvents = 0;
  }

  get writes(): number {
    return this.sliceEvents.ADDED + this.sliceEvents.MODIFIED + this.sliceEvents.DELETED;
  }

  endpoints(): NonNullable<EndpointSlice['endpoints']> {
    return [...this.slices.values()].flatMap((s) => s.endpoints ?? []);
  }

  readyPodNames(): string[] {
    return this.endpoints().filter((e) => e.conditions?.ready === true).map((e) => e.targetRef?.name ?? '');
  }

  stop(): void {
    for (const h of this.#handles) h.stop();
  }
}

// ---- the run ----

function kubectl(sb: Switchboard, args: string[]): Promise<void> {
  return sb.kubectl(args).then((r) => {
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  });
}

interface Started {
  stop(): Promise<void>;
  endpointSlices?: EndpointSliceControllers;
}

/** Tries the workload controllers' entry point (another engineer's src/controllers/index.ts). */
async function startWorkloadControllers(client: ApiClient, withoutEndpointSlices: boolean): Promise<Started | string> {
  const path = join(root, 'src', 'controllers', 'index.ts');
  if (!existsSync(path)) return 'src/controllers/index.ts (startControllers) does not exist yet';
  const mod = (await import(path)) as {
    startControllers?: (o: { client: ApiClient; controllers?: readonly string[] }) => Promise<Started>;
    controllerNames?: readonly string[];
  };
  if (typeof mod.startControllers !== 'function') return 'src/controllers/index.ts exports no startControllers';
  const names = (mod.controllerNames ?? []).filter((n) => !(withoutEndpointSlices && n === 'endpointslice'));
  return mod.startControllers({ client, ...(names.length > 0 ? { controllers: names } : {}) });
}

async function main(): Promise<void> {
  const kubectlOk = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error === undefined;
  if (!kubectlOk) throw new Error('bench/controllers needs kubectl on the PATH');
  const sb = await Switchboard.start();
  const client = new Client(loadKubeconfig(sb.kubeconfig));
  const stops: Array<() => Promise<void>> = [];
  try {
    await kubectl(sb, ['create', 'namespace', NS]);
    // Which controllers does `up` run? Probe with a Service (placeholder slice) and a Deployment (ReplicaSet).
    await kubectl(sb, ['create', 'service', 'clusterip', 'probe', '--tcp=80:80']);
    const slicesRef = builtin('endpointslices', 'discovery.k8s.io');
    const upRunsSlices = await until('probe', async () => (await client.resource(slicesRef).list('default', { labelSelector: 'kubernetes.io/service-name=probe' })).items.length > 0, 3000).catch(() => false);
    await client.resource<Service>(builtin('services')).delete('default', 'probe');
    notes.push(`EndpointSlice/Endpoints controllers: ${upRunsSlices ? 'run by switchboard up' : 'run in the bench process against the kubeconfig (switchboard up does not run them yet)'}`);

    let mode: 'deployment' | 'pods' = MODE === 'pods' ? 'pods' : 'deployment';
    const deployments = client.resource<Deployment>(builtin('deployments', 'apps'));
    await kubectl(sb, ['create', 'deployment', 'bench', '--image=nginx:1.25', '--replicas=0', '--port=80', '-n', NS]);
    // Only the hollow node may take these Pods (up's real node agent would try to run nginx).
    await deployments.patch(NS, 'bench', { spec: { template: { spec: { nodeSelector: { type: 'hollow' } } } } }, 'strategic');
    let workloads: 'up' | 'bench' | 'none' = 'none';
    let endpointCtl: EndpointSliceControllers | undefined;
    if (mode === 'deployment') {
      const upRunsWorkloads = await until('ReplicaSet', async () => (await client.resource<ReplicaSet>(builtin('replicasets', 'apps')).list(NS)).items.length > 0, 3000).catch(() => false);
      if (upRunsWorkloads) {
        workloads = 'up';
        notes.push('Deployment/ReplicaSet controllers and scheduler: run by switchboard up');
      } else {
        const started = await startWorkloadControllers(client, upRunsSlices);
        if (typeof started === 'string') {
          if (MODE === 'deployment') throw new Error(`BENCH_MODE=deployment is blocked: ${started}`);
          notes.push(`Deployment controller unavailable (${started}): Pods are created and replaced by the bench itself (BENCH_MODE=pods)`);
          mode = 'pods';
        } else {
          workloads = 'bench';
          endpointCtl = started.endpointSlices;
          stops.push(() => started.stop());
          notes.push('Deployment/ReplicaSet controllers and scheduler: startControllers() run in the bench process (switchboard up does not run them yet)');
        }
      }
    }
    if (!upRunsSlices && workloads !== 'bench') {
      const ctl = await startEndpointSliceControllers({ client });
      endpointCtl = ctl;
      stops.push(() => ctl.stop());
    }
    const hollow = new HollowNode(client, { namespace: NS, name: NODE, maxPods: Math.max(110, N * 3) });
    hollow.bindUnscheduled = mode === 'pods';
    await hollow.start();
    stops.push(() => hollow.stop());
    notes.push(`hollow node "${NODE}": no containers run; one status write per Pod sets its IP and Ready (as kubemark/KWOK)${mode === 'pods' ? ', and it binds unscheduled Pods' : ''}`);

    await kubectl(sb, ['expose', 'deployment', 'bench', '--port=80', '--target-port=80', '-n', NS]);
    const watch = new SliceWatch(client);
    await watch.start();
    stops.push(async () => watch.stop());
    await until('placeholder slice', () => watch.slices.size > 0, 10_000);

    // 1. scale 0 → N
    const podsApi = client.resource<Pod>(builtin('pods'));
    const podTemplate = (name: string, gen: string): Pod => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: NS, labels: { app: 'bench', gen } },
      spec: { nodeSelector: { type: 'hollow' }, containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
    });
    watch.resetCounts();
    const t0 = performance.now();
    if (mode === 'deployment') await kubectl(sb, ['scale', 'deployment', 'bench', `--replicas=${N}`, '-n', NS]);
    else await Promise.all(Array.from({ length: N }, (_, i) => podsApi.create(NS, podTemplate(`bench-a-${i}`, 'a'))));
    const tIssued = performance.now();
    await until(`${N} ready endpoints`, () => watch.readyPodNames().length === N);
    const tScaled = performance.now();
    const scaleWrites = watch.writes;
    const scaleSlices = watch.slices.size;
    const scaledNames = watch.readyPodNames();
    const scaleLat = readyToSlice(hollow, watch, scaledNames);
    const tLastSeen = lastOf(hollow.seenAt, scaledNames);
    const tLastBound = lastOf(hollow.boundAt, scaledNames);
    const tAllReady = lastOf(hollow.readyAt, scaledNames);

    // 2. rolling update of N Pods
    await sleep(500);
    const oldNames = new Set(watch.readyPodNames());
    watch.resetCounts();
    const r0 = performance.now();
    if (mode === 'deployment') await kubectl(sb, ['rollout', 'restart', 'deployment/bench', '-n', NS]);
    else {
      // maxSurge SURGE, maxUnavailable 0: a wave of new Pods, then as many old ones deleted.
      const old = [...oldNames];
      for (let w = 0; w * SURGE < N; w++) {
        const wave = Array.from({ length: Math.min(SURGE, N - w * SURGE) }, (_, k) => `bench-b-${w * SURGE + k}`);
        await Promise.all(wave.map((name) => podsApi.create(NS, podTemplate(name, 'b'))));
        await until('wave ready', () => wave.every((n) => watch.readyPodNames().includes(n)));
        await Promise.all(old.splice(0, wave.length).map((name) => podsApi.delete(NS, name)));
      }
    }
    await until('rollout done in the slices', () => {
      const eps = watch.endpoints();
      return eps.length === N && eps.every((e) => e.conditions?.ready === true && !oldNames.has(e.targetRef?.name ?? ''));
    }, 300_000, 20);
    const r1 = performance.now();
    const rollLat = readyToSlice(hollow, watch, watch.readyPodNames());
    const roll = { ...watch.sliceEvents, total: watch.writes, endpoints: watch.endpointsEvents, slices: watch.slices.size };
    if (mode === 'deployment') {
      const d = await deployments.get(NS, 'bench');
      notes.push(`rollout: Deployment strategy ${JSON.stringify(d.spec?.strategy ?? {})}`);
    } else notes.push(`rollout: waves of ${SURGE} new Pods, each followed by deleting ${SURGE} old ones (maxSurge ${SURGE}, maxUnavailable 0)`);

    const f = (ms: number): string => `${ms.toFixed(0)} ms`;
    console.log(`# bench/controllers: replicas=${N} mode=${mode} store=sqlite`);
    for (const n of notes) console.log(`# ${n}`);
    console.log('# peer: upstream kube-controller-manager is not runnable on this machine; upstream figures below are context from');
    console.log('#   ../shared/reference/apiserver.md §6 (sig-scalability SLOs/thresholds), not a measurement here.');
    console.log('');
    console.log(`${'figure'.padEnd(58)} ${'switchboard'.padStart(14)}   upstream (context)`);
    const row = (name: string, v: string, up: string): void => console.log(`${name.padEnd(58)} ${v.padStart(14)}   ${up}`);
    row(`scale 0 → ${N}: ${mode === 'deployment' ? 'kubectl scale' : 'Pod creates'} returned`, f(tIssued - t0), '');
    row(`scale 0 → ${N}: last Pod created (seen by the hollow node)`, f(tLastSeen - t0), '');
    row(`scale 0 → ${N}: last Pod bound to a node`, f(tLastBound - t0), '');
    row(`scale 0 → ${N}: all Pods Ready (hollow node)`, f(tAllReady - t0), 'pod startup p99 <= 5 s (SLO, excl. image pulls)');
    row(`scale 0 → ${N}: ${N} ready endpoints in the slices`, f(tScaled - t0), 'network programming latency: SLI, no target yet');
    row(`scale 0 → ${N}: Pod Ready → ready in a slice, p50 / p99`, `${f(pct(scaleLat, 50))} / ${f(pct(scaleLat, 99))}`, '');
    row(`scale 0 → ${N}: slice writes / slices`, `${scaleWrites} / ${scaleSlices}`, 'max 100 endpoints per slice (default)');
    row(`rolling update of ${N}: duration`, f(r1 - r0), '');
    row(`rolling update of ${N}: EndpointSlice writes (add/mod/del)`, `${roll.total} (${roll.ADDED}/${roll.MODIFIED}/${roll.DELETED})`, 'mutating API p99 <= 1 s per write (SLO)');
    row(`rolling update of ${N}: slice writes per replaced Pod`, (roll.total / N).toFixed(2), '');
    row(`rolling update of ${N}: Pod Ready → ready in a slice, p50 / p99`, `${f(pct(rollLat, 50))} / ${f(pct(rollLat, 99))}`, '');
    row(`rolling update of ${N}: Endpoints writes`, String(roll.endpoints), '');
    row(`rolling update of ${N}: slices afterwards`, String(roll.slices), '');
    row('hollow node status writes (all)', String(hollow.statusWrites), '');
    if (endpointCtl !== undefined) {
      const st = endpointCtl.endpointSlices.stats;
      row('EndpointSlice controller: syncs / put off (stale cache) / lost races', `${st.syncs} / ${st.staleCache} / ${st.conflicts}`, '');
    }
  } finally {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    client.close();
    await sb.stop();
  }
}

await main();
