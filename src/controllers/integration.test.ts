// The workload controllers against a real in-process API server (memory store, TLS, the real
// Client): scaling, rolling updates, rollout restart, ReplicaSet replacement, StatefulSet order and
// names, garbage collection in all three modes, the scheduler, and convergence after a restart.
// Pod status is set by FakeKubelet (the node agent's part), as the issue asks.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deployment, Event, Node, Pod, ReplicaSet, StatefulSet } from '../api/types.ts';
import { builtin, type Client } from '../client/index.ts';
import { startTestServer, type TestServer } from '../client/testing.ts';
import { startControllers, type RunningControllers } from './index.ts';
import { FakeKubelet, newDeployment, newReplicaSet, newStatefulSet, readyNode, waitFor } from './testing.ts';
import { revisionAnnotation } from './deployment/util.ts';

const deployRef = builtin('deployments', 'apps');
const rsRef = builtin('replicasets', 'apps');
const stsRef = builtin('statefulsets', 'apps');
const podsRef = builtin('pods');
const nodesRef = builtin('nodes');
const eventsRef = builtin('events');

let ts: TestServer;
let client: Client;
let cm: RunningControllers;

before(async () => {
  ts = await startTestServer();
  client = ts.client;
  cm = await startControllers({ log: (l, m) => { if (process.env['SB_CM_LOG'] !== undefined) process.stderr.write(`cm ${l} ${m}\n`); }, client: ts.newClient(), controllers: ['replicaset', 'deployment', 'statefulset', 'scheduler', 'garbagecollector'], gcRediscoverMs: 1000 });
});

after(async () => {
  await cm?.stop();
  await ts?.close();
});

async function pods(ns: string, selector?: string): Promise<Pod[]> {
  return (await client.resource<Pod>(podsRef).list(ns, selector === undefined ? {} : { labelSelector: selector })).items;
}

async function replicaSets(ns: string): Promise<ReplicaSet[]> {
  return (await client.resource<ReplicaSet>(rsRef).list(ns)).items;
}

async function deployment(ns: string, name: string): Promise<Deployment> {
  return client.resource<Deployment>(deployRef).get(ns, name);
}

async function events(ns: string, name: string): Promise<string[]> {
  const list = await client.resource<Event>(eventsRef).list(ns, { fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e) => `${e.type ?? ''} ${e.reason ?? ''} ${e.message ?? ''}`);
}

/** `kubectl rollout status` for a Deployment: done when the controller says so. */
function rolledOut(d: Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (d.metadata.generation ?? 0) <= (s.observedGeneration ?? 0) && (s.updatedReplicas ?? 0) >= want && (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) && (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0);
}

async function scale(ns: string, name: string, replicas: number): Promise<void> {
  await client.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/${name}/scale`, JSON.stringify({ spec: { replicas } }), { contentType: 'application/merge-patch+json' });
}

describe('Deployment', () => {
  let kubelet: FakeKubelet;
  before(async () => {
    await ts.createNamespace('deploy');
    kubelet = new FakeKubelet(client, { namespace: 'deploy' }).start();
  });
  after(async () => {
    await kubelet.stop();
  });

  test('creates <name>-<hash>, its pods, and reports a complete rollout', async () => {
    await client.resource<Deployment>(deployRef).create('deploy', newDeployment('deploy', 'web', 3));
    const d = await waitFor('rollout', async () => {
      const x = await deployment('deploy', 'web');
      return rolledOut(x) && (x.status?.availableReplicas ?? 0) === 3 ? x : undefined;
    });
    const rss = await replicaSets('deploy');
    assert.equal(rss.length, 1);
    const rs = rss[0];
    assert.ok(rs !== undefined);
    const hash = rs.metadata.labels?.['pod-template-hash'] ?? '';
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.metadata.annotations?.[revisionAnnotation], '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
    assert.deepEqual(rs.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller, r.blockOwnerDeletion]), [['Deployment', 'web', true, true]]);
    assert.equal(d.metadata.annotations?.[revisionAnnotation], '1');
    const ps = await pods('deploy', 'app=web');
    assert.equal(ps.length, 3);
    for (const p of ps) {
      assert.match(p.metadata.name ?? '', new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      assert.equal(p.metadata.ownerReferences?.[0]?.name, rs.metadata.name);
      assert.equal(p.metadata.labels?.['pod-template-hash'], hash);
    }
    const conds = Object.fromEntries((d.status?.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason ?? ''}`]));
    assert.deepEqual(conds, { Available: 'True MinimumReplicasAvailable', Progressing: 'True NewReplicaSetAvailable' });
    assert.deepEqual({ ...d.status, conditions: undefined }, {
      observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0, conditions: undefined,
    });
    await waitFor('events', async () => (await events('deploy', 'web')).includes(`Normal ScalingReplicaSet Scaled up replica set ${rs.metadata.name ?? ''} from 0 to 3`));
    await waitFor('rs events', async () => (await events('deploy', rs.metadata.name ?? '')).filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: ')).length === 3);
  });

  test('scale 3 → 1 → 3 through the scale subresource', async () => {
    await scale('deploy', 'web', 1);
    await waitFor('1 pod', async () => (await pods('deploy', 'app=web')).length === 1);
    const d1 = await waitFor('status 1', async () => {
      const x = await deployment('deploy', 'web');
      return (x.status?.replicas ?? 0) === 1 && rolledOut(x) ? x : undefined;
    });
    assert.equal(d1.status?.availableReplicas, 1);
    await scale('deploy', 'web', 3);
    await waitFor('3 ready', async () => {
      const x = await deployment('deploy', 'web');
      return (x.status?.availableReplicas ?? 0) === 3 && rolledOut(x);
    });
    assert.equal((await pods('deploy', 'app=web')).length, 3);
    assert.equal((await replicaSets('deploy')).length, 1);
    const ev = await events('deploy', 'web');
    assert.ok(ev.some((e) => /^Normal ScalingReplicaSet Scaled down replica set web-\S+ from 3 to 1$/.test(e)), ev.join('\n'));
    assert.ok(ev.some((e) => /^Normal ScalingReplicaSet Scaled up replica set web-\S+ from 1 to 3$/.test(e)), ev.join('\n'));
  });

  test('a rolling update moves every pod to the new template within maxSurge/maxUnavailable', async () => {
    const rc = client.resource<Deployment>(deployRef);
    const before = await rc.get('deploy', 'web');
    let maxPods = 0;
    const watcher = setInterval(() => {
      void pods('deploy', 'app=web').then((ps) => {
        maxPods = Math.max(maxPods, ps.filter((p) => p.metadata.deletionTimestamp === undefined).length);
      }, () => undefined);
    }, 5);
    try {
      await rc.patch('deploy', 'web', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } }, 'strategic');
      const d = await waitFor('rolled out', async () => {
        const x = await rc.get('deploy', 'web');
        return rolledOut(x) && (x.metadata.generation ?? 0) > (before.metadata.generation ?? 0) && (x.status?.replicas ?? 0) === 3 ? x : undefined;
      });
      assert.equal(d.metadata.annotations?.[revisionAnnotation], '2');
    } finally {
      clearInterval(watcher);
    }
    // 25% of 3: surge 1 (rounded up), unavailable 0 (rounded down).
    assert.ok(maxPods <= 4, `saw ${maxPods} pods`);
    const rss = await replicaSets('deploy');
    assert.equal(rss.length, 2);
    const byRev = new Map(rss.map((rs) => [rs.metadata.annotations?.[revisionAnnotation], rs]));
    assert.equal(byRev.get('1')?.spec?.replicas, 0);
    assert.equal(byRev.get('2')?.spec?.replicas, 3);
    const ps = await waitFor('old pods gone', async () => {
      const x = await pods('deploy', 'app=web');
      return x.length === 3 ? x : undefined;
    });
    for (const p of ps) assert.equal(p.spec?.containers[0]?.image, 'nginx:1.26');
  });

  test('rollout restart rolls to revision 3 and kubectl rollout status would finish', async () => {
    const rc = client.resource<Deployment>(deployRef);
    await rc.patch('deploy', 'web', { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T10:00:00Z' } } } } }, 'strategic');
    const d = await waitFor('restarted', async () => {
      const x = await rc.get('deploy', 'web');
      return x.metadata.annotations?.[revisionAnnotation] === '3' && rolledOut(x) && (x.status?.replicas ?? 0) === 3 ? x : undefined;
    });
    assert.equal(getProgressing(d), 'True NewReplicaSetAvailable');
    const ps = await waitFor('3 new pods', async () => {
      const x = await pods('deploy', 'app=web');
      return x.length === 3 ? x : undefined;
    });
    for (const p of ps) assert.equal(p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], '2024-05-01T10:00:00Z');
    assert.equal((await replicaSets('deploy')).length, 3);
  });

  test('revisionHistoryLimit removes the oldest idle ReplicaSets', async () => {
    const rc = client.resource<Deployment>(deployRef);
    await rc.patch('deploy', 'web', { spec: { revisionHistoryLimit: 1 } }, 'merge');
    await waitFor('history trimmed', async () => (await replicaSets('deploy')).length === 2);
    const revs = (await replicaSets('deploy')).map((rs) => rs.metadata.annotations?.[revisionAnnotation]).sort();
    assert.deepEqual(revs, ['2', '3']);
  });

  test('Recreate scales the old set to 0 before the new one comes up', async () => {
    const rc = client.resource<Deployment>(deployRef);
    await rc.create('deploy', newDeployment('deploy', 'rec', 2, (d) => {
      d.spec = { ...d.spec, strategy: { type: 'Recreate' } };
    }));
    await waitFor('rec ready', async () => rolledOut(await rc.get('deploy', 'rec')) && ((await rc.get('deploy', 'rec')).status?.availableReplicas ?? 0) === 2);
    await rc.patch('deploy', 'rec', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } }, 'strategic');
    await waitFor('rec rolled', async () => {
      const x = await rc.get('deploy', 'rec');
      return rolledOut(x) && (x.status?.availableReplicas ?? 0) === 2 && x.metadata.annotations?.[revisionAnnotation] === '2';
    });
    const ps = await pods('deploy', 'app=rec');
    assert.equal(ps.length, 2);
    for (const p of ps) assert.equal(p.spec?.containers[0]?.image, 'nginx:1.26');
  });
});

function getProgressing(d: Deployment): string {
  const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
  return `${c?.status ?? ''} ${c?.reason ?? ''}`;
}

describe('ReplicaSet', () => {
  before(async () => {
    await ts.createNamespace('rs');
  });

  test('replaces deleted and failed pods, adopts orphans, releases strays', async () => {
    const rc = client.resource<ReplicaSet>(rsRef);
    const pc = client.resource<Pod>(podsRef);
    await rc.create('rs', newReplicaSet('rs', 'app', 2));
    const first = await waitFor('2 pods', async () => {
      const x = await pods('rs', 'app=app');
      return x.length === 2 ? x : undefined;
    });
    const victim = first[0]?.metadata.name ?? '';
    await pc.delete('rs', victim);
    await waitFor('replaced', async () => {
      const x = await pods('rs', 'app=app');
      return x.length === 2 && !x.some((p) => p.metadata.name === victim);
    });
    const failing = (await pods('rs', 'app=app'))[0];
    assert.ok(failing !== undefined);
    await pc.updateStatus({ ...failing, status: { ...failing.status, phase: 'Failed' } });
    await waitFor('failed replaced', async () => (await pods('rs', 'app=app')).filter((p) => p.status?.phase !== 'Failed').length === 2);
    // An orphan with matching labels is adopted instead of creating more.
    await rc.patch('rs', 'app', { spec: { replicas: 3 } }, 'merge');
    await waitFor('3 active', async () => (await pods('rs', 'app=app')).filter((p) => p.status?.phase !== 'Failed').length === 3);
    // A pod relabelled out of the selector is released (its ownerReference removed) and replaced.
    const stray = (await pods('rs', 'app=app')).find((p) => p.status?.phase !== 'Failed');
    assert.ok(stray !== undefined);
    await pc.patch('rs', stray.metadata.name ?? '', { metadata: { labels: { app: 'other' } } }, 'merge');
    await waitFor('released', async () => ((await pc.get('rs', stray.metadata.name ?? '')).metadata.ownerReferences ?? []).length === 0);
    await waitFor('replaced stray', async () => (await pods('rs', 'app=app')).filter((p) => p.status?.phase !== 'Failed').length === 3);
    await pc.patch('rs', stray.metadata.name ?? '', { metadata: { labels: { app: 'app' } } }, 'merge');
    await waitFor('adopted back, one deleted', async () => {
      const x = (await pods('rs', 'app=app')).filter((p) => p.status?.phase !== 'Failed');
      return x.length === 3 && x.every((p) => p.metadata.ownerReferences?.[0]?.name === 'app');
    });
    const rs = await waitFor('status', async () => {
      const x = await rc.get('rs', 'app');
      return x.status?.replicas === 3 && x.status.observedGeneration === x.metadata.generation ? x : undefined;
    });
    assert.equal(rs.status?.fullyLabeledReplicas, 3);
  });
});

describe('StatefulSet', () => {
  before(async () => {
    await ts.createNamespace('sts');
  });

  test('creates <name>-0..2 in order, keeps names, scales down from the top', async () => {
    const sc = client.resource<StatefulSet>(stsRef);
    const pc = client.resource<Pod>(podsRef);
    const ready = new Set<string>();
    const kubelet = new FakeKubelet(client, { namespace: 'sts', skip: (p) => !ready.has(p.metadata.name ?? '') && p.metadata.deletionTimestamp === undefined }).start();
    try {
      await sc.create('sts', newStatefulSet('sts', 'db', 3));
      const p0 = await waitFor('db-0', async () => (await pods('sts')).find((p) => p.metadata.name === 'db-0'));
      assert.equal(p0.spec?.hostname, 'db-0');
      assert.equal(p0.spec?.subdomain, 'db');
      assert.equal(p0.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'db-0');
      assert.equal(p0.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
      assert.match(p0.metadata.labels?.['controller-revision-hash'] ?? '', /^db-[bcdfghjklmnpqrstvwxz2456789]+$/);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual((await pods('sts')).map((p) => p.metadata.name), ['db-0'], 'db-1 waits for db-0 to be ready');
      ready.add('db-0');
      kubelet.controller.enqueue('sts/db-0');
      await waitFor('db-1', async () => (await pods('sts')).some((p) => p.metadata.name === 'db-1'));
      ready.add('db-1');
      ready.add('db-2');
      kubelet.controller.enqueue('sts/db-1');
      const all = await waitFor('3 ready', async () => {
        const s = await sc.get('sts', 'db');
        return s.status?.readyReplicas === 3 ? s : undefined;
      });
      assert.equal(all.status?.currentRevision, all.status?.updateRevision);
      assert.deepEqual((await pods('sts')).map((p) => p.metadata.name).sort(), ['db-0', 'db-1', 'db-2']);
      // A deleted ordinal comes back with the same name.
      const oldUID = (await pc.get('sts', 'db-1')).metadata.uid;
      await pc.delete('sts', 'db-1');
      await waitFor('db-1 again', async () => {
        const p = await pc.get('sts', 'db-1').catch(() => undefined);
        return p !== undefined && p.metadata.uid !== oldUID;
      });
      await waitFor('3 ready again', async () => (await sc.get('sts', 'db')).status?.readyReplicas === 3);
      // Scale down: db-2 goes before db-1.
      await sc.patch('sts', 'db', { spec: { replicas: 1 } }, 'merge');
      await waitFor('scaled to 1', async () => (await pods('sts')).map((p) => p.metadata.name).join() === 'db-0');
      const ev = await events('sts', 'db');
      const deletes = ev.filter((e) => e.startsWith('Normal SuccessfulDelete'));
      assert.deepEqual(deletes.slice(-2), ['Normal SuccessfulDelete delete Pod db-2 in StatefulSet db successful', 'Normal SuccessfulDelete delete Pod db-1 in StatefulSet db successful']);
      assert.ok(ev.includes('Normal SuccessfulCreate create Pod db-0 in StatefulSet db successful'));
    } finally {
      await kubelet.stop();
    }
  });

  test('Parallel creates every ordinal at once', async () => {
    const sc = client.resource<StatefulSet>(stsRef);
    await sc.create('sts', newStatefulSet('sts', 'par', 3, (s) => {
      s.spec = { ...s.spec, podManagementPolicy: 'Parallel' };
    }));
    await waitFor('3 pods without readiness', async () => (await pods('sts', 'app=par')).length === 3);
  });
});

describe('garbage collector', () => {
  before(async () => {
    await ts.createNamespace('gc');
  });

  test('background: deleting a Deployment removes its ReplicaSets and pods', async () => {
    const dc = client.resource<Deployment>(deployRef);
    await dc.create('gc', newDeployment('gc', 'bg', 2));
    await waitFor('pods', async () => (await pods('gc', 'app=bg')).length === 2);
    await dc.delete('gc', 'bg', { propagationPolicy: 'Background' });
    await waitFor('all gone', async () => (await pods('gc', 'app=bg')).length === 0 && (await replicaSets('gc')).filter((r) => r.metadata.name?.startsWith('bg-') === true).length === 0);
  });

  test('foreground: the owner stays until its blocking dependents are gone', async () => {
    const rc = client.resource<ReplicaSet>(rsRef);
    await rc.create('gc', newReplicaSet('gc', 'fg', 2));
    await waitFor('pods', async () => (await pods('gc', 'app=fg')).length === 2);
    // A finalizer on one pod keeps it (and so the owner) around.
    const held = (await pods('gc', 'app=fg'))[0];
    assert.ok(held !== undefined);
    const pc = client.resource<Pod>(podsRef);
    await pc.patch('gc', held.metadata.name ?? '', { metadata: { finalizers: ['test/hold'] } }, 'merge');
    await rc.delete('gc', 'fg', { propagationPolicy: 'Foreground' });
    const waiting = await waitFor('owner waiting', async () => {
      const x = await rc.get('gc', 'fg');
      return x.metadata.deletionTimestamp !== undefined ? x : undefined;
    });
    assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);
    await waitFor('other pod gone', async () => (await pods('gc', 'app=fg')).length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok((await rc.get('gc', 'fg')).metadata.deletionTimestamp !== undefined, 'owner kept while a blocking dependent exists');
    await pc.patch('gc', held.metadata.name ?? '', { metadata: { finalizers: null } }, 'merge');
    await waitFor('owner gone', async () => (await rc.get('gc', 'fg').then(() => false, () => true)));
    assert.equal((await pods('gc', 'app=fg')).length, 0);
  });

  test('foreground through two levels: Deployment waits for its ReplicaSet, which waits for its pods', async () => {
    const dc = client.resource<Deployment>(deployRef);
    await dc.create('gc', newDeployment('gc', 'fg2', 2));
    await waitFor('pods', async () => (await pods('gc', 'app=fg2')).length === 2);
    await dc.delete('gc', 'fg2', { propagationPolicy: 'Foreground' });
    await waitFor('deployment gone', async () => dc.get('gc', 'fg2').then(() => false, () => true));
    assert.equal((await pods('gc', 'app=fg2')).length, 0, 'pods were gone before the Deployment');
    assert.equal((await replicaSets('gc')).filter((r) => r.metadata.name?.startsWith('fg2-') === true).length, 0);
  });

  test('orphan: dependents lose their ownerReferences and stay', async () => {
    const rc = client.resource<ReplicaSet>(rsRef);
    await rc.create('gc', newReplicaSet('gc', 'or', 2));
    await waitFor('pods', async () => (await pods('gc', 'app=or')).length === 2);
    // Keep the ReplicaSet controller from replacing anything: it is being deleted.
    await rc.delete('gc', 'or', { propagationPolicy: 'Orphan' });
    await waitFor('owner gone', async () => (await rc.get('gc', 'or').then(() => false, () => true)));
    const left = await pods('gc', 'app=or');
    assert.equal(left.length, 2);
    for (const p of left) assert.equal(p.metadata.ownerReferences, undefined);
  });

  test('a dependent created for an owner that no longer exists is collected', async () => {
    const pc = client.resource<Pod>(podsRef);
    await pc.create('gc', {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'ghost', namespace: 'gc', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nope', uid: '00000000-0000-0000-0000-000000000000' }] },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    await waitFor('ghost collected', async () => (await pc.get('gc', 'ghost').then(() => false, () => true)));
  });
});

describe('namespace deletion', () => {
  test('a namespace with workloads goes away while the controllers run', async () => {
    const nsRef = builtin('namespaces');
    await ts.createNamespace('doomed');
    await client.resource<Deployment>(deployRef).create('doomed', newDeployment('doomed', 'web', 3));
    await client.resource<StatefulSet>(stsRef).create('doomed', newStatefulSet('doomed', 'db', 2, (s) => {
      s.spec = { ...s.spec, podManagementPolicy: 'Parallel' };
    }));
    await waitFor('pods', async () => (await pods('doomed')).length === 5);
    await client.resource(nsRef).delete('', 'doomed');
    await waitFor('namespace gone', async () => client.resource(nsRef).get('', 'doomed').then(() => false, () => true), 15_000);
  });
});

describe('scheduler', () => {
  before(async () => {
    await ts.createNamespace('sched');
  });

  test('binds to the least loaded ready node that matches, reports FailedScheduling otherwise', async () => {
    const nc = client.resource<Node>(nodesRef);
    const pc = client.resource<Pod>(podsRef);
    await nc.create('', readyNode('node-a', (n) => {
      (n.metadata.labels ??= {})['disk'] = 'ssd';
    }));
    await nc.create('', readyNode('node-b'));
    await nc.create('', readyNode('node-c', (n) => {
      n.status = { ...n.status, conditions: [{ type: 'Ready', status: 'False' }] };
    }));
    const mk = (name: string, sel?: Record<string, string>): Pod => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'sched' },
      spec: { containers: [{ name: 'c', image: 'busybox' }], terminationGracePeriodSeconds: 0, ...(sel !== undefined ? { nodeSelector: sel } : {}) },
    });
    for (const n of ['p1', 'p2', 'p3', 'p4']) await pc.create('sched', mk(n));
    const placed = await waitFor('bound', async () => {
      const x = await pods('sched');
      return x.every((p) => (p.spec?.nodeName ?? '') !== '') ? x : undefined;
    });
    const perNode = new Map<string, number>();
    for (const p of placed) perNode.set(p.spec?.nodeName ?? '', (perNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
    assert.deepEqual([...perNode].sort(), [['node-a', 2], ['node-b', 2]]);
    await waitFor('Scheduled event', async () => (await events('sched', 'p1')).some((e) => /^Normal Scheduled Successfully assigned sched\/p1 to node-[ab]$/.test(e)));
    const scheduled = await pc.get('sched', 'p1');
    assert.equal(scheduled.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');

    await pc.create('sched', mk('ssd', { disk: 'ssd' }));
    await waitFor('ssd on node-a', async () => (await pc.get('sched', 'ssd')).spec?.nodeName === 'node-a');

    await pc.create('sched', mk('gpu', { gpu: 'yes' }));
    const msg = "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    await waitFor('FailedScheduling', async () => (await events('sched', 'gpu')).includes(`Warning FailedScheduling ${msg}`));
    const gpu = await waitFor('condition', async () => {
      const p = await pc.get('sched', 'gpu');
      return p.status?.conditions?.some((c) => c.type === 'PodScheduled') === true ? p : undefined;
    });
    const cond = gpu.status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['False', 'Unschedulable', msg]);
    // A node that fits appears: the pod is retried at once.
    await nc.patch('', 'node-b', { metadata: { labels: { gpu: 'yes' } } }, 'merge');
    await waitFor('gpu bound', async () => (await pc.get('sched', 'gpu')).spec?.nodeName === 'node-b');
  });
});

describe('restart convergence', () => {
  test('controllers stopped mid-rollout and started again converge without extra pods', async () => {
    // A server of its own: no other controllers act on it.
    const ts2 = await startTestServer();
    const c2 = ts2.client;
    await ts2.createNamespace('restart');
    const kubelet = new FakeKubelet(c2, { namespace: 'restart' }).start();
    const first = await startControllers({ client: ts2.newClient(), controllers: ['replicaset', 'deployment'] });
    let second: RunningControllers | undefined;
    const list = async (): Promise<Pod[]> => (await c2.resource<Pod>(podsRef).list('restart', { labelSelector: 'app=r' })).items;
    const sets = async (): Promise<ReplicaSet[]> => (await c2.resource<ReplicaSet>(rsRef).list('restart')).items;
    try {
      const dc = c2.resource<Deployment>(deployRef);
      await dc.create('restart', newDeployment('restart', 'r', 6, (d) => {
        d.spec = { ...d.spec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } } };
      }));
      await waitFor('ready', async () => {
        const d = await dc.get('restart', 'r');
        return rolledOut(d) && (d.status?.availableReplicas ?? 0) === 6;
      });
      await dc.patch('restart', 'r', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } }, 'strategic');
      await waitFor('mid-rollout', async () => (await sets()).length === 2);
      await first.stop();
      const mid = (await list()).filter((p) => p.metadata.deletionTimestamp === undefined).length;
      assert.ok(mid <= 8, `at most replicas + maxSurge pods mid-rollout, saw ${mid}`);
      second = await startControllers({ client: ts2.newClient(), controllers: ['replicaset', 'deployment'] });
      await waitFor('converged', async () => {
        const d = await dc.get('restart', 'r');
        return rolledOut(d) && (d.status?.replicas ?? 0) === 6 && (d.status?.availableReplicas ?? 0) === 6;
      }, 20_000);
      const ps = await waitFor('6 pods', async () => {
        const x = (await list()).filter((p) => p.metadata.deletionTimestamp === undefined);
        return x.length === 6 ? x : undefined;
      });
      for (const p of ps) assert.equal(p.spec?.containers[0]?.image, 'nginx:1.26');
      const rss = await sets();
      assert.equal(rss.length, 2, 'no duplicate ReplicaSet');
      assert.deepEqual(rss.map((r) => r.spec?.replicas).sort(), [0, 6]);
      assert.deepEqual(rss.map((r) => r.metadata.annotations?.[revisionAnnotation]).sort(), ['1', '2']);
    } finally {
      await second?.stop();
      await first.stop();
      await kubelet.stop();
      await ts2.close();
    }
  });
});
