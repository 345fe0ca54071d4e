import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubernetesEndpoints } from './kubernetes-endpoints.ts';

test('the kubernetes Service\'s Endpoints and EndpointSlice point at the API server', () => {
  const cases = [
    { address: '10.244.0.1', port: 6443, family: 'IPv4' },
    { address: 'fd00:10:244::1', port: 443, family: 'IPv6' },
  ];
  for (const c of cases) {
    const { endpoints, slice } = kubernetesEndpoints(c.address, c.port);
    assert.deepEqual(endpoints['subsets'], [{ addresses: [{ ip: c.address }], ports: [{ name: 'https', port: c.port, protocol: 'TCP' }] }]);
    assert.equal(endpoints.metadata.name, 'kubernetes');
    assert.equal(endpoints.metadata.namespace, 'default');
    assert.equal(slice.metadata.name, 'kubernetes');
    assert.deepEqual(slice.metadata.labels, { 'kubernetes.io/service-name': 'kubernetes' }, 'no managed-by label: no controller owns it');
    assert.equal(slice.addressType, c.family);
    assert.deepEqual(slice.endpoints, [{ addresses: [c.address], conditions: { ready: true } }]);
    assert.deepEqual(slice.ports, [{ name: 'https', port: c.port, protocol: 'TCP' }]);
  }
});
