import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compileGateway, intersectHostname, gatewayHostMatches, gatewayController, type GatewayState } from './compile.ts';
import { matchGateway, pickWeighted } from './match.ts';
import { modifyHeaders, redirectLocation, replacePrefix } from './filters.ts';
import type { Gateway, GatewayClass, HTTPBackendRef, HTTPRoute, Listener, ReferenceGrant } from './api.ts';
import { ServiceIndex } from '../route-table/endpoints.ts';
import { makeService, makeSlice } from '../route-table/fake.ts';
import type { Namespace } from '../../api/types.ts';

let seq = 0;
const ts = () => new Date(Date.UTC(2025, 0, 1, 0, 0, ++seq)).toISOString().replace('.000Z', 'Z');
const gc = (name = 'switchboard', tweak?: (g: GatewayClass) => void): GatewayClass => {
  const g: GatewayClass = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name, generation: 1 }, spec: { controllerName: gatewayController } };
  tweak?.(g);
  return g;
};
const gateway = (ns: string, name: string, listeners: Listener[], tweak?: (g: Gateway) => void): Gateway => {
  const g: Gateway = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { namespace: ns, name, generation: 2, creationTimestamp: ts() }, spec: { gatewayClassName: 'switchboard', listeners } };
  tweak?.(g);
  return g;
};
const route = (ns: string, name: string, spec: NonNullable<HTTPRoute['spec']>): HTTPRoute => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { namespace: ns, name, generation: 3, creationTimestamp: ts() }, spec,
});
const http = (name = 'http', extra: Partial<Listener> = {}): Listener => ({ name, port: 80, protocol: 'HTTP', ...extra });

function services(...names: string[]): ServiceIndex {
  return new ServiceIndex(names.map((n) => { const [ns = '', svc = ''] = n.split('/'); return makeService(ns, svc, [8080]); }),
    names.map((n) => { const [ns = '', svc = ''] = n.split('/'); return makeSlice(ns, svc, '', 8080, ['10.0.0.1']); }));
}

function state(over: Partial<GatewayState>): GatewayState {
  return { gatewayClasses: [gc()], gateways: [], httpRoutes: [], referenceGrants: [], namespaces: [], ...over };
}

const req = (host: string, path: string, headers: Record<string, string> = {}, query: Record<string, string> = {}, method = 'GET') => ({
  host, path, method, header: (n: string) => headers[n], query: (n: string) => query[n],
});

describe('hostnames (Gateway API wildcards cover one or more labels)', () => {
  test('matching', () => {
    assert.equal(gatewayHostMatches('*.example.com', 'a.b.example.com'), true);
    assert.equal(gatewayHostMatches('*.example.com', 'example.com'), false);
  });
  const cases: { route: string; listener: string | undefined; want: string | undefined }[] = [
    { route: 'test.example.com', listener: 'test.example.com', want: 'test.example.com' },
    { route: '*.example.com', listener: 'test.example.com', want: 'test.example.com' },
    { route: 'foo.test.example.com', listener: '*.example.com', want: 'foo.test.example.com' },
    { route: 'example.com', listener: '*.example.com', want: undefined },
    { route: 'test.example.net', listener: '*.example.com', want: undefined },
    { route: '*.example.com', listener: undefined, want: '*.example.com' },
  ];
  for (const tc of cases) test(`${tc.route} ∩ ${tc.listener ?? '(none)'}`, () => assert.equal(intersectHostname(tc.route, tc.listener), tc.want));
});

describe('HTTPRoute matching and precedence', () => {
  const idx = services('infra/v1', 'infra/v2', 'infra/v3');
  const st = state({
    gateways: [gateway('infra', 'gw', [http()])],
    httpRoutes: [
      route('infra', 'a', {
        parentRefs: [{ name: 'gw' }],
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'v1', port: 8080 }] },
          { matches: [{ path: { type: 'PathPrefix', value: '/v2' } }], backendRefs: [{ name: 'v2', port: 8080 }] },
          { matches: [{ path: { type: 'Exact', value: '/exact' } }, { path: { type: 'PathPrefix', value: '/exact' }, headers: [{ name: 'Version', value: 'three' }] }], backendRefs: [{ name: 'v3', port: 8080 }] },
        ],
      }),
      route('infra', 'b', {
        parentRefs: [{ name: 'gw' }],
        rules: [{ matches: [{ path: { value: '/v2' }, headers: [{ name: 'version', value: 'one' }] }], backendRefs: [{ name: 'v1', port: 8080 }] }],
      }),
    ],
  });
  const r = compileGateway(st, idx, [], { address: '127.0.0.1' });
  const svc = (q: ReturnType<typeof req>) => {
    const m = matchGateway(r.table, 'http', q);
    return m.kind === 'match' ? m.match.rule.backends[0]?.backend?.service : m.kind;
  };
  const cases: { name: string; q: ReturnType<typeof req>; want: string }[] = [
    { name: 'prefix /', q: req('any.example', '/foo'), want: 'v1' },
    { name: 'longest prefix', q: req('any.example', '/v2/x'), want: 'v2' },
    { name: 'prefix is element-wise', q: req('any.example', '/v2example'), want: 'v1' },
    { name: 'exact wins', q: req('any.example', '/exact'), want: 'v3' },
    { name: 'more header matches win on equal path', q: req('any.example', '/v2', { version: 'one' }), want: 'v1' },
    { name: 'header match under prefix', q: req('any.example', '/exact/sub', { version: 'three' }), want: 'v3' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(svc(tc.q), tc.want));
  test('statuses: route accepted and resolved; listener counts attached routes', () => {
    assert.deepEqual(r.statuses.httpRoutes.map((h) => h.parents.map((p) => p.conditions.map((c) => `${c.type}=${c.status}/${c.reason ?? ''}`))), [
      [['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']], [['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']],
    ]);
    const g = r.statuses.gateways[0]?.status;
    assert.equal(g?.listeners[0]?.attachedRoutes, 2);
    assert.deepEqual(g?.conditions.map((c) => `${c.type}=${c.status}`), ['Accepted=True', 'Programmed=True']);
    assert.deepEqual(g?.addresses, [{ type: 'IPAddress', value: '127.0.0.1' }]);
    assert.equal(g?.conditions[0]?.observedGeneration, 2);
  });
});

describe('route hostnames, listeners and parent refs', () => {
  const idx = services('ns/web');
  const backend = [{ name: 'web', port: 8080 }];
  test('listener hostname matching; no listener for the host: none (Ingress routing goes on)', () => {
    const r = compileGateway(state({
      gateways: [gateway('ns', 'gw', [http('foo', { hostname: 'foo.com' }), http('wild', { hostname: '*.bar.com' })])],
      httpRoutes: [route('ns', 'r', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: backend }] })],
    }), idx, [], { address: '127.0.0.1' });
    assert.equal(matchGateway(r.table, 'http', req('foo.com', '/')).kind, 'match');
    assert.equal(matchGateway(r.table, 'http', req('a.b.bar.com', '/')).kind, 'match');
    assert.equal(matchGateway(r.table, 'http', req('other.com', '/')).kind, 'none');
    assert.equal(matchGateway(r.table, 'https', req('foo.com', '/')).kind, 'none');
  });
  const reasons: { name: string; gw: Gateway; route: HTTPRoute; want: string }[] = [
    { name: 'sectionName not found', gw: gateway('ns', 'gw', [http()]), route: route('ns', 'r', { parentRefs: [{ name: 'gw', sectionName: 'nope' }], rules: [{ backendRefs: backend }] }), want: 'Accepted=False/NoMatchingParent' },
    { name: 'other namespace not allowed (Same)', gw: gateway('infra', 'gw', [http()]), route: route('ns', 'r', { parentRefs: [{ name: 'gw', namespace: 'infra' }], rules: [{ backendRefs: backend }] }), want: 'Accepted=False/NotAllowedByListeners' },
    { name: 'other namespace allowed (All)', gw: gateway('infra', 'gw', [http('http', { allowedRoutes: { namespaces: { from: 'All' } } })]), route: route('ns', 'r', { parentRefs: [{ name: 'gw', namespace: 'infra' }], rules: [{ backendRefs: backend }] }), want: 'Accepted=True/Accepted' },
    { name: 'hostnames do not intersect', gw: gateway('ns', 'gw', [http('h', { hostname: 'a.com' })]), route: route('ns', 'r', { parentRefs: [{ name: 'gw' }], hostnames: ['b.com'], rules: [{ backendRefs: backend }] }), want: 'Accepted=False/NoMatchingListenerHostname' },
  ];
  for (const tc of reasons) {
    test(tc.name, () => {
      const r = compileGateway(state({ gateways: [tc.gw], httpRoutes: [tc.route] }), idx, [], { address: '127.0.0.1' });
      const c = r.statuses.httpRoutes[0]?.parents[0]?.conditions[0];
      assert.equal(`${c?.type}=${c?.status}/${c?.reason}`, tc.want);
    });
  }
  test('Selector admits namespaces by label', () => {
    const ns: Namespace[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app', labels: { 'gateway-conformance': 'backend' } } }];
    const r = compileGateway(state({
      namespaces: ns,
      gateways: [gateway('infra', 'gw', [http('http', { allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'gateway-conformance': 'backend' } } } } })])],
      httpRoutes: [route('app', 'r', { parentRefs: [{ name: 'gw', namespace: 'infra' }], rules: [{ backendRefs: [{ name: 'web', port: 8080, namespace: 'ns' }] }] })],
    }), idx, [], { address: '127.0.0.1' });
    assert.equal(r.statuses.httpRoutes[0]?.parents[0]?.conditions[0]?.status, 'True');
  });
});

describe('backendRefs', () => {
  const idx = services('ns/web', 'other/db');
  const grant: ReferenceGrant = {
    apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { namespace: 'other', name: 'g' },
    spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'ns' }], to: [{ group: '', kind: 'Service' }] },
  };
  const cases: { name: string; refs: HTTPBackendRef[]; grants: ReferenceGrant[]; want: string; served: string }[] = [
    { name: 'missing Service: BackendNotFound, 500', refs: [{ name: 'nope', port: 8080 }], grants: [], want: 'False/BackendNotFound', served: '500' },
    { name: 'unknown kind: InvalidKind', refs: [{ name: 'x', kind: 'Bucket', group: 'example.com', port: 8080 }], grants: [], want: 'False/InvalidKind', served: '500' },
    { name: 'cross-namespace without grant: RefNotPermitted', refs: [{ name: 'db', namespace: 'other', port: 8080 }], grants: [], want: 'False/RefNotPermitted', served: '500' },
    { name: 'cross-namespace with grant', refs: [{ name: 'db', namespace: 'other', port: 8080 }], grants: [grant], want: 'True/ResolvedRefs', served: 'db' },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const r = compileGateway(state({
        gateways: [gateway('ns', 'gw', [http()])], referenceGrants: tc.grants,
        httpRoutes: [route('ns', 'r', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: tc.refs }] })],
      }), idx, [], { address: '127.0.0.1' });
      const c = r.statuses.httpRoutes[0]?.parents[0]?.conditions[1];
      assert.equal(`${c?.status}/${c?.reason}`, tc.want);
      assert.equal(r.statuses.httpRoutes[0]?.parents[0]?.conditions[0]?.status, 'True', 'still Accepted');
      const m = matchGateway(r.table, 'http', req('h', '/'));
      assert.equal(m.kind, 'match');
      if (m.kind === 'match') assert.equal(m.match.rule.backends[0]?.backend?.service ?? '500', tc.served);
    });
  }
  test('weights: share = weight / sum; weight 0 never', () => {
    const backends = [{ backend: undefined, weight: 70 }, { backend: undefined, weight: 30 }, { backend: undefined, weight: 0 }];
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const n = [0, 0, 0];
    for (let i = 0; i < 10_000; i++) {
      const p = pickWeighted(backends, 100, rnd);
      n[backends.indexOf(p as (typeof backends)[number])]! += 1;
    }
    assert.ok(Math.abs((n[0] ?? 0) / 10_000 - 0.7) < 0.03 && n[2] === 0, String(n));
    assert.equal(pickWeighted([{ backend: undefined, weight: 0 }], 0, rnd), undefined);
  });
});

describe('listeners', () => {
  test('unsupported protocol, conflicts, missing certificate refs', () => {
    const r = compileGateway(state({
      gateways: [gateway('ns', 'gw', [
        { name: 'tcp', port: 9000, protocol: 'TCP' },
        { name: 'a', port: 80, protocol: 'HTTP', hostname: 'x.com' },
        { name: 'b', port: 80, protocol: 'HTTP', hostname: 'x.com' },
        { name: 'tls', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'missing' }] } },
      ])],
    }), services(), [], { address: '127.0.0.1' });
    const ls = r.statuses.gateways[0]?.status.listeners ?? [];
    const show = (i: number, type: string) => { const c = ls[i]?.conditions.find((x) => x.type === type); return `${c?.status}/${c?.reason}`; };
    assert.equal(show(0, 'Accepted'), 'False/UnsupportedProtocol');
    assert.deepEqual(ls[0]?.supportedKinds, []);
    assert.equal(show(1, 'Conflicted'), 'True/HostnameConflict');
    assert.equal(show(3, 'ResolvedRefs'), 'False/InvalidCertificateRef');
    assert.equal(r.statuses.gateways[0]?.status.conditions[0]?.reason, 'ListenersNotValid');
  });
  test('GatewayClass with parametersRef is not accepted; others\' classes are ignored', () => {
    const r = compileGateway(state({ gatewayClasses: [gc('p', (g) => { if (g.spec) g.spec.parametersRef = { group: 'x', kind: 'Y', name: 'z' }; }), gc('theirs', (g) => { if (g.spec) g.spec.controllerName = 'example.com/other'; })] }), services(), [], { address: '127.0.0.1' });
    assert.deepEqual(r.statuses.gatewayClasses.map((c) => `${c.ref.name}:${c.conditions[0]?.reason}`), ['p:InvalidParameters']);
  });
});

describe('filters', () => {
  const table: [string, string, string, string][] = [
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'], ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'], ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'], ['/foo', '/foo', '/xyz', '/xyz'], ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'], ['/foo/', '/foo', '', '/'], ['/foo', '/foo', '', '/'], ['/foo/', '/foo', '/', '/'], ['/foo', '/foo', '/', '/'],
  ];
  for (const [path, prefix, repl, want] of table) test(`ReplacePrefixMatch ${path}, ${prefix}, ${JSON.stringify(repl)} → ${want}`, () => assert.equal(replacePrefix(path, prefix, repl), want));
  const redirects: { name: string; f: Parameters<typeof redirectLocation>[1]; want: string }[] = [
    { name: 'hostname only: listener port kept', f: { hostname: 'example.org' }, want: 'http://example.org:8080/p?q=1' },
    { name: 'scheme https: well-known port omitted', f: { scheme: 'https' }, want: 'https://a.com/p?q=1' },
    { name: 'explicit port 80 on http omitted', f: { port: 80 }, want: 'http://a.com/p?q=1' },
    { name: 'explicit port shown', f: { scheme: 'https', port: 8443 }, want: 'https://a.com:8443/p?q=1' },
    { name: 'full path', f: { path: { type: 'ReplaceFullPath', replaceFullPath: '/new' } }, want: 'http://a.com:8080/new?q=1' },
  ];
  for (const tc of redirects) test(`redirect: ${tc.name}`, () => assert.equal(redirectLocation({ scheme: 'http', host: 'a.com', port: 8080, path: '/p', query: 'q=1' }, tc.f, undefined), tc.want));
  test('header modifier: set replaces, add appends with a comma, remove deletes; names case-insensitive', () => {
    const list = ['X-A', '1', 'x-b', '2', 'X-C', '3', 'x-c', '4'];
    modifyHeaders(list, { set: [{ name: 'x-a', value: 'one' }], add: [{ name: 'X-B', value: 'two' }, { name: 'X-New', value: 'n' }], remove: ['X-c'] });
    assert.deepEqual(list, ['x-b', '2,two', 'x-a', 'one', 'X-New', 'n']);
  });
});
