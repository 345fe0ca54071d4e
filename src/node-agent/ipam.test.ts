import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PodIPAllocator, loopbackMirror, pickPodCIDR } from './ipam.ts';

test('pickPodCIDR: first /24 not used by a Node or a host route', () => {
  const rows = [
    { name: 'empty', nodes: [], routes: [], want: '10.244.0.0/24' },
    { name: 'node takes .0', nodes: ['10.244.0.0/24'], routes: [], want: '10.244.1.0/24' },
    { name: 'route overlaps', nodes: ['10.244.0.0/24'], routes: ['10.244.1.0/24', '10.244.2.7'], want: '10.244.3.0/24' },
    { name: 'wide route', nodes: [], routes: ['10.244.0.0/22'], want: '10.244.4.0/24' },
  ];
  for (const r of rows) assert.equal(pickPodCIDR('10.244.0.0/16', 24, r.nodes, r.routes), r.want, r.name);
  assert.equal(pickPodCIDR('10.244.0.0/24', 24, ['10.244.0.0/24'], []), undefined);
});

test('PodIPAllocator: gateway .1, round robin, no network/broadcast', () => {
  const a = new PodIPAllocator('10.244.3.0/24');
  assert.equal(a.gateway, '10.244.3.1');
  assert.equal(a.allocate(), '10.244.3.2');
  assert.equal(a.allocate(), '10.244.3.3');
  a.release('10.244.3.2');
  assert.equal(a.allocate(), '10.244.3.4', 'a freed address is not reused at once');
  const small = new PodIPAllocator('10.0.0.0/29');
  const got = [small.allocate(), small.allocate(), small.allocate(), small.allocate(), small.allocate(), small.allocate()];
  assert.deepEqual(got, ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', undefined]);
  small.release('10.0.0.4');
  assert.equal(small.allocate(), '10.0.0.4');
});

test('loopbackMirror', () => {
  assert.equal(loopbackMirror('10.244.3.0/24'), '127.244.3.0/24');
});
