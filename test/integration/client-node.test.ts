// The official JavaScript client (@kubernetes/client-node) lists, watches, creates and patches
// against a real `switchboard up`, through the kubeconfig it writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { Switchboard, eventually } from '../helpers/switchboard.ts';

let sb: Switchboard;
let kc: k8s.KubeConfig;

before(async () => {
  sb = await Switchboard.start();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(sb.kubeconfig);
});
after(async () => { await sb.stop(); });

test('lists, creates and reads core and apps objects', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const nss = await core.listNamespace();
  assert.deepEqual(nss.items.map((n) => n.metadata?.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  const svc = await core.readNamespacedService({ name: 'kubernetes', namespace: 'default' });
  assert.equal(svc.spec?.clusterIP, '10.96.0.1');
  const created = await apps.createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'cn', labels: { app: 'cn' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'cn' } }, template: { metadata: { labels: { app: 'cn' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    },
  });
  assert.equal(created.metadata?.name, 'cn');
  assert.equal(created.spec?.strategy?.type, 'RollingUpdate', 'defaulted by the server');
  const got = await apps.readNamespacedDeployment({ name: 'cn', namespace: 'default' });
  // The Deployment controller may have written status since: same object, maybe a newer revision.
  assert.equal(got.metadata?.uid, created.metadata?.uid);
  assert.ok(Number(got.metadata?.resourceVersion) >= Number(created.metadata?.resourceVersion));
  await assert.rejects(core.readNamespacedConfigMap({ name: 'missing', namespace: 'default' }), (err: unknown) => {
    assert.equal((err as { code?: number }).code, 404);
    return true;
  });
});

test('KubernetesObjectApi finds kinds through discovery', async () => {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const res = await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: 'default' }, data: { a: 'b' } } as k8s.KubernetesObject);
  assert.equal(res.metadata?.name, 'generic');
  const read = await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: 'default' } });
  assert.equal((read as k8s.V1ConfigMap).data?.['a'], 'b');
});

test('Watch and an informer see adds, updates and deletes', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const seen: string[] = [];
  const watch = new k8s.Watch(kc);
  const req = await watch.watch('/api/v1/namespaces/default/configmaps', { labelSelector: 'watched=yes' }, (type, obj: k8s.V1ConfigMap) => {
    seen.push(`${type} ${obj.metadata?.name ?? ''}`);
  }, () => {});
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'watched=yes' }), 'watched=yes');
  const inf: string[] = [];
  informer.on('add', (o: k8s.V1ConfigMap) => inf.push(`add ${o.metadata?.name ?? ''}`));
  informer.on('update', (o: k8s.V1ConfigMap) => inf.push(`update ${o.metadata?.name ?? ''}`));
  informer.on('delete', (o: k8s.V1ConfigMap) => inf.push(`delete ${o.metadata?.name ?? ''}`));
  await informer.start();
  try {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w', labels: { watched: 'yes' } }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap({ name: 'w', namespace: 'default', body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: 'default' });
    await eventually(async () => seen.length >= 3 && inf.length >= 3);
    assert.deepEqual(seen, ['ADDED w', 'MODIFIED w', 'DELETED w']);
    assert.deepEqual(inf, ['add w', 'update w', 'delete w']);
    assert.deepEqual(informer.list(), []);
  } finally {
    req.abort();
    await informer.stop();
  }
});
