// Text formats: access log lines (ingress-nginx's log-format-upstream), Prometheus exposition,
// PROXY protocol v1, error bodies.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatAccessLine, timeLocal } from './access-log.ts';
import { Counter, Histogram, labelString } from './metrics.ts';
import { parseProxyV1, proxyV1Line } from './l4.ts';
import { errorBody, rawResponse } from './responses.ts';
import { newRequestId } from './handler.ts';

describe('access log', () => {
  test('ingress-nginx upstream format', () => {
    const line = formatAccessLine({
      remoteAddr: '127.0.0.1', remoteUser: '', time: new Date(Date.UTC(2025, 10, 21, 21, 50, 3)), method: 'GET', target: '/a?b=1', protocol: 'HTTP/1.1',
      status: 200, bodyBytesSent: 12, referer: '', userAgent: 'curl/8 "x"', requestLength: 0, requestTimeSec: 0.0042, upstreamName: 'ns-svc-80',
      alternativeUpstreamName: '', upstreamAddr: '10.0.0.1:80', upstreamResponseLength: '', upstreamResponseTime: '0.004', upstreamStatus: '200', requestId: 'abc',
    });
    assert.equal(line, '127.0.0.1 - - [21/Nov/2025:21:50:03 +0000] "GET /a?b=1 HTTP/1.1" 200 12 "-" "curl/8 \\x22x\\x22" 0 0.004 [ns-svc-80] [] 10.0.0.1:80 - 0.004 200 abc\n');
    assert.equal(timeLocal(new Date(Date.UTC(2025, 0, 5, 3, 4, 5))), '05/Jan/2025:03:04:05 +0000');
  });
});

describe('metrics exposition', () => {
  test('counter and histogram text', () => {
    const c = new Counter('x_total', 'help', ['a', 'b']);
    c.inc({ a: '1', b: 'q"\\' });
    c.inc({ a: '1', b: 'q"\\' }, 2);
    const h = new Histogram('d_seconds', 'durations', ['a'], [0.1, 1]);
    h.observe({ a: 'x' }, 0.05);
    h.observe({ a: 'x' }, 0.5);
    const out: string[] = [];
    c.render(out);
    h.render(out);
    assert.deepEqual(out, [
      '# HELP x_total help', '# TYPE x_total counter', 'x_total{a="1",b="q\\"\\\\"} 3',
      '# HELP d_seconds durations', '# TYPE d_seconds histogram',
      'd_seconds_bucket{a="x",le="0.1"} 1', 'd_seconds_bucket{a="x",le="1"} 2', 'd_seconds_bucket{a="x",le="+Inf"} 2',
      'd_seconds_sum{a="x"} 0.55', 'd_seconds_count{a="x"} 2',
    ]);
    assert.equal(labelString([], []), '');
  });
});

describe('PROXY protocol v1', () => {
  test('parse and render', () => {
    const buf = Buffer.from('PROXY TCP4 192.168.0.1 10.0.0.1 56324 443\r\nGET /');
    assert.deepEqual(parseProxyV1(buf), { src: '192.168.0.1', srcPort: 56324, dst: '10.0.0.1', dstPort: 443, length: 43 });
    assert.equal(parseProxyV1(Buffer.from('PROXY TCP4 1.2')), undefined);
    assert.ok('error' in (parseProxyV1(Buffer.from('GET / HTTP/1.1\r\n')) ?? {}));
    assert.equal(proxyV1Line('::1', 1, '::1', 2), 'PROXY TCP6 ::1 ::1 1 2\r\n');
  });
});

describe('responses', () => {
  test('bodies say which failure', () => {
    assert.equal(errorBody(503, 'no ready endpoints for service a/b port 80'), '503 Service Temporarily Unavailable: no ready endpoints for service a/b port 80\n');
    assert.match(rawResponse(431, 'request header fields too large'), /^HTTP\/1\.1 431 Request Header Fields Too Large\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Length: 69\r\nConnection: close\r\n\r\n431 /);
  });
  test('request ids are 32 hex digits and distinct', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRequestId()));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  });
});
