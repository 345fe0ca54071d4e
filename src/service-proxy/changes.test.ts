import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointSliceChangeTracker, ProxyState, ServiceChangeTracker } from './changes.ts';
import { makeService, makeSlice, readyEndpoint } from './testing.ts';

const udpSvc = makeService('ns1', 'dns', (s) => {
  s.spec.clusterIP = '172.30.0.10';
  s.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }];
});
const slice = (ips: string[]) => makeSlice('ns1', 'dns', 1, (s) => {
  s.endpoints = ips.map((ip) => readyEndpoint(ip, 'node-a'));
  s.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }];
});

test('service tracker: add then delete before a sync leaves nothing pending', () => {
  const t = new ServiceChangeTracker();
  assert.equal(t.update(undefined, udpSvc), true);
  assert.equal(t.update(udpSvc, undefined), false);
  assert.equal(t.checkout().size, 0);
});

test('service tracker: burst of updates keeps the first previous', () => {
  const t = new ServiceChangeTracker();
  const v2 = makeService('ns1', 'dns', (s) => { s.spec.clusterIP = '172.30.0.10'; s.spec.ports = [{ name: 'dns', port: 54, protocol: 'UDP' }]; });
  t.update(undefined, udpSvc);
  t.checkout();
  t.update(udpSvc, v2);
  t.update(v2, udpSvc);
  assert.equal(t.pending(), 0, 'an update undone before the sync is no change');
});

test('state: ports and endpoints keyed alike; UDP endpoint removal reported', () => {
  const st = new ProxyState();
  const svcs = new ServiceChangeTracker();
  const eps = new EndpointSliceChangeTracker('node-a');
  svcs.update(undefined, udpSvc);
  eps.update(slice(['10.0.0.1', '10.0.0.2']));
  const r1 = st.apply(svcs, eps);
  assert.deepEqual([...r1.changedServices], ['ns1/dns']);
  assert.deepEqual([...st.services.keys()].sort(), ['ns1/dns:dns-tcp/TCP', 'ns1/dns:dns/UDP']);
  assert.deepEqual(st.endpoints.get('ns1/dns:dns/UDP')?.map((e) => e.endpoint), ['10.0.0.1:53', '10.0.0.2:53']);
  assert.equal(st.endpoints.get('ns1/dns:dns/UDP')?.[0]?.isLocal, true);
  assert.deepEqual(r1.newlyActiveUDPServices, ['ns1/dns:dns/UDP']);

  eps.update(slice(['10.0.0.2', '10.0.0.3']));
  const r2 = st.apply(svcs, eps);
  assert.deepEqual(r2.deletedUDPEndpoints.map((d) => `${d.servicePortKey} ${d.endpoint.endpoint}`), ['ns1/dns:dns/UDP 10.0.0.1:53']);
  assert.deepEqual(r2.newlyActiveUDPServices, []);

  svcs.update(udpSvc, undefined);
  const r3 = st.apply(svcs, eps);
  assert.deepEqual([...r3.deletedUDPClusterIPs], ['172.30.0.10']);
  assert.equal(st.services.size, 0);
});

test('slices: duplicates across slices merge, deletion of one slice keeps the other', () => {
  const st = new ProxyState();
  const svcs = new ServiceChangeTracker();
  const eps = new EndpointSliceChangeTracker('n');
  const a = slice(['10.0.0.1']);
  const b = makeSlice('ns1', 'dns', 2, (s) => { s.endpoints = [readyEndpoint('10.0.0.1'), readyEndpoint('10.0.0.9')]; s.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }]; });
  eps.update(a);
  eps.update(b);
  st.apply(svcs, eps);
  assert.deepEqual(st.endpoints.get('ns1/dns:dns/UDP')?.map((e) => e.endpoint), ['10.0.0.1:53', '10.0.0.9:53']);
  eps.update(a, true);
  st.apply(svcs, eps);
  assert.deepEqual(st.endpoints.get('ns1/dns:dns/UDP')?.map((e) => e.endpoint), ['10.0.0.1:53', '10.0.0.9:53']);
  assert.equal(st.endpoints.get('ns1/dns:dns/UDP')?.[0]?.isLocal, false);
});

test('slices: trigger-time annotation is carried for the latency metric', () => {
  const st = new ProxyState();
  const eps = new EndpointSliceChangeTracker('n');
  eps.update(makeSlice('ns1', 'web', 1, (s) => {
    s.metadata.annotations = { 'endpoints.kubernetes.io/last-change-trigger-time': '2024-01-01T00:00:00Z' };
    s.endpoints = [readyEndpoint('10.0.0.1')];
    s.ports = [{ port: 80 }];
  }));
  const r = st.apply(new ServiceChangeTracker(), eps);
  assert.deepEqual(r.triggerTimes, [Date.parse('2024-01-01T00:00:00Z')]);
});

test('service ports: headless, ExternalName and IPv6 services are skipped; LB fields read', async () => {
  const { servicePortsFromService } = await import('./service-ports.ts');
  assert.equal(servicePortsFromService(makeService('a', 'h', (s) => { s.spec.clusterIP = 'None'; s.spec.ports = [{ port: 80 }]; })).length, 0);
  assert.equal(servicePortsFromService(makeService('a', 'e', (s) => { s.spec.type = 'ExternalName'; s.spec.clusterIP = '1.2.3.4'; s.spec.ports = [{ port: 80 }]; })).length, 0);
  assert.equal(servicePortsFromService(makeService('a', 'v6', (s) => { s.spec.clusterIP = 'fd00::1'; s.spec.ports = [{ port: 80 }]; })).length, 0);
  const [lb] = servicePortsFromService(makeService('a', 'lb', (s) => {
    s.spec.type = 'LoadBalancer';
    s.spec.clusterIP = '172.30.0.5';
    s.spec.externalTrafficPolicy = 'Local';
    s.spec.healthCheckNodePort = 30000;
    s.spec.loadBalancerSourceRanges = [' 203.0.113.0/25', 'bogus'];
    s.spec.sessionAffinity = 'ClientIP';
    s.spec.ports = [{ port: 80, nodePort: 31000 }];
    s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: '5.6.7.8', ipMode: 'Proxy' }] } };
  }));
  assert.ok(lb !== undefined);
  assert.equal(lb.nameString, 'a/lb');
  assert.deepEqual(lb.loadBalancerVIPs, ['1.2.3.4']);
  assert.deepEqual(lb.loadBalancerSourceRanges, ['203.0.113.0/25']);
  assert.equal(lb.stickyMaxAgeSeconds, 10800);
  assert.equal(lb.externalPolicyLocal, true);
  assert.equal(lb.healthCheckNodePort, 30000);
  assert.equal(lb.nodePort, 31000);
});
