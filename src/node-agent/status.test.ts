import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/types.ts';
import { computePodStatus, podPhase, qosClass, type ContainerView, type PodView } from './status.ts';

function makePod(edit: (p: Pod) => void = () => {}): Pod {
  const p: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'test', name: 'web', uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  edit(p);
  return p;
}

function cv(state: ContainerView['state'], edit: (c: ContainerView) => void = () => {}): ContainerView {
  const c: ContainerView = { name: 'c', image: 'docker.io/library/nginx:latest', imageID: '', state, restartCount: 0, ready: false, started: false };
  edit(c);
  return c;
}

function view(containers: ContainerView[], edit: (v: PodView) => void = () => {}): PodView {
  const v: PodView = { hostIP: '192.0.2.2', podIP: '10.244.0.2', sandboxReady: true, initialized: true, init: [], containers };
  edit(v);
  return v;
}

const exited = (code: number) => ({ terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' } });

test('phase as the kubelet computes it', () => {
  const rows: Array<{ name: string; pod: Pod; v: PodView; want: string }> = [
    { name: 'creating', pod: makePod(), v: view([cv({ waiting: { reason: 'ContainerCreating' } })]), want: 'Pending' },
    { name: 'running', pod: makePod(), v: view([cv({ running: {} })]), want: 'Running' },
    { name: 'crash loop stays Running', pod: makePod(), v: view([cv({ waiting: { reason: 'CrashLoopBackOff' } }, (c) => { c.lastState = exited(1); })]), want: 'Running' },
    { name: 'Never + success', pod: makePod((p) => { p.spec!.restartPolicy = 'Never'; }), v: view([cv(exited(0))]), want: 'Succeeded' },
    { name: 'Never + failure', pod: makePod((p) => { p.spec!.restartPolicy = 'Never'; }), v: view([cv(exited(2))]), want: 'Failed' },
    { name: 'OnFailure + success', pod: makePod((p) => { p.spec!.restartPolicy = 'OnFailure'; }), v: view([cv(exited(0))]), want: 'Succeeded' },
    { name: 'init pending', pod: makePod(), v: view([cv({ waiting: { reason: 'PodInitializing' } })], (v) => { v.initialized = false; }), want: 'Pending' },
  ];
  for (const r of rows) assert.equal(podPhase(r.pod, r.v), r.want, r.name);
});

test('conditions and container statuses', () => {
  const pod = makePod((p) => { p.status = { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:00:01Z' }] }; });
  const s = computePodStatus(pod, view([cv({ running: { startedAt: '2026-01-01T00:00:02Z' } })]), Date.parse('2026-01-01T00:00:05Z'));
  assert.deepEqual(s.conditions?.map((c) => `${c.type}=${c.status}`), ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True']);
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.lastTransitionTime, '2026-01-01T00:00:01Z', 'kept while the status does not change');
  assert.equal(ready?.reason, 'ContainersNotReady');
  assert.equal(ready?.message, 'containers with unready status: [c]');
  assert.equal(s.podIP, '10.244.0.2');
  assert.deepEqual(s.podIPs, [{ ip: '10.244.0.2' }]);
  assert.equal(s.containerStatuses?.[0]?.state?.running?.startedAt, '2026-01-01T00:00:02Z');
  const s2 = computePodStatus(pod, view([cv({ running: {} }, (c) => { c.ready = true; c.started = true; })]), Date.parse('2026-01-01T00:00:09Z'));
  assert.equal(s2.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal(s2.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, '2026-01-01T00:00:09Z');
});

test('qosClass', () => {
  assert.equal(qosClass(makePod()), 'BestEffort');
  assert.equal(qosClass(makePod((p) => { p.spec!.containers[0]!.resources = { requests: { cpu: '100m' } }; })), 'Burstable');
  assert.equal(qosClass(makePod((p) => { p.spec!.containers[0]!.resources = { limits: { cpu: '1', memory: '1Gi' } }; })), 'Guaranteed');
});
