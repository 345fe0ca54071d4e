import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildMatcher, matchPath, normalizeHost, normalizePath, hostMatches, validateRulePath, BadPathError, precedenceLength } from './path.ts';

describe('matchPath: one rule path (kubernetes.io Ingress "Examples" single-path rows)', () => {
  const cases: { name: string; type: 'Exact' | 'Prefix' | 'ImplementationSpecific'; rule: string; request: string; want: boolean }[] = [
    { name: 'Prefix / matches any path', type: 'Prefix', rule: '/', request: '/anything/at/all', want: true },
    { name: 'Exact /foo matches /foo', type: 'Exact', rule: '/foo', request: '/foo', want: true },
    { name: 'Exact /foo does not match /bar', type: 'Exact', rule: '/foo', request: '/bar', want: false },
    { name: 'Exact /foo does not match /foo/', type: 'Exact', rule: '/foo', request: '/foo/', want: false },
    { name: 'Exact /foo/ does not match /foo', type: 'Exact', rule: '/foo/', request: '/foo', want: false },
    { name: 'Exact is case-sensitive', type: 'Exact', rule: '/foo', request: '/FOO', want: false },
    { name: 'Prefix /foo matches /foo', type: 'Prefix', rule: '/foo', request: '/foo', want: true },
    { name: 'Prefix /foo matches /foo/', type: 'Prefix', rule: '/foo', request: '/foo/', want: true },
    { name: 'Prefix /foo/ matches /foo', type: 'Prefix', rule: '/foo/', request: '/foo', want: true },
    { name: 'Prefix /foo/ matches /foo/', type: 'Prefix', rule: '/foo/', request: '/foo/', want: true },
    { name: 'Prefix /aaa/bb does not match /aaa/bbb', type: 'Prefix', rule: '/aaa/bb', request: '/aaa/bbb', want: false },
    { name: 'Prefix /aaa/bbb matches /aaa/bbb', type: 'Prefix', rule: '/aaa/bbb', request: '/aaa/bbb', want: true },
    { name: 'Prefix /aaa/bbb/ matches /aaa/bbb (rule trailing slash ignored)', type: 'Prefix', rule: '/aaa/bbb/', request: '/aaa/bbb', want: true },
    { name: 'Prefix /aaa/bbb matches /aaa/bbb/ (request trailing slash ignored)', type: 'Prefix', rule: '/aaa/bbb', request: '/aaa/bbb/', want: true },
    { name: 'Prefix /aaa/bbb matches /aaa/bbb/ccc (sub-path)', type: 'Prefix', rule: '/aaa/bbb', request: '/aaa/bbb/ccc', want: true },
    { name: 'Prefix /aaa/bbb does not match /aaa/bbbxyz (string prefix only)', type: 'Prefix', rule: '/aaa/bbb', request: '/aaa/bbbxyz', want: false },
    { name: 'Prefix /aaa does not match /ccc', type: 'Prefix', rule: '/aaa', request: '/ccc', want: false },
    { name: 'Prefix is case-sensitive', type: 'Prefix', rule: '/aaa', request: '/AAA', want: false },
    { name: 'ImplementationSpecific is nginx\'s string prefix', type: 'ImplementationSpecific', rule: '/foo', request: '/foobar', want: true },
    { name: 'ImplementationSpecific does not match a shorter path', type: 'ImplementationSpecific', rule: '/foo', request: '/fo', want: false },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      assert.equal(matchPath(buildMatcher(tc.rule, tc.type, false), tc.request) !== null, tc.want);
    });
  }
});

describe('regex mode (use-regex / rewrite-target on the host)', () => {
  test('Prefix and ImplementationSpecific become case-insensitive anchored regexes', () => {
    const m = buildMatcher('/something(/|$)(.*)', 'ImplementationSpecific', true);
    const r = matchPath(m, '/SomeThing/new');
    assert.ok(r !== null && r !== true);
    assert.equal(r[2], 'new');
    assert.equal(matchPath(m, '/x/something'), null);
    assert.ok(matchPath(buildMatcher('/api', 'Prefix', true), '/apixyz') !== null);
  });
  test('Exact stays exact', () => {
    assert.deepEqual(buildMatcher('/foo', 'Exact', true), { kind: 'exact', path: '/foo' });
  });
  test('an invalid regex throws', () => {
    assert.throws(() => buildMatcher('/a(', 'Prefix', true), SyntaxError);
  });
});

describe('precedenceLength', () => {
  test('trailing slash does not count for Prefix', () => {
    assert.equal(precedenceLength('/aaa/', 'Prefix'), 4);
    assert.equal(precedenceLength('/aaa', 'Exact'), 4);
    assert.equal(precedenceLength('/', 'Prefix'), 1);
  });
});

describe('normalizePath (nginx $uri)', () => {
  const cases: { name: string; given: string; want: string | 'error' }[] = [
    { name: 'plain path unchanged', given: '/a/b', want: '/a/b' },
    { name: 'root', given: '/', want: '/' },
    { name: 'trailing slash kept', given: '/a/', want: '/a/' },
    { name: 'percent-decoding', given: '/%61dmin', want: '/admin' },
    { name: 'encoded slash decodes', given: '/a%2Fb', want: '/a/b' },
    { name: 'merge slashes', given: '//a///b', want: '/a/b' },
    { name: 'dot segments', given: '/a/./b/../c', want: '/a/c' },
    { name: 'encoded dot-dot resolves', given: '/a/%2e%2e/b', want: '/b' },
    { name: 'trailing dot-dot keeps directory slash', given: '/a/b/..', want: '/a/' },
    { name: 'above the root refused', given: '/../etc/passwd', want: 'error' },
    { name: 'invalid escape refused', given: '/a%zz', want: 'error' },
    { name: 'NUL refused', given: '/a%00b', want: 'error' },
    { name: 'relative target refused', given: 'a/b', want: 'error' },
    { name: 'utf-8 decodes', given: '/caf%C3%A9', want: '/café' },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      if (tc.want === 'error') assert.throws(() => normalizePath(tc.given), BadPathError);
      else assert.equal(normalizePath(tc.given), tc.want);
    });
  }
});

describe('hosts', () => {
  test('normalizeHost strips the port and trailing dot, lower-cases', () => {
    assert.equal(normalizeHost('Foo.COM:8080'), 'foo.com');
    assert.equal(normalizeHost('foo.com.'), 'foo.com');
    assert.equal(normalizeHost('[::1]:80'), '[::1]');
    assert.equal(normalizeHost(undefined), '');
  });
  const cases: { name: string; rule: string; host: string; want: boolean }[] = [
    { name: '*.foo.com matches bar.foo.com', rule: '*.foo.com', host: 'bar.foo.com', want: true },
    { name: '*.foo.com does not match baz.bar.foo.com (one label)', rule: '*.foo.com', host: 'baz.bar.foo.com', want: false },
    { name: '*.foo.com does not match foo.com', rule: '*.foo.com', host: 'foo.com', want: false },
    { name: 'exact host', rule: 'foo.bar.com', host: 'foo.bar.com', want: true },
    { name: 'hosts compare case-insensitively', rule: 'Foo.Bar.com', host: 'foo.bar.com', want: true },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(hostMatches(tc.rule, tc.host), tc.want));
});

describe('validateRulePath (kube-apiserver rules)', () => {
  const cases: { name: string; path: string; type: string; ok: boolean }[] = [
    { name: 'Prefix absolute', path: '/a', type: 'Prefix', ok: true },
    { name: 'Prefix relative', path: 'a', type: 'Prefix', ok: false },
    { name: 'Prefix with //', path: '/a//b', type: 'Prefix', ok: false },
    { name: 'Exact with /../', path: '/a/../b', type: 'Exact', ok: false },
    { name: 'Exact with %2F', path: '/a%2Fb', type: 'Exact', ok: false },
    { name: 'Prefix ending /.', path: '/a/.', type: 'Prefix', ok: false },
    { name: 'ImplementationSpecific regex', path: '/a(/|$)(.*)', type: 'ImplementationSpecific', ok: true },
    { name: 'ImplementationSpecific empty', path: '', type: 'ImplementationSpecific', ok: true },
    { name: 'unknown pathType', path: '/a', type: 'Regex', ok: false },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(validateRulePath(tc.path, tc.type) === undefined, tc.ok));
});
