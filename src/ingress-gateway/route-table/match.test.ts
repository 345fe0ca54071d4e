import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chooseCanary, parseCookies } from './match.ts';
import { expand, unknownVariables, type RequestVars } from './nginx-vars.ts';
import { rewriteTarget } from './rewrite.ts';
import type { CanaryRules } from './types.ts';

/** A deterministic [0,1) sequence (a linear congruential generator). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('chooseCanary (ingress-nginx precedence: header → cookie → weight)', () => {
  const none = () => undefined;
  const hdr = (v: string) => (n: string) => (n === 'X-Canary' ? v : undefined);
  const ck = (v: string) => (n: string) => (n === 'canary' ? v : undefined);
  const rules = (r: Partial<CanaryRules>): CanaryRules => ({ weight: 0, weightTotal: 100, ...r });
  const cases: { name: string; rules: CanaryRules; header: (n: string) => string | undefined; cookie: (n: string) => string | undefined; rand: number; want: boolean }[] = [
    { name: 'header always', rules: rules({ byHeader: 'X-Canary' }), header: hdr('always'), cookie: none, rand: 0.99, want: true },
    { name: 'header never beats cookie always', rules: rules({ byHeader: 'X-Canary', byCookie: 'canary' }), header: hdr('never'), cookie: ck('always'), rand: 0, want: false },
    { name: 'header never beats weight 100', rules: rules({ byHeader: 'X-Canary', weight: 100 }), header: hdr('never'), cookie: none, rand: 0, want: false },
    { name: 'header always beats weight 0', rules: rules({ byHeader: 'X-Canary', weight: 0 }), header: hdr('always'), cookie: none, rand: 0.5, want: true },
    { name: 'other header value falls through to cookie', rules: rules({ byHeader: 'X-Canary', byCookie: 'canary' }), header: hdr('maybe'), cookie: ck('always'), rand: 0.99, want: true },
    { name: 'header value match', rules: rules({ byHeader: 'X-Canary', byHeaderValue: 'v2' }), header: hdr('v2'), cookie: none, rand: 0.99, want: true },
    { name: 'with a value, "never" is just another value: falls through to weight', rules: rules({ byHeader: 'X-Canary', byHeaderValue: 'v2', weight: 100 }), header: hdr('never'), cookie: none, rand: 0.5, want: true },
    { name: 'pattern match', rules: rules({ byHeader: 'X-Canary', byHeaderPattern: /^beta-/ }), header: hdr('beta-7'), cookie: none, rand: 0.99, want: true },
    { name: 'invalid pattern: never canary, no further rule', rules: rules({ byHeader: 'X-Canary', byHeaderPattern: 'invalid', weight: 100 }), header: hdr('x'), cookie: none, rand: 0, want: false },
    { name: 'cookie never beats weight', rules: rules({ byCookie: 'canary', weight: 100 }), header: none, cookie: ck('never'), rand: 0, want: false },
    { name: 'weight 0 never', rules: rules({ weight: 0 }), header: none, cookie: none, rand: 0, want: false },
    { name: 'weight = total always', rules: rules({ weight: 100 }), header: none, cookie: none, rand: 0.999, want: true },
    { name: 'weight 10: r=10 is canary', rules: rules({ weight: 10 }), header: none, cookie: none, rand: 0.095, want: true },
    { name: 'weight 10: r=11 is not', rules: rules({ weight: 10 }), header: none, cookie: none, rand: 0.105, want: false },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(chooseCanary(tc.rules, tc.header, tc.cookie, () => tc.rand), tc.want));

  test('weight 10 of 2000 requests lands within 10% ± 3%', () => {
    const rand = seeded(42);
    let n = 0;
    for (let i = 0; i < 2000; i++) if (chooseCanary({ weight: 10, weightTotal: 100 }, none, none, rand)) n++;
    assert.ok(n >= 140 && n <= 260, `canary got ${n} of 2000`);
  });
});

describe('parseCookies', () => {
  test('first value wins, quotes removed', () => {
    assert.deepEqual([...parseCookies('a=1; b="two"; a=3;c')], [['a', '1'], ['b', 'two']]);
  });
});

const vars = (over: Partial<RequestVars> = {}): RequestVars => ({
  scheme: 'https', httpHost: 'App.example.com:8443', host: 'app.example.com', method: 'GET', requestURI: '/a b?x=1&y=2',
  uri: '/a b', args: 'x=1&y=2', remoteAddr: '127.0.0.1', serverPort: 8443, requestId: 'rid',
  header: (n) => (n.toLowerCase() === 'x-user' ? 'alice' : undefined), cookie: (n) => (n === 'sess' ? 'c00' : undefined),
  ...over,
});

describe('nginx variables', () => {
  const cases: { name: string; text: string; want: string }[] = [
    { name: 'seed 000 sign-in', text: 'http://oauth.abc.com:9003/oauth2/start?rd=$scheme://$host$request_uri', want: 'http://oauth.abc.com:9003/oauth2/start?rd=https://app.example.com/a b?x=1&y=2' },
    { name: 'ingress-nginx default rd', text: '?rd=$pass_access_scheme://$http_host$escaped_request_uri', want: '?rd=https://App.example.com:8443%2Fa%20b%3Fx%3D1%26y%3D2' },
    { name: 'headers, cookies, args', text: '$http_x_user/$cookie_sess/$arg_y/${request_method}', want: 'alice/c00/2/GET' },
    { name: 'a lone dollar stays', text: 'cost $ 5', want: 'cost $ 5' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(expand(tc.text, vars()), tc.want));
  test('unknownVariables', () => assert.deepEqual(unknownVariables('$host$nope$http_x$1'), ['$nope']));
});

describe('rewriteTarget (ingress-nginx docs/examples/rewrite)', () => {
  const re = /^\/something(\/|$)(.*)/i;
  const cases: { name: string; path: string; args: string; target: string; want: string }[] = [
    { name: '/something → /', path: '/something', args: '', target: '/$2', want: '/' },
    { name: '/something/ → /', path: '/something/', args: '', target: '/$2', want: '/' },
    { name: '/something/new → /new', path: '/something/new', args: '', target: '/$2', want: '/new' },
    { name: 'query kept', path: '/something/new', args: 'a=1', target: '/$2', want: '/new?a=1' },
    { name: 'target query first, original appended', path: '/something/new', args: 'a=1', target: '/$2?b=2', want: '/new?b=2&a=1' },
    { name: 'trailing ? drops the original query', path: '/something/new', args: 'a=1', target: '/$2?', want: '/new' },
    { name: 'decoded captures are re-encoded', path: '/something/a b', args: '', target: '/$2', want: '/a%20b' },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const captures = re.exec(tc.path);
      assert.equal(rewriteTarget(tc.target, vars({ uri: tc.path, args: tc.args, captures })), tc.want);
    });
  }
});
