// Rolling-update step math: a simulated cluster (ReplicaSets that get exactly the pods they ask
// for, which become available one step later) driven by the planner, for many maxSurge /
// maxUnavailable combinations. Invariants at every step: never more than replicas + maxSurge pods,
// never fewer than replicas − maxUnavailable available; the rollout always completes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment, IntOrString, ReplicaSet } from '../../api/types.ts';
import { planDeployment } from './sync.ts';
import { maxSurge, maxUnavailable, revisionAnnotation } from './util.ts';

const t0 = Date.parse('2024-05-01T10:00:00Z');

class Sim {
  d: Deployment;
  rss: ReplicaSet[] = [];
  /** spec.replicas of each set at the end of the previous step (those pods are available now). */
  last = new Map<string, number>();
  seq = 0;
  now = t0;

  constructor(replicas: number, surge: IntOrString, unavailable: IntOrString, strategy: 'RollingUpdate' | 'Recreate' = 'RollingUpdate') {
    this.d = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'web', namespace: 'ns', uid: 'd1', generation: 1 },
      spec: {
        replicas, selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } },
        strategy: strategy === 'Recreate' ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
        revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
      },
    };
  }

  setImage(image: string): void {
    this.d = structuredClone(this.d);
    const c = this.d.spec?.template?.spec?.containers[0];
    if (c !== undefined) c.image = image;
    this.d.metadata.generation = (this.d.metadata.generation ?? 0) + 1;
  }

  /** One controller sync, then the pods catch up. Returns available pods right after the sync's scale-downs. */
  step(): { total: number; availableAfterSync: number } {
    this.now += 1000;
    const plan = planDeployment({ deployment: this.d, replicaSets: this.rss, podsByReplicaSet: new Map(), now: this.now });
    for (const a of plan.actions) {
      if (a.kind === 'createReplicaSet') {
        const rs = structuredClone(a.rs);
        rs.metadata.uid = `rs-${this.seq}`;
        rs.metadata.creationTimestamp = new Date(t0 + 1000 * this.seq++).toISOString().replace(/\.\d+Z$/, 'Z');
        rs.metadata.generation = 1;
        rs.status = { replicas: 0, availableReplicas: 0, readyReplicas: 0, observedGeneration: 1 };
        this.rss.push(rs);
      } else if (a.kind === 'updateReplicaSet') {
        const i = this.rss.findIndex((r) => r.metadata.name === a.rs.metadata.name);
        const cur = this.rss[i];
        assert.ok(cur !== undefined);
        this.rss[i] = { ...structuredClone(a.rs), status: cur.status ?? {} };
      } else if (a.kind === 'deleteReplicaSet') {
        this.rss = this.rss.filter((r) => r.metadata.name !== a.rs.metadata.name);
      } else if (a.kind === 'setRevision') {
        this.d.metadata.annotations = { ...(this.d.metadata.annotations ?? {}), [revisionAnnotation]: a.revision };
      }
    }
    if (plan.status !== undefined) this.d.status = plan.status;
    let total = 0;
    let availableAfterSync = 0;
    for (const rs of this.rss) {
      const spec = rs.spec?.replicas ?? 0;
      total += spec;
      availableAfterSync += Math.min(spec, rs.status?.availableReplicas ?? 0);
    }
    // The ReplicaSet controller and the node agent: the pods exist; last step's pods are available.
    for (const rs of this.rss) {
      const spec = rs.spec?.replicas ?? 0;
      const avail = Math.min(spec, this.last.get(rs.metadata.name ?? '') ?? 0);
      rs.status = { replicas: spec, readyReplicas: avail, availableReplicas: avail, observedGeneration: rs.metadata.generation ?? 1 };
      this.last.set(rs.metadata.name ?? '', spec);
    }
    return { total, availableAfterSync };
  }

  specs(): number[] {
    return [...this.rss].sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '')).map((r) => r.spec?.replicas ?? 0);
  }

  done(): boolean {
    const s = this.d.status ?? {};
    const want = this.d.spec?.replicas ?? 0;
    return (s.observedGeneration ?? 0) >= (this.d.metadata.generation ?? 0) && s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want &&
      s.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable';
  }

  /** Steps until the rollout completes; returns how many it took. */
  run(check?: (r: { total: number; availableAfterSync: number }) => void, limit = 200): number {
    for (let i = 1; i <= limit; i++) {
      const r = this.step();
      check?.(r);
      if (this.done()) return i;
    }
    throw new Error(`rollout did not complete in ${limit} steps: ${JSON.stringify(this.specs())} status ${JSON.stringify(this.d.status)}`);
  }
}

describe('rolling update step by step (10 replicas, maxSurge 3, maxUnavailable 2)', () => {
  test('matches the documented sequence', () => {
    const sim = new Sim(10, 3, 2);
    sim.run();
    sim.setImage('v2');
    const seen: number[][] = [];
    for (let i = 0; i < 8; i++) {
      sim.step();
      seen.push(sim.specs());
    }
    // [new, old] after each sync. The sync that creates the new set (at the surge ceiling, 3) also
    // spends the unavailability budget (2) on the old one, as upstream's rolloutRolling does.
    assert.deepEqual(seen, [
      [3, 8],
      [5, 8], // the 3 new pods are available: surge room again
      [5, 5], // available 11 − minAvailable 8 = 3 old pods may go
      [8, 5],
      [8, 3],
      [10, 3],
      [10, 0],
      [10, 0],
    ]);
  });
});

describe('rolling update invariants for many maxSurge/maxUnavailable combinations', () => {
  const surges: IntOrString[] = [0, 1, 2, '25%', '50%', '100%'];
  const unavailables: IntOrString[] = [0, 1, 3, '25%', '50%', '100%'];
  for (const replicas of [1, 2, 3, 5, 10, 16]) {
    for (const surge of surges) {
      for (const unavailable of unavailables) {
        if (surge === 0 && unavailable === 0) continue; // validation refuses both zero
        test(`replicas=${replicas} maxSurge=${surge} maxUnavailable=${unavailable}`, () => {
          const sim = new Sim(replicas, surge, unavailable);
          sim.run();
          const s = maxSurge(sim.d);
          const u = maxUnavailable(sim.d);
          sim.setImage('v2');
          const steps = sim.run(({ total, availableAfterSync }) => {
            assert.ok(total <= replicas + s, `total ${total} > ${replicas} + ${s}`);
            assert.ok(availableAfterSync >= replicas - u, `available ${availableAfterSync} < ${replicas} − ${u}`);
          });
          assert.ok(steps <= 4 * replicas + 4, `took ${steps} steps`);
          assert.deepEqual(sim.specs(), [replicas, 0]);
          assert.equal(sim.d.metadata.annotations?.[revisionAnnotation], '2');
        });
      }
    }
  }
});

describe('Recreate', () => {
  test('old set to 0 first, then the new one at full size', () => {
    const sim = new Sim(4, 0, 0, 'Recreate');
    sim.run();
    sim.setImage('v2');
    sim.step();
    assert.deepEqual(sim.specs(), [0], 'old scaled to 0, new not created yet');
    sim.step();
    assert.deepEqual(sim.specs(), [4, 0]);
    sim.run();
    assert.deepEqual(sim.specs(), [4, 0]);
  });
});
