// The controller against a real API server in this process (client informers, status subresource,
// Events) with local echo upstreams: what `switchboard ingress --kubeconfig` does, minus the process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Event, Ingress, IngressClass, Service } from '../api/types.ts';
import { builtin } from '../client/index.ts';
import { startTestServer, type TestServer } from '../client/testing.ts';
import { startIngress, StaticSource, type RunningIngress } from './index.ts';
import { bootstrapClasses, makeIngress, makeService, makeSlice, makeState, rule } from './route-table/fake.ts';
import { startEcho, get, closeClients, type EchoServer } from './data-plane/testing.ts';
import { waitFor } from '../controllers/testing.ts';

let ts: TestServer;
let ing: RunningIngress;
let a: EchoServer;
let b: EchoServer;

/** Polls every 50 ms (the shared waitFor of the controllers' tests). */
function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 5_000): Promise<T> {
  return waitFor('the condition', fn, ms, 50);
}

const strip = <T extends { metadata: { uid?: string; creationTimestamp?: string | null; generation?: number } }>(o: T): T => {
  delete o.metadata.uid;
  delete o.metadata.creationTimestamp;
  delete o.metadata.generation;
  return o;
};

before(async () => {
  a = await startEcho('a');
  b = await startEcho('b');
  ts = await startTestServer();
  await ts.createNamespace('web');
  const classes = ts.client.resource<IngressClass>(builtin('ingressclasses'));
  for (const c of bootstrapClasses()) await classes.create('', strip(c));
  await ts.client.resource<Service>(builtin('services')).create('web', strip(makeService('web', 'app', [80])));
  await ts.client.resource<EndpointSlice>(builtin('endpointslices')).create('web', strip(makeSlice('web', 'app', '', a.port, ['127.0.0.1'], (s) => { s.metadata.name = 'app-1'; })));
  await ts.client.resource<Ingress>(builtin('ingresses')).create('web', strip(makeIngress('web', 'site', (i) => { i.spec = { ingressClassName: 'nginx', rules: [rule('site.test', '/', 'Prefix', 'app', 80)] }; })));
  ing = await startIngress({ client: ts.client });
});

after(async () => {
  await ing?.stop();
  await ts?.close();
  await a?.close();
  await b?.close();
  closeClients();
});

describe('startIngress against an API server', () => {
  test('serves the Ingress after the first sync', async () => {
    const r = await get(ing.httpPort, '/hello', { host: 'site.test' });
    assert.equal(r.status, 200);
    assert.equal(r.echo?.name, 'a');
    assert.match(ing.http, /^127\.0\.0\.1:\d+$/);
    assert.match(ing.https, /^127\.0\.0\.1:\d+$/);
  });

  test('writes status.loadBalancer with the address and ports', async () => {
    const got = await eventually(async () => {
      const i = await ts.client.resource<Ingress>(builtin('ingresses')).get('web', 'site');
      return (i.status?.loadBalancer?.ingress?.length ?? 0) > 0 ? i : undefined;
    });
    assert.deepEqual(got.status?.loadBalancer?.ingress, [{ ip: '127.0.0.1', ports: [{ port: ing.httpPort, protocol: 'TCP' }, { port: ing.httpsPort, protocol: 'TCP' }] }]);
  });

  test('records a Sync event, and a clear event for a refused annotation', async () => {
    await ts.client.resource<Ingress>(builtin('ingresses')).create('web', strip(makeIngress('web', 'snippet', (i) => {
      i.metadata.annotations = { 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X-A: b";' };
      i.spec = { rules: [rule('snippet.test', '/', 'Prefix', 'app', 80)] };
    })));
    const events = await eventually(async () => {
      const list = (await ts.client.resource<Event>(builtin('events', '')).list('web')).items;
      return list.some((e) => e.reason === 'AnnotationRefused') && list.some((e) => e.reason === 'Sync') ? list : undefined;
    });
    const refused = events.find((e) => e.reason === 'AnnotationRefused');
    assert.equal(refused?.involvedObject.name, 'snippet');
    assert.equal(refused?.type, 'Warning');
    assert.match(refused?.message ?? '', /configuration-snippet: nginx configuration snippets are not supported/);
    assert.equal(refused?.source?.component, 'switchboard-ingress');
    assert.equal((await get(ing.httpPort, '/', { host: 'snippet.test' })).status, 404);
  });

  test('follows EndpointSlice changes', async () => {
    const slices = ts.client.resource<EndpointSlice>(builtin('endpointslices'));
    await slices.create('web', strip(makeSlice('web', 'app', '', b.port, ['127.0.0.1'], (s) => { s.metadata.name = 'app-2'; })));
    await slices.delete('web', 'app-1');
    await eventually(async () => (await get(ing.httpPort, '/', { host: 'site.test' })).echo?.name === 'b');
  });

  test('an Ingress of another class is not served and its status is not ours', async () => {
    const ings = ts.client.resource<Ingress>(builtin('ingresses'));
    const cur = await ings.get('web', 'site');
    cur.spec = { ...cur.spec, ingressClassName: 'traefik' };
    await ings.update(cur);
    await eventually(async () => (await get(ing.httpPort, '/', { host: 'site.test' })).status === 404);
    await eventually(async () => ((await ings.get('web', 'site')).status?.loadBalancer?.ingress ?? []).length === 0);
  });
});

describe('startIngress with a static source', () => {
  test('no API server needed: routes from the source, no status writes', async () => {
    const e = await startEcho('static');
    const source = new StaticSource(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'x', (i) => { i.spec = { rules: [rule('static.test', '/', 'Prefix', 'svc', 80)] }; }));
      s.services.push(makeService('ns', 'svc', [80]));
      s.endpointSlices.push(makeSlice('ns', 'svc', '', e.port, ['127.0.0.1']));
    }));
    const r = await startIngress({ source, metricsPort: null });
    try {
      assert.equal((await get(r.httpPort, '/', { host: 'static.test' })).echo?.name, 'static');
      source.set(makeState());
      await eventually(async () => (await get(r.httpPort, '/', { host: 'static.test' })).status === 404);
    } finally {
      await r.stop();
      await e.close();
    }
  });

  test('before the inputs have synced the proxy answers 503, never a wrong 404', async () => {
    const source = new StaticSource(makeState(), false);
    const r = await startIngress({ source, metricsPort: null, syncTimeoutMs: 200 });
    try {
      const res = await get(r.httpPort, '/', { host: 'any.test' });
      assert.equal(res.status, 503);
      assert.match(res.body, /has not synced/);
      source.setSynced(true);
      await eventually(async () => (await get(r.httpPort, '/', { host: 'any.test' })).status === 404);
    } finally {
      await r.stop();
    }
  });
});

describe('Gateway API against an API server', () => {
  const crd = (plural: string, kind: string, scope: 'Namespaced' | 'Cluster', version = 'v1') => ({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.gateway.networking.k8s.io` },
    spec: {
      group: 'gateway.networking.k8s.io', scope, names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }, subresources: { status: {} } }],
    },
  });
  const ref = (plural: string, kind: string, namespaced: boolean) => ({ group: 'gateway.networking.k8s.io', version: 'v1', plural, namespaced, kind });

  test('CRDs installed after start: a Gateway and an HTTPRoute are served, with statuses', async () => {
    const crds = ts.client.resource(builtin('customresourcedefinitions'));
    for (const c of [crd('gatewayclasses', 'GatewayClass', 'Cluster'), crd('gateways', 'Gateway', 'Namespaced'), crd('httproutes', 'HTTPRoute', 'Namespaced'), crd('referencegrants', 'ReferenceGrant', 'Namespaced', 'v1beta1')]) {
      await crds.create('', c as unknown as import('../api/types.ts').KubeObject);
    }
    await eventually(async () => {
      try {
        await ts.client.resource(ref('gateways', 'Gateway', true)).list('web');
        return true;
      } catch {
        return false;
      }
    });
    await ts.client.resource(ref('gatewayclasses', 'GatewayClass', false)).create('', { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'switchboard' }, spec: { controllerName: 'switchboard.dev/gateway-controller' } });
    await ts.client.resource(ref('gateways', 'Gateway', true)).create('web', {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'web' },
      spec: { gatewayClassName: 'switchboard', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: '*.gw.test' }] },
    });
    await ts.client.resource(ref('httproutes', 'HTTPRoute', true)).create('web', {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'web' },
      spec: {
        parentRefs: [{ name: 'gw' }], hostnames: ['app.gw.test'],
        rules: [{
          matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Via', value: 'gateway' }] } }, { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } }],
          backendRefs: [{ name: 'app', port: 80 }],
        }],
      },
    });
    const r = await eventually(async () => {
      const x = await get(ing.httpPort, '/api/items?x=1', { host: 'app.gw.test' });
      return x.status === 200 ? x : undefined;
    });
    assert.equal(r.echo?.url, '/v2/items?x=1');
    assert.equal(r.echo?.headers['x-via'], 'gateway');
    assert.equal((await get(ing.httpPort, '/other', { host: 'app.gw.test' })).status, 404);
    const route = await eventually(async () => {
      const x = await ts.client.resource(ref('httproutes', 'HTTPRoute', true)).get('web', 'r') as import('./gateway/api.ts').HTTPRoute;
      return (x.status?.parents?.length ?? 0) > 0 ? x : undefined;
    });
    assert.deepEqual(route.status?.parents?.[0]?.conditions.map((c) => `${c.type}=${c.status}`), ['Accepted=True', 'ResolvedRefs=True']);
    assert.equal(route.status?.parents?.[0]?.controllerName, 'switchboard.dev/gateway-controller');
    const gw = await eventually(async () => {
      const x = await ts.client.resource(ref('gateways', 'Gateway', true)).get('web', 'gw') as import('./gateway/api.ts').Gateway;
      return (x.status?.listeners?.length ?? 0) > 0 ? x : undefined;
    });
    assert.equal(gw.status?.listeners?.[0]?.attachedRoutes, 1);
    assert.deepEqual(gw.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['Accepted=True', 'Programmed=True']);
    assert.ok(typeof gw.status?.conditions?.[0]?.lastTransitionTime === 'string');
    const gc = await ts.client.resource(ref('gatewayclasses', 'GatewayClass', false)).get('', 'switchboard') as import('./gateway/api.ts').GatewayClass;
    assert.equal(gc.status?.conditions?.[0]?.reason, 'Accepted');
  });
});
