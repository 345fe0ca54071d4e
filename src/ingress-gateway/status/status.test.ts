import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadBalancerEntries, statusPatch, isOurStatus } from './status.ts';
import { makeIngress } from '../route-table/fake.ts';

describe('status.loadBalancer', () => {
  test('standard ports: just the IP, as the seeds show', () => {
    assert.deepEqual(loadBalancerEntries({ address: '10.1.72.2', httpPort: 80, httpsPort: 443 }), [{ ip: '10.1.72.2' }]);
  });
  test('other ports are listed; names go to hostname', () => {
    assert.deepEqual(loadBalancerEntries({ address: 'ingress.local', httpPort: 8080, httpsPort: 8443 }), [{ hostname: 'ingress.local', ports: [{ port: 8080, protocol: 'TCP' }, { port: 8443, protocol: 'TCP' }] }]);
  });
  test('a patch only when the status differs; clearing sends null', () => {
    const want = [{ ip: '127.0.0.1' }];
    const ing = makeIngress('ns', 'a');
    assert.deepEqual(statusPatch(ing, want), { status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } });
    ing.status = { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } };
    assert.equal(statusPatch(ing, want), undefined);
    assert.equal(isOurStatus(ing, want), true);
    assert.deepEqual(statusPatch(ing, []), { status: { loadBalancer: { ingress: null } } });
    ing.status = { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } };
    assert.equal(isOurStatus(ing, want), false, 'another controller\'s address is left alone');
  });
});
