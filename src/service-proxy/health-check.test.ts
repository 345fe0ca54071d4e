import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { HealthCheckServers, healthCheckResponse, healthCheckTargets } from './health-check.ts';
import { makeService, makeSlice, readyEndpoint, stateFrom } from './testing.ts';
import type { Service } from '../api/types.ts';

const node = 'node-a';

function localLB(name: string, hcPort: number, ports = [80]): Service {
  return makeService('default', name, (s) => {
    s.spec.type = 'LoadBalancer';
    s.spec.clusterIP = '10.96.0.50';
    s.spec.externalTrafficPolicy = 'Local';
    s.spec.healthCheckNodePort = hcPort;
    s.spec.ports = ports.map((p, i) => ({ name: `p${i}`, port: p, targetPort: p, protocol: 'TCP', nodePort: 30100 + i }));
  });
}

test('health check targets: one per port, distinct local ready endpoint addresses', () => {
  const cases: Array<{ name: string; services: Service[]; endpoints: Array<{ svc: string; eps: ReturnType<typeof readyEndpoint>[] }>; want: Record<number, number> }> = [
    { name: 'two local, one remote', services: [localLB('web', 31000)], endpoints: [{ svc: 'web', eps: [readyEndpoint('10.244.0.2', node), readyEndpoint('10.244.0.3', node), readyEndpoint('10.244.1.2', 'node-b')] }], want: { 31000: 2 } },
    { name: 'none local', services: [localLB('web', 31000)], endpoints: [{ svc: 'web', eps: [readyEndpoint('10.244.1.2', 'node-b')] }], want: { 31000: 0 } },
    { name: 'not ready does not count', services: [localLB('web', 31000)], endpoints: [{ svc: 'web', eps: [readyEndpoint('10.244.0.2', node, (e) => { e.conditions = { ready: false, serving: true, terminating: true }; })] }], want: { 31000: 0 } },
    { name: 'no endpoints at all', services: [localLB('web', 31000)], endpoints: [], want: { 31000: 0 } },
    { name: 'two ports of one Service count an address once', services: [localLB('web', 31000, [80, 443])], endpoints: [{ svc: 'web', eps: [readyEndpoint('10.244.0.2', node)] }], want: { 31000: 1 } },
    { name: 'Cluster policy has no health check port', services: [makeService('default', 'plain', (s) => { s.spec.type = 'LoadBalancer'; s.spec.clusterIP = '10.96.0.51'; s.spec.ports = [{ port: 80, targetPort: 80, protocol: 'TCP', nodePort: 30200 }]; })], endpoints: [], want: {} },
  ];
  for (const c of cases) {
    const slices = c.endpoints.map((e, i) => makeSlice('default', e.svc, i, (s) => {
      s.endpoints = e.eps;
      s.ports = [{ name: 'p0', port: 80, protocol: 'TCP' }, { name: 'p1', port: 443, protocol: 'TCP' }];
    }));
    const got = healthCheckTargets(stateFrom(c.services, slices, node));
    assert.deepEqual(Object.fromEntries([...got].map(([p, t]) => [p, t.localEndpoints])), c.want, c.name);
  }
});

test('health check answers as kube-proxy words them', () => {
  const t = { namespace: 'default', name: 'web', localEndpoints: 2 };
  assert.deepEqual(healthCheckResponse(t, true), {
    status: 200,
    headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff', 'X-Load-Balancing-Endpoint-Weight': '2' },
    body: '{"service":{"namespace":"default","name":"web"},"localEndpoints":2,"serviceProxyHealthy":true}',
  });
  assert.equal(healthCheckResponse({ ...t, localEndpoints: 0 }, true).status, 503);
  assert.equal(healthCheckResponse(t, false).status, 503, 'an unhealthy proxy sends the load balancer elsewhere');
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

test('listeners open and close with the targets and answer from the latest sync', async () => {
  const hc = new HealthCheckServers({ address: '127.0.0.1' });
  const port = await freePort();
  try {
    hc.sync(new Map([[port, { namespace: 'default', name: 'web', localEndpoints: 1 }]]));
    await new Promise((r) => setTimeout(r, 50));
    let r = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { service: { namespace: 'default', name: 'web' }, localEndpoints: 1, serviceProxyHealthy: true });
    hc.sync(new Map([[port, { namespace: 'default', name: 'web', localEndpoints: 0 }]]));
    r = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 503);
    await r.text();
    hc.sync(new Map());
    assert.deepEqual(hc.ports, []);
    await new Promise((r2) => setTimeout(r2, 50));
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
  } finally {
    await hc.close();
  }
});
