import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Pod, Secret, Service } from '../api/types.ts';
import { containerEnv, expand, serviceEnv, EnvError, type EnvContext, type EnvRefs } from './env.ts';

function makeService(ns: string, name: string, edit: (s: Service) => void = () => {}): Service {
  const s: Service = { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec: { clusterIP: '10.96.5.5', ports: [{ port: 80, protocol: 'TCP' }] } };
  edit(s);
  return s;
}

const ctx: EnvContext = { podIP: '10.244.0.9', podIPs: ['10.244.0.9'], hostIP: '192.0.2.2', nodeName: 'node1', nodeAllocatable: { cpu: 2, memoryBytes: 4 * 1024 ** 3 } };
const refs: EnvRefs = {
  configMap: (n) => (n === 'cfg' ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { mode: 'fast', color: 'blue' } } as ConfigMap : undefined),
  secret: (n) => (n === 'sec' ? { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, data: { pw: Buffer.from('hunter2').toString('base64') } } as Secret : undefined),
};

test('service env vars as the kubelet writes them', () => {
  const env = new Map(serviceEnv([makeService('test', 'web-service', (s) => { s.spec!.ports = [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }]; })]));
  assert.equal(env.get('WEB_SERVICE_SERVICE_HOST'), '10.96.5.5');
  assert.equal(env.get('WEB_SERVICE_SERVICE_PORT'), '80');
  assert.equal(env.get('WEB_SERVICE_SERVICE_PORT_HTTP'), '80');
  assert.equal(env.get('WEB_SERVICE_PORT'), 'tcp://10.96.5.5:80');
  assert.equal(env.get('WEB_SERVICE_PORT_80_TCP'), 'tcp://10.96.5.5:80');
  assert.equal(env.get('WEB_SERVICE_PORT_80_TCP_ADDR'), '10.96.5.5');
  assert.equal(env.get('WEB_SERVICE_PORT_53_UDP_PROTO'), 'udp');
  assert.equal(serviceEnv([makeService('test', 'headless', (s) => { s.spec!.clusterIP = 'None'; })]).length, 0);
});

test('expand: $(VAR), $$ escapes, unknown stays', () => {
  const rows = [
    { name: 'known', given: 'a-$(X)-b', want: 'a-1-b' },
    { name: 'unknown', given: '$(NOPE)', want: '$(NOPE)' },
    { name: 'escaped', given: '$$(X)', want: '$(X)' },
    { name: 'lone dollar', given: 'cost $5', want: 'cost $5' },
  ];
  for (const r of rows) assert.equal(expand(r.given, (n) => (n === 'X' ? '1' : undefined)), r.want, r.name);
});

test('container env: order, fieldRef, configMap/secret refs, expansion, service links', () => {
  const pod: Pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'test', name: 'p1', uid: 'uid-1', labels: { app: 'web' } },
    spec: { containers: [{
      name: 'c', image: 'busybox', env: [
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'pw' } } },
        { name: 'URL', value: 'http://$(IP):$(WEB_PORT_80_TCP_PORT)/$(NAME)' },
      ],
    }] },
  };
  const services = [makeService('test', 'web'), makeService('other', 'x'), makeService('default', 'kubernetes', (s) => { s.spec!.clusterIP = '10.96.0.1'; s.spec!.ports = [{ name: 'https', port: 443 }]; })];
  const r = containerEnv(pod, pod.spec!.containers[0]!, services, refs, ctx, [['PATH', '/bin']]);
  assert.equal(r.env.get('PATH'), '/bin');
  assert.equal(r.env.get('NAME'), 'p1');
  assert.equal(r.env.get('APP'), 'web');
  assert.equal(r.env.get('MODE'), 'fast');
  assert.equal(r.env.get('PW'), 'hunter2');
  assert.equal(r.env.get('URL'), 'http://10.244.0.9:80/p1');
  assert.equal(r.env.get('KUBERNETES_SERVICE_HOST'), '10.96.0.1');
  assert.equal(r.env.get('X_SERVICE_HOST'), undefined, 'services of other namespaces are not linked');
  assert.equal(r.expand('$(MODE)'), 'fast');
  pod.spec!.enableServiceLinks = false;
  const r2 = containerEnv(pod, pod.spec!.containers[0]!, services, refs, ctx);
  assert.equal(r2.env.get('WEB_SERVICE_HOST'), undefined);
  assert.equal(r2.env.get('KUBERNETES_SERVICE_HOST'), '10.96.0.1');
});

test('missing references fail with the kubelet message unless optional', () => {
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'test', name: 'p' }, spec: { containers: [] } };
  const rows = [
    { name: 'no configmap', env: { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }, want: 'configmap "nope" not found' },
    { name: 'no key', env: { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }, want: "couldn't find key k in ConfigMap test/cfg" },
    { name: 'no secret', env: { name: 'A', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }, want: 'secret "nope" not found' },
  ];
  for (const r of rows) {
    assert.throws(() => containerEnv(pod, { name: 'c', env: [r.env] }, [], refs, ctx), (e: unknown) => e instanceof EnvError && e.message === r.want, r.name);
  }
  const opt = containerEnv(pod, { name: 'c', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }] }, [], refs, ctx);
  assert.equal(opt.env.has('A'), false);
});
