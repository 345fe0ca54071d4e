import { test } from 'node:test';
import assert from 'node:assert/strict';
import { categorizeEndpoints } from './categorize.ts';
import type { EndpointInfo, ServicePortInfo } from './types.ts';
import { servicePortsFromService } from './service-ports.ts';
import { makeService } from './testing.ts';

function svc(edit?: Parameters<typeof makeService>[2]): ServicePortInfo {
  const [p] = servicePortsFromService(makeService('ns', 's', (s) => {
    s.spec.clusterIP = '172.30.0.1';
    s.spec.ports = [{ port: 80, name: 'p80' }];
    edit?.(s);
  }));
  if (p === undefined) throw new Error('no port');
  return p;
}

function ep(ip: string, o: Partial<EndpointInfo> = {}): EndpointInfo {
  return { ip, port: 80, endpoint: `${ip}:80`, ready: true, serving: true, terminating: false, isLocal: false, nodeName: '', zone: '', zoneHints: [], nodeHints: [], ...o };
}

const node = { nodeName: 'me', zone: 'z1' };
const names = (xs: readonly EndpointInfo[]) => xs.map((e) => e.ip);

const rows: { name: string; svc: ServicePortInfo; eps: EndpointInfo[]; cluster: string[]; local: string[]; all: string[]; hasAny: boolean }[] = [
  { name: 'ready endpoints only', svc: svc(), eps: [ep('10.0.0.1'), ep('10.0.0.2', { ready: false, serving: false })], cluster: ['10.0.0.1'], local: [], all: ['10.0.0.1'], hasAny: true },
  { name: 'serving-terminating fallback when nothing is ready', svc: svc(), eps: [ep('10.0.0.1', { ready: false, serving: true, terminating: true }), ep('10.0.0.2', { ready: false, serving: false, terminating: true })], cluster: ['10.0.0.1'], local: [], all: ['10.0.0.1'], hasAny: true },
  { name: 'terminating ignored while something is ready', svc: svc(), eps: [ep('10.0.0.1', { ready: false, terminating: true }), ep('10.0.0.2')], cluster: ['10.0.0.2'], local: [], all: ['10.0.0.2'], hasAny: true },
  { name: 'no endpoints', svc: svc(), eps: [], cluster: [], local: [], all: [], hasAny: false },
  { name: 'iTP Local uses only local', svc: svc((s) => { s.spec.internalTrafficPolicy = 'Local'; }), eps: [ep('10.0.0.1', { isLocal: true }), ep('10.0.0.2')], cluster: [], local: ['10.0.0.1'], all: ['10.0.0.1'], hasAny: true },
  { name: 'iTP Local without local endpoints still has some', svc: svc((s) => { s.spec.internalTrafficPolicy = 'Local'; }), eps: [ep('10.0.0.2')], cluster: [], local: [], all: [], hasAny: true },
  { name: 'iTP Local falls back to local terminating', svc: svc((s) => { s.spec.internalTrafficPolicy = 'Local'; }), eps: [ep('10.0.0.1', { isLocal: true, ready: false, terminating: true }), ep('10.0.0.2')], cluster: [], local: ['10.0.0.1'], all: ['10.0.0.1'], hasAny: true },
  { name: 'eTP Local NodePort: cluster for internal, local for external', svc: svc((s) => { s.spec.type = 'NodePort'; s.spec.externalTrafficPolicy = 'Local'; s.spec.ports = [{ port: 80, name: 'p80', nodePort: 30001 }]; }), eps: [ep('10.0.0.1', { isLocal: true }), ep('10.0.0.2')], cluster: ['10.0.0.1', '10.0.0.2'], local: ['10.0.0.1'], all: ['10.0.0.1', '10.0.0.2'], hasAny: true },
  { name: 'topology hints for our zone', svc: svc((s) => { s.metadata.annotations = { 'service.kubernetes.io/topology-mode': 'Auto' }; }), eps: [ep('10.0.0.1', { zoneHints: ['z1'] }), ep('10.0.0.2', { zoneHints: ['z2'] })], cluster: ['10.0.0.1'], local: [], all: ['10.0.0.1'], hasAny: true },
  { name: 'topology ignored when an endpoint lacks hints', svc: svc((s) => { s.metadata.annotations = { 'service.kubernetes.io/topology-mode': 'Auto' }; }), eps: [ep('10.0.0.1', { zoneHints: ['z1'] }), ep('10.0.0.2')], cluster: ['10.0.0.1', '10.0.0.2'], local: [], all: ['10.0.0.1', '10.0.0.2'], hasAny: true },
  { name: 'topology ignored when no hint names our zone', svc: svc((s) => { s.spec.trafficDistribution = 'PreferClose'; }), eps: [ep('10.0.0.1', { zoneHints: ['z3'] }), ep('10.0.0.2', { zoneHints: ['z2'] })], cluster: ['10.0.0.1', '10.0.0.2'], local: [], all: ['10.0.0.1', '10.0.0.2'], hasAny: true },
];

for (const r of rows) {
  test(`categorize: ${r.name}`, () => {
    const c = categorizeEndpoints(r.eps, r.svc, node);
    assert.deepEqual(names(c.cluster), r.cluster, 'cluster');
    assert.deepEqual(names(c.local), r.local, 'local');
    assert.deepEqual(names(c.allReachable), r.all, 'allReachable');
    assert.equal(c.hasAny, r.hasAny, 'hasAny');
  });
}
