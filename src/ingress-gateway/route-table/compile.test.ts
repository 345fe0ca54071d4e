import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from './compile.ts';
import { route } from './match.ts';
import { makeIngress, makeService, makeSlice, makeState, makeConfigMap, rule } from './fake.ts';
import type { Ingress } from '../../api/types.ts';
import type { ClusterState } from './compile.ts';

type PT = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** One Ingress with the given paths on host foo.com, each to its own service named after the path. */
function pathsState(paths: readonly [string, PT][]): ClusterState {
  return makeState((s) => {
    s.ingresses.push(makeIngress('default', 'paths', (i) => {
      i.spec = { rules: [{ host: 'foo.com', http: { paths: paths.map(([p, t]) => ({ path: p, pathType: t, backend: { service: { name: svcName(p, t), port: { number: 80 } } } })) } }] };
    }));
    for (const [p, t] of paths) {
      s.services.push(makeService('default', svcName(p, t), [80]));
      s.endpointSlices.push(makeSlice('default', svcName(p, t), '', 80, ['10.244.0.1']));
    }
  });
}

function svcName(p: string, t: PT): string {
  return `${t.toLowerCase()}${p.replace(/[^a-z0-9]/g, '-')}`.replace(/-+$/, '');
}

describe('the Kubernetes docs\' path examples table (through compile + route)', () => {
  const cases: { name: string; paths: [string, PT][]; request: string; want: string | '404' }[] = [
    { name: 'Prefix / matches any path', paths: [['/', 'Prefix']], request: '/any/path', want: '/|Prefix' },
    { name: 'Exact /foo matches /foo', paths: [['/foo', 'Exact']], request: '/foo', want: '/foo|Exact' },
    { name: 'Exact /foo does not match /bar', paths: [['/foo', 'Exact']], request: '/bar', want: '404' },
    { name: 'Exact /foo does not match /foo/', paths: [['/foo', 'Exact']], request: '/foo/', want: '404' },
    { name: 'Exact /foo/ does not match /foo', paths: [['/foo/', 'Exact']], request: '/foo', want: '404' },
    { name: 'Prefix /foo matches /foo', paths: [['/foo', 'Prefix']], request: '/foo', want: '/foo|Prefix' },
    { name: 'Prefix /foo matches /foo/', paths: [['/foo', 'Prefix']], request: '/foo/', want: '/foo|Prefix' },
    { name: 'Prefix /foo/ matches /foo', paths: [['/foo/', 'Prefix']], request: '/foo', want: '/foo/|Prefix' },
    { name: 'Prefix /foo/ matches /foo/', paths: [['/foo/', 'Prefix']], request: '/foo/', want: '/foo/|Prefix' },
    { name: 'Prefix /aaa/bb does not match /aaa/bbb', paths: [['/aaa/bb', 'Prefix']], request: '/aaa/bbb', want: '404' },
    { name: 'Prefix /aaa/bbb matches /aaa/bbb', paths: [['/aaa/bbb', 'Prefix']], request: '/aaa/bbb', want: '/aaa/bbb|Prefix' },
    { name: 'Prefix /aaa/bbb/ matches /aaa/bbb', paths: [['/aaa/bbb/', 'Prefix']], request: '/aaa/bbb', want: '/aaa/bbb/|Prefix' },
    { name: 'Prefix /aaa/bbb matches /aaa/bbb/', paths: [['/aaa/bbb', 'Prefix']], request: '/aaa/bbb/', want: '/aaa/bbb|Prefix' },
    { name: 'Prefix /aaa/bbb matches /aaa/bbb/ccc', paths: [['/aaa/bbb', 'Prefix']], request: '/aaa/bbb/ccc', want: '/aaa/bbb|Prefix' },
    { name: 'Prefix /aaa/bbb does not match /aaa/bbbxyz', paths: [['/aaa/bbb', 'Prefix']], request: '/aaa/bbbxyz', want: '404' },
    { name: 'Prefix /, /aaa: /aaa/ccc goes to /aaa', paths: [['/', 'Prefix'], ['/aaa', 'Prefix']], request: '/aaa/ccc', want: '/aaa|Prefix' },
    { name: 'Prefix /, /aaa, /aaa/bbb: /aaa/bbb goes to /aaa/bbb', paths: [['/', 'Prefix'], ['/aaa', 'Prefix'], ['/aaa/bbb', 'Prefix']], request: '/aaa/bbb', want: '/aaa/bbb|Prefix' },
    { name: 'Prefix /, /aaa, /aaa/bbb: /ccc goes to /', paths: [['/', 'Prefix'], ['/aaa', 'Prefix'], ['/aaa/bbb', 'Prefix']], request: '/ccc', want: '/|Prefix' },
    { name: 'Prefix /aaa: /ccc goes to the default backend', paths: [['/aaa', 'Prefix']], request: '/ccc', want: '404' },
    { name: 'Prefix /foo and Exact /foo: /foo goes to Exact', paths: [['/foo', 'Prefix'], ['/foo', 'Exact']], request: '/foo', want: '/foo|Exact' },
    { name: 'Exact wins a tie with Prefix /foo/ (trailing slash not counted)', paths: [['/foo/', 'Prefix'], ['/foo', 'Exact']], request: '/foo', want: '/foo|Exact' },
    { name: 'longest wins across types', paths: [['/a', 'Prefix'], ['/a/b', 'ImplementationSpecific']], request: '/a/bc', want: '/a/b|ImplementationSpecific' },
    { name: 'Prefix beats ImplementationSpecific of equal length', paths: [['/a', 'ImplementationSpecific'], ['/a', 'Prefix']], request: '/a/x', want: '/a|Prefix' },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const { table, diagnostics } = compile(pathsState(tc.paths));
      assert.deepEqual(diagnostics.filter((d) => d.type === 'Warning'), []);
      const m = route(table, 'foo.com', tc.request);
      if (tc.want === '404') {
        assert.equal(m.location.isDefaultBackend, true);
        assert.equal(m.location.backend.key, 'default-backend');
      } else {
        assert.equal(`${m.location.path}|${m.location.pathType}`, tc.want);
        assert.equal(m.location.backend.service, svcName(m.location.path, m.location.pathType));
      }
    });
  }
});

describe('hosts and servers', () => {
  const state = makeState((s) => {
    s.ingresses.push(makeIngress('default', 'hosts', (i) => {
      i.spec = { rules: [rule('foo.com', '/', 'Prefix', 'exact', 80), rule('*.foo.com', '/', 'Prefix', 'wild', 80), rule(undefined, '/', 'Prefix', 'any', 80)] };
    }));
    for (const n of ['exact', 'wild', 'any']) {
      s.services.push(makeService('default', n, [80]));
      s.endpointSlices.push(makeSlice('default', n, '', 80, ['10.244.0.1']));
    }
  });
  const { table } = compile(state);
  const cases: { name: string; host: string; want: string }[] = [
    { name: 'exact host', host: 'foo.com', want: 'exact' },
    { name: 'one-label wildcard', host: 'bar.foo.com', want: 'wild' },
    { name: 'wildcard does not cover two labels: catch-all', host: 'baz.bar.foo.com', want: 'any' },
    { name: 'unknown host: rule without host', host: 'other.org', want: 'any' },
    { name: 'no Host at all: rule without host', host: '', want: 'any' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(route(table, tc.host, '/x').location.backend.service, tc.want));
  test('a known host does not fall back to host-less rules (ingress-nginx servers)', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('default', 'a', (i) => { i.spec = { rules: [rule('foo.com', '/a', 'Prefix', 'svc', 80), rule(undefined, '/b', 'Prefix', 'svc', 80)] }; }));
      s.services.push(makeService('default', 'svc', [80]));
    });
    const t = compile(st).table;
    assert.equal(route(t, 'foo.com', '/b').location.isDefaultBackend, true);
    assert.equal(route(t, 'x.org', '/b').location.path, '/b');
  });
});

describe('backends', () => {
  test('port by number and by name resolve to the ready endpoints of the EndpointSlice port', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ns1', 'two', (i) => {
        i.spec = { rules: [rule('a.com', '/', 'Prefix', 'web', 8080), rule('b.com', '/', 'Prefix', 'web', 'admin')] };
      }));
      s.services.push(makeService('ns1', 'web', [[8080, 'http'], [8888, 'admin']]));
      s.endpointSlices.push(makeSlice('ns1', 'web', 'http', 18080, ['10.244.0.2', '10.244.0.1']));
      s.endpointSlices.push(makeSlice('ns1', 'web', 'admin', 18888, ['10.244.0.1', '10.244.0.3'], (sl) => {
        const ep = sl.endpoints?.[1];
        if (ep !== undefined) ep.conditions = { ready: false };
      }));
    });
    const { table } = compile(st);
    assert.deepEqual(route(table, 'a.com', '/').location.backend.endpoints.map((e) => e.key), ['10.244.0.1:18080', '10.244.0.2:18080']);
    assert.deepEqual(route(table, 'b.com', '/').location.backend.endpoints.map((e) => e.key), ['10.244.0.1:18888']);
  });
  test('missing service, missing port and no endpoints are 503 problems that say which', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ns1', 'p', (i) => {
        i.spec = { rules: [rule('a.com', '/', 'Prefix', 'nosvc', 80), rule('b.com', '/', 'Prefix', 'web', 81), rule('c.com', '/', 'Prefix', 'web', 80)] };
      }));
      s.services.push(makeService('ns1', 'web', [80]));
    });
    const { table } = compile(st);
    assert.deepEqual(route(table, 'a.com', '/').location.backend.problem, { status: 503, reason: 'service ns1/nosvc not found' });
    assert.deepEqual(route(table, 'b.com', '/').location.backend.problem, { status: 503, reason: 'service ns1/web has no TCP port 81' });
    assert.deepEqual(route(table, 'c.com', '/').location.backend.problem, { status: 503, reason: 'no ready endpoints for service ns1/web port 80' });
  });
  test('resource backends are refused with a clear event', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ns1', 'res', (i) => {
        i.spec = { rules: [{ host: 'a.com', http: { paths: [{ path: '/icons', pathType: 'Prefix', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'icon-assets' } } }] } }] };
      }));
    });
    const { table, diagnostics } = compile(st);
    assert.equal(route(table, 'a.com', '/icons').location.isDefaultBackend, true);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]?.reason, 'UnsupportedBackend');
    assert.match(diagnostics[0]?.message ?? '', /spec\.rules\[0\]\.http\.paths\[0\]\.backend\.resource: resource backends \(k8s\.example\.com\/StorageBucket icon-assets\) are not supported/);
  });
  test('ExternalName services proxy to their name', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ns1', 'ext', (i) => { i.spec = { rules: [rule('a.com', '/', 'Prefix', 'ext', 443)] }; }));
      s.services.push(makeService('ns1', 'ext', [443], (svc) => { svc.spec = { type: 'ExternalName', externalName: 'example.org', ports: [{ port: 443 }] }; }));
    });
    assert.deepEqual(route(compile(st).table, 'a.com', '/').location.backend.endpoints, [{ address: 'example.org', port: 443, key: 'example.org:443' }]);
  });
});

describe('defaultBackend', () => {
  const st = makeState((s) => {
    s.ingresses.push(makeIngress('ns1', 'catch', (i) => { i.spec = { defaultBackend: { service: { name: 'fallback', port: { number: 80 } } } }; }));
    s.ingresses.push(makeIngress('ns1', 'hostdef', (i) => {
      i.spec = { defaultBackend: { service: { name: 'hostfb', port: { number: 80 } } }, rules: [rule('a.com', '/api', 'Prefix', 'api', 80)] };
    }));
    for (const n of ['fallback', 'hostfb', 'api']) s.services.push(makeService('ns1', n, [80]));
  });
  const { table } = compile(st);
  test('an Ingress with only a defaultBackend takes the catch-all server', () => {
    assert.equal(route(table, 'unknown.org', '/x').location.backend.service, 'fallback');
  });
  test('an Ingress with rules and a defaultBackend serves its hosts\' unmatched paths with it', () => {
    assert.equal(route(table, 'a.com', '/api/v1').location.backend.service, 'api');
    assert.equal(route(table, 'a.com', '/other').location.backend.service, 'hostfb');
  });
});

describe('conflicts and classes', () => {
  test('the older Ingress wins a host+path; the newer one gets an event', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ns1', 'old', (i) => { i.spec = { rules: [rule('a.com', '/', 'Prefix', 'one', 80)] }; }));
      s.ingresses.push(makeIngress('ns1', 'new', (i) => { i.spec = { rules: [rule('a.com', '/', 'Prefix', 'two', 80)] }; }));
      s.ingresses.reverse();
    });
    const { table, diagnostics } = compile(st);
    assert.equal(route(table, 'a.com', '/').location.backend.service, 'one');
    assert.equal(diagnostics[0]?.object.name, 'new');
    assert.equal(diagnostics[0]?.reason, 'Conflict');
  });
  const classCases: { name: string; tweak: (i: Ingress) => void; served: boolean }[] = [
    { name: 'ingressClassName nginx is ours', tweak: (i) => { i.spec = { ...i.spec, ingressClassName: 'nginx' }; }, served: true },
    { name: 'ingressClassName switchboard is ours', tweak: (i) => { i.spec = { ...i.spec, ingressClassName: 'switchboard' }; }, served: true },
    { name: 'no class while ours is the default', tweak: () => {}, served: true },
    { name: 'another class is not ours', tweak: (i) => { i.spec = { ...i.spec, ingressClassName: 'traefik' }; }, served: false },
    { name: 'legacy annotation naming ours', tweak: (i) => { i.metadata.annotations = { 'kubernetes.io/ingress.class': 'nginx' }; }, served: true },
    { name: 'legacy annotation naming another', tweak: (i) => { i.metadata.annotations = { 'kubernetes.io/ingress.class': 'haproxy' }; }, served: false },
    { name: 'being deleted', tweak: (i) => { i.metadata.deletionTimestamp = '2025-01-01T00:00:00Z'; }, served: false },
  ];
  for (const tc of classCases) {
    test(tc.name, () => {
      const st = makeState((s) => {
        s.ingresses.push(makeIngress('ns1', 'c', (i) => { i.spec = { rules: [rule('a.com', '/', 'Prefix', 'svc', 80)] }; tc.tweak(i); }));
      });
      assert.equal(compile(st).served.length, tc.served ? 1 : 0);
    });
  }
  test('no class is not ours when our classes are not the default', () => {
    const st = makeState((s) => {
      for (const c of s.ingressClasses) delete c.metadata.annotations;
      s.ingresses.push(makeIngress('ns1', 'c', (i) => { i.spec = { rules: [rule('a.com', '/', 'Prefix', 'svc', 80)] }; }));
    });
    assert.equal(compile(st).served.length, 0);
  });
});

describe('seed 000: two hosts to two ports of one Service', () => {
  test('8080.abc.com → :8080 and 8888.abc.com → :8888', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ai-flow', 'my-ingress', (i) => {
        i.spec = { ingressClassName: 'nginx', rules: [rule('8080.abc.com', '/', 'Prefix', 'ffddsssss-1-1270', 8080), rule('8888.abc.com', '/', 'Prefix', 'ffddsssss-1-1270', 8888)] };
      }));
      s.services.push(makeService('ai-flow', 'ffddsssss-1-1270', [[8080, 'a'], [8888, 'b']]));
      s.endpointSlices.push(makeSlice('ai-flow', 'ffddsssss-1-1270', 'a', 8080, ['10.244.1.5']));
      s.endpointSlices.push(makeSlice('ai-flow', 'ffddsssss-1-1270', 'b', 8888, ['10.244.1.5']));
    });
    const { table } = compile(st);
    assert.equal(route(table, '8080.abc.com', '/x').location.backend.endpoints[0]?.key, '10.244.1.5:8080');
    assert.equal(route(table, '8888.abc.com', '/').location.backend.endpoints[0]?.key, '10.244.1.5:8888');
  });
});

describe('canary ingresses (seed 004)', () => {
  const base = (canaryAnn: Record<string, string>, canaryHost = 'api.example.com') => makeState((s) => {
    s.ingresses.push(makeIngress('default', 'main', (i) => { i.spec = { ingressClassName: 'nginx', rules: [rule('api.example.com', '/', 'Prefix', 'app-v1', 80)] }; }));
    s.ingresses.push(makeIngress('default', 'canary-ingress', (i) => {
      i.metadata.annotations = { 'nginx.ingress.kubernetes.io/canary': 'true', ...canaryAnn };
      i.spec = { ingressClassName: 'nginx', rules: [rule(canaryHost, '/', 'Prefix', 'app-v2', 80)] };
    }));
    for (const n of ['app-v1', 'app-v2']) {
      s.services.push(makeService('default', n, [80]));
      s.endpointSlices.push(makeSlice('default', n, '', 80, ['10.244.0.9']));
    }
  });
  test('the canary attaches to the main location with its weight', () => {
    const { table, served, diagnostics } = compile(base({ 'nginx.ingress.kubernetes.io/canary-weight': '10' }));
    assert.deepEqual(diagnostics, []);
    assert.equal(served.length, 2);
    const loc = route(table, 'api.example.com', '/').location;
    assert.equal(loc.backend.service, 'app-v1');
    assert.equal(loc.canary?.backend.service, 'app-v2');
    assert.deepEqual(loc.canary?.rules, { weight: 10, weightTotal: 100 });
  });
  test('a canary without a main Ingress is ignored with an event', () => {
    const { table, diagnostics } = compile(base({ 'nginx.ingress.kubernetes.io/canary-weight': '10' }, 'other.example.com'));
    assert.equal(route(table, 'other.example.com', '/').location.isDefaultBackend, true);
    assert.equal(diagnostics[0]?.reason, 'NoMainIngress');
  });
});

describe('regex hosts and rewrite-target', () => {
  test('rewrite-target on one Ingress makes every path of the host a regex, longest first', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ns1', 'rw', (i) => {
        i.metadata.annotations = { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' };
        i.spec = { rules: [rule('a.com', '/something(/|$)(.*)', 'ImplementationSpecific', 'svc', 80)] };
      }));
      s.ingresses.push(makeIngress('ns1', 'plain', (i) => {
        i.spec = { rules: [{ host: 'a.com', http: { paths: ['/foo/bar/.+', '/foo/bar/', '/foo/bar'].map((p) => ({ path: p, pathType: 'ImplementationSpecific', backend: { service: { name: `s${p.length}`, port: { number: 80 } } } })) } }] };
      }));
    });
    const { table } = compile(st);
    assert.equal(route(table, 'a.com', '/foo/bar/1').location.path, '/foo/bar/.+');
    assert.equal(route(table, 'a.com', '/foo/bar/').location.path, '/foo/bar/');
    assert.equal(route(table, 'a.com', '/foo/bar').location.path, '/foo/bar');
    const m = route(table, 'a.com', '/SOMETHING/new');
    assert.equal(m.location.path, '/something(/|$)(.*)');
    assert.equal(m.captures?.[2], 'new');
  });
  test('an invalid regex drops the path with an event', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ns1', 'bad', (i) => {
        i.metadata.annotations = { 'nginx.ingress.kubernetes.io/use-regex': 'true' };
        i.spec = { rules: [rule('a.com', '/a(', 'ImplementationSpecific', 'svc', 80)] };
      }));
    });
    const { diagnostics } = compile(st);
    assert.equal(diagnostics[0]?.reason, 'InvalidPath');
  });
});

describe('annotations that refuse or deny', () => {
  test('configuration-snippet: the Ingress is not served, with an event', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ns1', 'snip', (i) => {
        i.metadata.annotations = { 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X: y";' };
        i.spec = { rules: [rule('a.com', '/', 'Prefix', 'svc', 80)] };
      }));
    });
    const { table, diagnostics, served } = compile(st);
    assert.equal(served.length, 0);
    assert.equal(route(table, 'a.com', '/').location.isDefaultBackend, true);
    assert.equal(diagnostics[0]?.reason, 'AnnotationRefused');
  });
  test('basic auth (unsupported): the paths are denied, never served open', () => {
    const st = makeState((s) => {
      s.ingresses.push(makeIngress('ns1', 'basic', (i) => {
        i.metadata.annotations = { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': 'htpasswd' };
        i.spec = { rules: [rule('a.com', '/', 'Prefix', 'svc', 80)] };
      }));
    });
    const loc = route(compile(st).table, 'a.com', '/').location;
    assert.match(loc.denied ?? '', /access control not supported/);
  });
});

describe('tcp-services and udp-services', () => {
  test('entries become L4 services; reserved ports and bad entries are reported', () => {
    const st = makeState((s) => {
      s.configMaps.push(makeConfigMap('ingress-nginx', 'tcp-services', { '9000': 'default/example-go:8080', '9001': 'default/example-go:8080:PROXY', '80': 'default/x:80', 'abc': 'default/x:1', '9002': 'nonamespace:80' }));
      s.configMaps.push(makeConfigMap('ingress-nginx', 'udp-services', { '5353': 'kube-system/kube-dns:53' }));
      s.services.push(makeService('default', 'example-go', [8080]));
      s.endpointSlices.push(makeSlice('default', 'example-go', '', 8080, ['10.244.0.7']));
      s.services.push(makeService('kube-system', 'kube-dns', [53], (svc) => { svc.spec = { ...svc.spec, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }; }));
      s.endpointSlices.push(makeSlice('kube-system', 'kube-dns', 'dns', 53, ['10.244.0.10'], (sl) => { sl.ports = [{ name: 'dns', port: 53, protocol: 'UDP' }]; }));
    });
    const { table, diagnostics } = compile(st, { reservedPorts: [80, 443] });
    assert.deepEqual(table.l4.map((l) => [l.protocol, l.port, l.backend.endpoints.map((e) => e.key).join(','), l.proxyProtocolDecode]), [
      ['TCP', 9000, '10.244.0.7:8080', false],
      ['TCP', 9001, '10.244.0.7:8080', true],
      ['UDP', 5353, '10.244.0.10:53', false],
    ]);
    assert.equal(diagnostics.length, 3);
    assert.ok(diagnostics.every((d) => d.object.kind === 'ConfigMap'));
  });
});
