import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnnotations, buildAuthSignURL, parseSize, parseCIDRList, parseBool } from './annotations.ts';

const p = 'nginx.ingress.kubernetes.io/';
const parse = (a: Record<string, string>) => parseAnnotations(Object.fromEntries(Object.entries(a).map(([k, v]) => [k.includes('/') ? k : p + k, v])));

describe('defaults', () => {
  test('no annotations: ingress-nginx defaults', () => {
    const r = parse({});
    assert.deepEqual(r.config, {
      useRegex: false, sslRedirect: true, forceSslRedirect: false, fromToWwwRedirect: false, backendProtocol: 'HTTP',
      connectTimeoutMs: 5000, sendTimeoutMs: 60000, readTimeoutMs: 60000, nextUpstreamTries: 3, bodySizeLimit: 1048576, accessLog: true,
    });
    assert.deepEqual(r.findings, []);
    assert.equal(r.canary, undefined);
  });
  test('annotations of other prefixes are not ours to judge', () => {
    assert.deepEqual(parse({ 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'cert-manager.io/cluster-issuer': 'x' }).findings, []);
  });
});

describe('values', () => {
  const cases: { name: string; given: Record<string, string>; want: (r: ReturnType<typeof parse>) => unknown; expect: unknown }[] = [
    { name: 'proxy-body-size 8m', given: { 'proxy-body-size': '8m' }, want: (r) => r.config.bodySizeLimit, expect: 8 * 1024 * 1024 },
    { name: 'proxy-body-size 0 is unlimited', given: { 'proxy-body-size': '0' }, want: (r) => r.config.bodySizeLimit, expect: 0 },
    { name: 'timeouts are seconds', given: { 'proxy-connect-timeout': '2', 'proxy-read-timeout': '120s' }, want: (r) => [r.config.connectTimeoutMs, r.config.readTimeoutMs], expect: [2000, 120000] },
    { name: 'backend-protocol GRPC', given: { 'backend-protocol': 'GRPC' }, want: (r) => r.config.backendProtocol, expect: 'GRPC' },
    { name: 'backend-protocol AUTO_HTTP is HTTP', given: { 'backend-protocol': 'AUTO_HTTP' }, want: (r) => r.config.backendProtocol, expect: 'HTTP' },
    { name: 'ssl-redirect false', given: { 'ssl-redirect': 'false' }, want: (r) => r.config.sslRedirect, expect: false },
    { name: 'force-ssl-redirect', given: { 'force-ssl-redirect': 'true' }, want: (r) => r.config.forceSslRedirect, expect: true },
    { name: 'allowlist wins over whitelist', given: { 'whitelist-source-range': '10.0.0.0/8', 'allowlist-source-range': '192.168.0.0/16, 127.0.0.1' }, want: (r) => r.config.allowSourceRange, expect: ['192.168.0.0/16', '127.0.0.1'] },
    { name: 'limit-rps with default burst multiplier', given: { 'limit-rps': '5' }, want: (r) => r.config.rateLimit, expect: { rps: 5, rpm: 0, connections: 0, burstMultiplier: 5, allowlist: [], status: 503 } },
    { name: 'affinity cookie with defaults', given: { affinity: 'cookie' }, want: (r) => r.config.affinity, expect: { cookieName: 'INGRESSCOOKIE', path: '', conditionalSameSiteNone: false, mode: 'balanced', changeOnFailure: false, canaryBehavior: 'sticky' } },
    { name: 'canary weight and total ≤ 100 treated as 100', given: { canary: 'true', 'canary-weight': '10', 'canary-weight-total': '50' }, want: (r) => r.canary, expect: { weight: 10, weightTotal: 100 } },
    { name: 'canary weight total 1000', given: { canary: 'true', 'canary-weight': '10', 'canary-weight-total': '1000' }, want: (r) => r.canary, expect: { weight: 10, weightTotal: 1000 } },
    { name: 'canary-by-header-pattern ignored when a value is set', given: { canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-value': 'yes', 'canary-by-header-pattern': 'y.*' }, want: (r) => r.canary, expect: { weight: 0, weightTotal: 100, byHeader: 'X-Canary', byHeaderValue: 'yes' } },
    { name: 'server-alias', given: { 'server-alias': 'www.a.com, B.com' }, want: (r) => r.serverAliases, expect: ['www.a.com', 'b.com'] },
  ];
  for (const tc of cases) test(tc.name, () => assert.deepEqual(tc.want(parse(tc.given)), tc.expect));
});

describe('external auth (seed 000)', () => {
  test('auth-url, auth-signin with its own rd, auth-response-headers', () => {
    const r = parse({
      'auth-response-headers': 'X-Auth-Request-User, X-Auth-Request-Email',
      'auth-signin': 'http://oauth.abc.com:9003/oauth2/start?rd=$scheme://$host$request_uri',
      'auth-url': 'http://oauth.abc.com:9003/oauth2/auth',
    });
    assert.deepEqual(r.config.auth, {
      url: 'http://oauth.abc.com:9003/oauth2/auth', host: 'oauth.abc.com:9003', alwaysSetCookie: false,
      responseHeaders: ['X-Auth-Request-User', 'X-Auth-Request-Email'],
      signin: 'http://oauth.abc.com:9003/oauth2/start?rd=$scheme://$host$request_uri',
    });
    assert.deepEqual(r.findings, []);
  });
  test('an invalid auth-url denies the paths', () => {
    const r = parse({ 'auth-url': 'oauth/auth' });
    assert.match(r.denied ?? '', /auth-url: invalid value/);
  });
  const signCases: { name: string; given: string; want: string }[] = [
    { name: 'no query: ?rd= added', given: 'https://auth/start', want: 'https://auth/start?rd=$pass_access_scheme://$http_host$escaped_request_uri' },
    { name: 'other query: &rd= added', given: 'https://auth/start?x=1', want: 'https://auth/start?x=1&rd=$pass_access_scheme://$http_host$escaped_request_uri' },
    { name: 'rd present: left alone', given: 'https://auth/start?rd=https://x', want: 'https://auth/start?rd=https://x' },
  ];
  for (const tc of signCases) test(`buildAuthSignURL: ${tc.name}`, () => assert.equal(buildAuthSignURL(tc.given, 'rd'), tc.want));
});

describe('findings', () => {
  test('unknown, unsupported and no-effect annotations are reported, not silent', () => {
    const r = parse({ 'rewrite-targte': '/', 'enable-cors': 'true', 'proxy-buffering': 'on' });
    assert.deepEqual(r.findings.map((f) => [f.type, f.reason]), [
      ['Warning', 'UnsupportedAnnotation'], ['Warning', 'UnknownAnnotation'], ['Normal', 'AnnotationIgnored'],
    ]);
    assert.match(r.findings[1]?.message ?? '', /nginx\.ingress\.kubernetes\.io\/rewrite-targte.*a typo\?/);
  });
  test('snippets refuse the Ingress', () => {
    const r = parse({ 'configuration-snippet': 'deny all;', 'server-snippet': 'x' });
    assert.match(r.refused ?? '', /configuration-snippet, nginx\.ingress\.kubernetes\.io\/server-snippet: nginx configuration snippets are not supported/);
    assert.equal(r.findings[0]?.reason, 'AnnotationRefused');
  });
  test('an invalid source range denies (never open)', () => {
    assert.match(parse({ 'whitelist-source-range': '10.0.0.0/8, nope' }).denied ?? '', /"nope" is not an IP address or CIDR/);
  });
  test('an invalid timeout falls back to the default with an event', () => {
    const r = parse({ 'proxy-read-timeout': 'soon' });
    assert.equal(r.config.readTimeoutMs, 60000);
    assert.equal(r.findings[0]?.reason, 'InvalidAnnotation');
  });
  test('canary-* without canary: "true" is reported', () => {
    assert.equal(parse({ 'canary-weight': '10' }).findings[0]?.reason, 'InvalidAnnotation');
  });
});

describe('parsers', () => {
  test('parseSize', () => {
    assert.equal(parseSize('1m'), 1048576);
    assert.equal(parseSize('512k'), 524288);
    assert.equal(parseSize('2G'), 2 * 1024 ** 3);
    assert.equal(parseSize('100'), 100);
    assert.equal(parseSize('1.5m'), undefined);
  });
  test('parseCIDRList', () => {
    assert.deepEqual(parseCIDRList('10.0.0.0/24,172.10.0.1, ::1/128'), { cidrs: ['10.0.0.0/24', '172.10.0.1', '::1/128'] });
    assert.deepEqual(parseCIDRList('10.0.0.0/33'), { bad: '10.0.0.0/33' });
  });
  test('parseBool (strconv.ParseBool)', () => {
    assert.equal(parseBool('True'), true);
    assert.equal(parseBool('0'), false);
    assert.equal(parseBool('yes'), undefined);
  });
});
