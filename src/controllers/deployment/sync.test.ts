import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment, Pod, ReplicaSet } from '../../api/types.ts';
import { computeHash } from '../common/hash.ts';
import { findActiveOrLatest, newReplicaSetFor, planDeployment, type DeploymentAction, type DeploymentSyncInput } from './sync.ts';
import { desiredReplicasAnnotation, maxReplicasAnnotation, revisionAnnotation } from './util.ts';

const now = Date.parse('2024-05-01T10:00:00Z');
const at = (s: number): string => new Date(now + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function deploy(f?: (d: Deployment & { spec: NonNullable<Deployment['spec']> }) => void): Deployment {
  const d = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', uid: 'd1', generation: 1 } as Deployment['metadata'],
    spec: {
      replicas: 3, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
    } as NonNullable<Deployment['spec']>,
  };
  f?.(d);
  return d;
}

/** The ReplicaSet the Deployment's current template makes, as stored, with `replicas` all available. */
function current(d: Deployment, replicas: number, revision: string, f?: (r: ReplicaSet) => void): ReplicaSet {
  const rs = newReplicaSetFor(d);
  rs.metadata.uid = `uid-${rs.metadata.name ?? ''}`;
  rs.metadata.creationTimestamp = at(-600);
  rs.metadata.generation = 1;
  rs.metadata.annotations = { [revisionAnnotation]: revision, [desiredReplicasAnnotation]: String(d.spec?.replicas ?? 0), [maxReplicasAnnotation]: String((d.spec?.replicas ?? 0) + 1) };
  rs.spec = { ...rs.spec, replicas };
  rs.status = { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 };
  f?.(rs);
  return rs;
}

function old(name: string, replicas: number, revision: string, ageS: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: {
      name, namespace: 'ns', uid: `uid-${name}`, generation: 1, creationTimestamp: at(-ageS), labels: { app: 'web', 'pod-template-hash': name },
      annotations: { [revisionAnnotation]: revision }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }],
    },
    spec: { replicas, selector: { matchLabels: { app: 'web', 'pod-template-hash': name } }, template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image: `old-${name}` }] } } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
  };
}

function input(d: Deployment, rss: ReplicaSet[], pods: Map<string, Pod[]> = new Map()): DeploymentSyncInput {
  return { deployment: d, replicaSets: rss, podsByReplicaSet: pods, now };
}

/** A one-line summary of each action. */
function summary(actions: readonly DeploymentAction[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'createReplicaSet': return `create ${a.rs.metadata.name ?? ''} replicas=${a.rs.spec?.replicas ?? 0}`;
      case 'updateReplicaSet': return `update ${a.rs.metadata.name ?? ''} replicas=${a.rs.spec?.replicas ?? 0}`;
      case 'deleteReplicaSet': return `delete ${a.rs.metadata.name ?? ''}`;
      case 'setRevision': return `revision ${a.revision}`;
      case 'event': return `${a.type} ${a.reason} ${a.message}`;
    }
    return '';
  });
}

const hash = computeHash(deploy().spec?.template);

describe('planDeployment', () => {
  test('a new Deployment: creates <name>-<hash> at full size, revision 1, Progressing NewReplicaSetCreated', () => {
    const plan = planDeployment(input(deploy(), []));
    assert.deepEqual(summary(plan.actions), [
      `create web-${hash} replicas=3`,
      `Normal ScalingReplicaSet Scaled up replica set web-${hash} from 0 to 3`,
      'revision 1',
    ]);
    const created = plan.actions[0];
    assert.ok(created?.kind === 'createReplicaSet');
    assert.deepEqual(created.rs.metadata.labels, { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(created.rs.spec?.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.deepEqual(created.rs.metadata.annotations, { [revisionAnnotation]: '1', [desiredReplicasAnnotation]: '3', [maxReplicasAnnotation]: '4' });
    assert.deepEqual(created.rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(plan.status, {
      observedGeneration: 1, replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 3,
      conditions: [
        { type: 'Progressing', status: 'True', lastUpdateTime: at(0), lastTransitionTime: at(0), reason: 'NewReplicaSetCreated', message: `Created new replica set "web-${hash}"` },
        { type: 'Available', status: 'False', lastUpdateTime: at(0), lastTransitionTime: at(0), reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      ],
    });
  });

  test('all pods available: Available and Progressing NewReplicaSetAvailable, then nothing more to write', () => {
    const d = deploy((x) => {
      x.metadata.annotations = { [revisionAnnotation]: '1' };
      x.status = { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', lastUpdateTime: at(-10), lastTransitionTime: at(-10) }] };
    });
    const rs = current(d, 3, '1');
    const plan = planDeployment(input(d, [rs]));
    assert.deepEqual(summary(plan.actions), []);
    const conds = Object.fromEntries((plan.status?.conditions ?? []).map((c) => [c.type, [c.status, c.reason, c.message]]));
    assert.deepEqual(conds, {
      Progressing: ['True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`],
      Available: ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
    });
    const again = planDeployment(input({ ...d, status: plan.status ?? {} }, [rs]));
    assert.equal(again.status, undefined, 'a steady state writes nothing');
    assert.deepEqual(again.actions, []);
  });

  test('a template change starts a rolling update: new set within surge, revision 2', () => {
    const d0 = deploy((x) => { x.metadata.annotations = { [revisionAnnotation]: '1' }; });
    const prev = current(d0, 3, '1');
    const d = deploy((x) => {
      x.metadata.generation = 2;
      x.metadata.annotations = { [revisionAnnotation]: '1' };
      x.spec.template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } };
    });
    const h2 = computeHash(d.spec?.template);
    const plan = planDeployment(input(d, [prev]));
    assert.deepEqual(summary(plan.actions), [
      `create web-${h2} replicas=1`,
      `Normal ScalingReplicaSet Scaled up replica set web-${h2} from 0 to 1`,
      'revision 2',
    ]);
    assert.equal(plan.status?.observedGeneration, 2);
  });

  test('a scaling event mid-rollout resizes both sets in proportion', () => {
    const d = deploy((x) => {
      x.spec.replicas = 20;
      x.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };
      x.metadata.annotations = { [revisionAnnotation]: '2' };
      x.status = { replicas: 13 };
    });
    const cur = current(d, 5, '2', (r) => { r.metadata.annotations = { [revisionAnnotation]: '2', [desiredReplicasAnnotation]: '10', [maxReplicasAnnotation]: '13' }; });
    const prev = old('old', 8, '1', 1200);
    (prev.metadata.annotations ??= {})[desiredReplicasAnnotation] = '10';
    prev.metadata.annotations[maxReplicasAnnotation] = '13';
    const plan = planDeployment(input(d, [prev, cur]));
    // 23 allowed − 13 = 10 more: old 8 → round(8·23/13)=14 (+6), new 5 → round(5·23/13)=9 (+4).
    assert.deepEqual(summary(plan.actions), [
      'update old replicas=14',
      'Normal ScalingReplicaSet Scaled up replica set old from 8 to 14',
      `update web-${hash} replicas=9`,
      `Normal ScalingReplicaSet Scaled up replica set web-${hash} from 5 to 9`,
    ]);
  });

  test('a plain scale of a settled Deployment scales its only set', () => {
    const d = deploy((x) => {
      x.spec.replicas = 1;
      x.metadata.annotations = { [revisionAnnotation]: '1' };
    });
    const rs = current(d, 3, '1', (r) => { r.metadata.annotations = { [revisionAnnotation]: '1', [desiredReplicasAnnotation]: '3', [maxReplicasAnnotation]: '4' }; });
    assert.deepEqual(summary(planDeployment(input(d, [rs])).actions), [
      `update web-${hash} replicas=1`,
      `Normal ScalingReplicaSet Scaled down replica set web-${hash} from 3 to 1`,
    ]);
  });

  test('an empty selector: SelectingAll warning, nothing else', () => {
    const d = deploy((x) => {
      x.spec.selector = {};
      x.metadata.generation = 2;
    });
    const plan = planDeployment(input(d, []));
    assert.deepEqual(summary(plan.actions), ['Warning SelectingAll This deployment is selecting all pods. A non-empty selector is required.']);
    assert.deepEqual(plan.status, { observedGeneration: 2 });
  });

  test('paused: no new set for a new template, Progressing Unknown DeploymentPaused', () => {
    const d0 = deploy();
    const prev = current(d0, 3, '1');
    const d = deploy((x) => {
      x.spec.paused = true;
      x.metadata.annotations = { [revisionAnnotation]: '1' };
      x.spec.template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } };
    });
    const plan = planDeployment(input(d, [prev]));
    assert.deepEqual(summary(plan.actions), []);
    const p = plan.status?.conditions?.find((c) => c.type === 'Progressing');
    assert.deepEqual([p?.status, p?.reason, p?.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
  });

  test('Recreate waits for the old pods to be gone before creating the new set', () => {
    const d0 = deploy();
    const prev = current(d0, 0, '1', (r) => { r.status = { replicas: 0 }; });
    const d = deploy((x) => {
      x.spec.strategy = { type: 'Recreate' };
      x.metadata.annotations = { [revisionAnnotation]: '1' };
      x.spec.template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } };
    });
    const terminating: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', deletionTimestamp: at(0) }, status: { phase: 'Running' } };
    const waiting = planDeployment(input(d, [prev], new Map([[prev.metadata.uid ?? '', [terminating]]])));
    assert.deepEqual(summary(waiting.actions).filter((a) => a.startsWith('create')), []);
    const go = planDeployment(input(d, [prev], new Map([[prev.metadata.uid ?? '', []]])));
    const h2 = computeHash(d.spec?.template);
    assert.deepEqual(summary(go.actions).slice(0, 2), [`create web-${h2} replicas=3`, `Normal ScalingReplicaSet Scaled up replica set web-${h2} from 0 to 3`]);
  });

  test('no progress for progressDeadlineSeconds: Progressing False ProgressDeadlineExceeded', () => {
    const d = deploy((x) => {
      x.metadata.annotations = { [revisionAnnotation]: '1' };
      x.status = {
        observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 3,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', lastUpdateTime: at(-601), lastTransitionTime: at(-601) }],
      };
    });
    const rs = current(d, 3, '1', (r) => { r.status = { replicas: 3, readyReplicas: 0, availableReplicas: 0 }; });
    const p = planDeployment(input(d, [rs])).status?.conditions?.find((c) => c.type === 'Progressing');
    assert.deepEqual([p?.status, p?.reason, p?.message], ['False', 'ProgressDeadlineExceeded', `ReplicaSet "web-${hash}" has timed out progressing.`]);
  });

  test('a stalled rollout is looked at again when the deadline passes', () => {
    const d = deploy((x) => {
      x.metadata.annotations = { [revisionAnnotation]: '1' };
      x.status = {
        observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 3,
        conditions: [
          { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "web-${hash}" is progressing.`, lastUpdateTime: at(-100), lastTransitionTime: at(-100) },
          { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: at(-100), lastTransitionTime: at(-100) },
        ],
      };
    });
    const rs = current(d, 3, '1', (r) => { r.status = { replicas: 3, readyReplicas: 0, availableReplicas: 0 }; });
    const plan = planDeployment(input(d, [rs]));
    assert.equal(plan.status, undefined);
    assert.equal(plan.requeueAfterMs, 501_000);
  });

  test('revisionHistoryLimit deletes the oldest idle sets once the rollout is complete', () => {
    const d = deploy((x) => {
      x.spec.revisionHistoryLimit = 1;
      x.metadata.annotations = { [revisionAnnotation]: '4' };
      x.status = { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3 };
    });
    const rs = current(d, 3, '4');
    const plan = planDeployment(input(d, [old('r1', 0, '1', 4000), old('r3', 0, '3', 2000), old('r2', 0, '2', 3000), rs]));
    assert.deepEqual(summary(plan.actions), ['delete r1', 'delete r2']);
  });

  test('a set with a new template that already exists is adopted as the new one (rollback)', () => {
    const d = deploy((x) => { x.metadata.annotations = { [revisionAnnotation]: '2' }; });
    const back = current(d, 0, '1', (r) => { r.status = { replicas: 0 }; });
    const newer = old('newer', 3, '2', 100);
    const plan = planDeployment(input(d, [back, newer]));
    const upd = plan.actions[0];
    assert.ok(upd?.kind === 'updateReplicaSet');
    assert.equal(upd.rs.metadata.name, `web-${hash}`);
    assert.equal(upd.rs.metadata.annotations?.[revisionAnnotation], '3');
    assert.equal(upd.rs.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  });
});

describe('findActiveOrLatest', () => {
  const a = old('a', 0, '1', 300);
  const b = old('b', 0, '2', 200);
  const c = old('c', 2, '3', 100);
  const rows = [
    { name: 'nothing', newRS: undefined, olds: [], want: undefined },
    { name: 'only one active', newRS: undefined, olds: [a, c], want: 'c' },
    { name: 'none active: the new one', newRS: b, olds: [a], want: 'b' },
    { name: 'none active and no new one: the newest old', newRS: undefined, olds: [a, b], want: 'b' },
    { name: 'several active: undefined', newRS: c, olds: [old('d', 1, '1', 50)], want: undefined },
  ];
  for (const r of rows) test(r.name, () => assert.equal(findActiveOrLatest(r.newRS, r.olds)?.metadata.name, r.want));
});
