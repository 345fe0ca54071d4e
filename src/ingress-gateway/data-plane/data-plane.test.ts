// The data plane against real sockets on loopback: local echo upstreams, compiled tables applied to
// a running DataPlane, real HTTP/1.1, HTTP/2 and TLS clients. No API server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { spawnSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataPlane } from './server.ts';
import { compileAll, type FullState } from '../compile-all.ts';
import { gatewayController } from '../gateway/compile.ts';
import { makeConfigMap, makeIngress, makeService, makeSlice, makeState, makeTLSSecret, rule } from '../route-table/fake.ts';
import { startEcho, get, rawRequest, peerCertificate, closeClients, type EchoServer } from './testing.ts';
import { generateCertificate } from './selfsigned.ts';

let dp: DataPlane;
const echoes: EchoServer[] = [];
const ann = (a: Record<string, string>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [`nginx.ingress.kubernetes.io/${k}`, v]));

async function echo(name: string, h?: Parameters<typeof startEcho>[1]): Promise<EchoServer> {
  const e = await startEcho(name, h);
  echoes.push(e);
  return e;
}

/** A Service `name` port 80 whose endpoints are the given echo servers (each on its own loopback port via one slice per server). */
function backend(s: { services: import('../../api/types.ts').Service[]; endpointSlices: import('../../api/types.ts').EndpointSlice[] }, ns: string, name: string, servers: readonly { port: number }[], port = 80): void {
  s.services.push(makeService(ns, name, [port]));
  servers.forEach((e, i) => s.endpointSlices.push(makeSlice(ns, name, '', e.port, ['127.0.0.1'], (sl) => { sl.metadata.name = `${name}-${i}`; })));
}

async function apply(st: FullState): Promise<ReturnType<typeof compileAll>> {
  const r = compileAll(st, { reservedPorts: [dp.httpAddress.port, dp.httpsAddress.port] });
  await dp.apply(r.table);
  return r;
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

before(async () => {
  dp = await DataPlane.start({});
});

after(async () => {
  await dp.stop();
  for (const e of echoes) await e.close();
  closeClients();
});

describe('routing', () => {
  test('seed 000: two hosts reach two ports of one Service', async () => {
    const a = await echo('port-8080');
    const b = await echo('port-8888');
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ai-flow', 'my-ingress', (i) => {
        i.spec = { ingressClassName: 'nginx', rules: [rule('8080.abc.com', '/', 'Prefix', 'ffddsssss-1-1270', 8080), rule('8888.abc.com', '/', 'Prefix', 'ffddsssss-1-1270', 8888)] };
      }));
      s.services.push(makeService('ai-flow', 'ffddsssss-1-1270', [[8080, 'http'], [8888, 'admin']]));
      s.endpointSlices.push(makeSlice('ai-flow', 'ffddsssss-1-1270', 'http', a.port, ['127.0.0.1']));
      s.endpointSlices.push(makeSlice('ai-flow', 'ffddsssss-1-1270', 'admin', b.port, ['127.0.0.1']));
    }));
    const r1 = await get(dp.httpAddress.port, '/predict?x=1', { host: '8080.abc.com' });
    const r2 = await get(dp.httpAddress.port, '/', { host: '8888.abc.com:80' });
    assert.equal(r1.echo?.name, 'port-8080');
    assert.equal(r1.echo?.url, '/predict?x=1');
    assert.equal(r2.echo?.name, 'port-8888');
    const miss = await get(dp.httpAddress.port, '/', { host: 'other.abc.com' });
    assert.equal(miss.status, 404);
    assert.match(miss.body, /no Ingress rule for host other\.abc\.com/);
  });

  test('headers upstream: X-Forwarded-*, X-Real-IP, X-Request-ID; hop-by-hop and spoofed forwarding headers dropped', async () => {
    const e = await echo('headers');
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'h', (i) => { i.spec = { rules: [rule('h.test', '/', 'Prefix', 'svc', 80)] }; }));
      backend(s, 'ns', 'svc', [e]);
    }));
    const r = await get(dp.httpAddress.port, '/x', {
      host: 'H.test', headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-request-id': 'abc123', 'proxy': 'http://evil', 'connection': 'keep-alive, x-secret', 'x-secret': 's' },
    });
    const h = r.echo?.headers ?? {};
    assert.equal(h['host'], 'H.test');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-original-forwarded-for'], '6.6.6.6');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'H.test');
    assert.equal(h['x-forwarded-port'], String(dp.httpAddress.port));
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.equal(h['x-scheme'], 'http');
    assert.equal(h['x-request-id'], 'abc123');
    assert.equal(h['proxy'], undefined);
    assert.equal(h['x-secret'], undefined);
    const r2 = await get(dp.httpAddress.port, '/x', { host: 'h.test' });
    assert.match(String(r2.echo?.headers['x-request-id']), /^[0-9a-f]{32}$/);
  });

  test('rewrite-target with capture groups', async () => {
    const e = await echo('rewrite');
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'rw', (i) => {
        i.metadata.annotations = ann({ 'rewrite-target': '/$2', 'use-regex': 'true' });
        i.spec = { rules: [rule('rw.test', '/something(/|$)(.*)', 'ImplementationSpecific', 'svc', 80)] };
      }));
      backend(s, 'ns', 'svc', [e]);
    }));
    const cases: [string, string][] = [['/something', '/'], ['/something/', '/'], ['/something/new?q=1', '/new?q=1']];
    for (const [req, want] of cases) assert.equal((await get(dp.httpAddress.port, req, { host: 'rw.test' })).echo?.url, want, req);
  });

  test('HTTP/2 over TLS (ALPN h2) reaches an HTTP/1.1 upstream', async () => {
    const e = await echo('h2');
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'h2', (i) => { i.spec = { rules: [rule('h2.test', '/', 'Prefix', 'svc', 80)] }; }));
      backend(s, 'ns', 'svc', [e]);
    }));
    const client = http2.connect(`https://127.0.0.1:${dp.httpsAddress.port}`, { rejectUnauthorized: false, servername: 'h2.test' });
    const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const st = client.request({ ':path': '/over/h2', ':authority': 'h2.test' });
      let text = '';
      let status = 0;
      st.on('response', (h) => { status = Number(h[':status']); });
      st.on('data', (d: Buffer) => { text += d.toString(); });
      st.on('end', () => resolve({ status, text }));
      st.on('error', reject);
      st.end();
    });
    client.close();
    assert.equal(body.status, 200);
    const got = JSON.parse(body.text) as { url: string; headers: Record<string, string> };
    assert.equal(got.url, '/over/h2');
    assert.equal(got.headers['host'], 'h2.test');
    assert.equal(got.headers['x-forwarded-proto'], 'https');
  });
});

describe('gRPC (backend-protocol GRPC)', () => {
  test('an h2 client reaches an h2c upstream; trailers (grpc-status) come through', async () => {
    const up = http2.createServer();
    up.on('stream', (st, h) => {
      st.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
      st.end(Buffer.from(`path=${String(h[':path'])}`));
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', () => r()));
    const port = (up.address() as AddressInfo).port;
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'grpc', (i) => { i.metadata.annotations = ann({ 'backend-protocol': 'GRPC' }); i.spec = { rules: [rule('grpc.test', '/', 'Prefix', 'svc', 80)] }; }));
      backend(s, 'ns', 'svc', [{ port }]);
    }));
    const client = http2.connect(`https://127.0.0.1:${dp.httpsAddress.port}`, { rejectUnauthorized: false, servername: 'grpc.test' });
    const got = await new Promise<{ status: number; body: string; trailers: Record<string, unknown> }>((resolve, reject) => {
      const st = client.request({ ':path': '/pkg.Svc/Method', ':method': 'POST', ':authority': 'grpc.test', 'content-type': 'application/grpc', te: 'trailers' });
      let status = 0;
      let body = '';
      let trailers: Record<string, unknown> = {};
      st.on('response', (h) => { status = Number(h[':status']); });
      st.on('data', (d: Buffer) => { body += d.toString(); });
      st.on('trailers', (t) => { trailers = t; });
      st.on('end', () => resolve({ status, body, trailers }));
      st.on('error', reject);
      st.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    client.close();
    up.close();
    assert.equal(got.status, 200);
    assert.equal(got.body, 'path=/pkg.Svc/Method');
    assert.equal(got.trailers['grpc-status'], '0');
  });
});

describe('canary (seed 004)', () => {
  let v1: EchoServer;
  let v2: EchoServer;
  const state = (canary: Record<string, string>) => makeState((s) => {
    s.ingresses.push(makeIngress('default', 'main', (i) => { i.spec = { ingressClassName: 'nginx', rules: [rule('api.example.com', '/', 'Prefix', 'app-v1', 80)] }; }));
    s.ingresses.push(makeIngress('default', 'canary-ingress', (i) => {
      i.metadata.annotations = ann({ canary: 'true', ...canary });
      i.spec = { ingressClassName: 'nginx', rules: [rule('api.example.com', '/', 'Prefix', 'app-v2', 80)] };
    }));
    backend(s, 'default', 'app-v1', [v1]);
    backend(s, 'default', 'app-v2', [v2]);
  });
  before(async () => {
    v1 = await echo('app-v1');
    v2 = await echo('app-v2');
  });

  test('canary-weight 10: v2 gets 10% ± 3% of 2000 requests', async () => {
    await apply(state({ 'canary-weight': '10' }));
    let n2 = 0;
    const batch = 50;
    for (let i = 0; i < 2000; i += batch) {
      const rs = await Promise.all(Array.from({ length: batch }, () => get(dp.httpAddress.port, '/', { host: 'api.example.com' })));
      for (const r of rs) if (r.echo?.name === 'app-v2') n2++;
    }
    assert.ok(n2 >= 140 && n2 <= 260, `v2 got ${n2} of 2000 (${(n2 / 20).toFixed(1)}%)`);
  });

  test('canary-by-header: the header always wins over the weight', async () => {
    await apply(state({ 'canary-weight': '10', 'canary-by-header': 'X-Canary' }));
    for (let i = 0; i < 100; i++) {
      assert.equal((await get(dp.httpAddress.port, '/', { host: 'api.example.com', headers: { 'x-canary': 'always' } })).echo?.name, 'app-v2');
    }
    await apply(state({ 'canary-weight': '100', 'canary-by-header': 'X-Canary' }));
    for (let i = 0; i < 50; i++) {
      assert.equal((await get(dp.httpAddress.port, '/', { host: 'api.example.com', headers: { 'x-canary': 'never' } })).echo?.name, 'app-v1');
    }
    const rs = await Promise.all(Array.from({ length: 20 }, () => get(dp.httpAddress.port, '/', { host: 'api.example.com' })));
    assert.ok(rs.every((r) => r.echo?.name === 'app-v2'), 'weight 100 without the header');
  });
});

describe('external auth (seed 000, oauth2-proxy style)', () => {
  test('401 without the cookie redirects to auth-signin with rd; with it the backend gets X-Auth-Request-User', async () => {
    const app = await echo('app');
    const authSeen: http.IncomingHttpHeaders[] = [];
    const auth = await echo('oauth2-proxy', (req, res) => {
      authSeen.push(req.headers);
      if ((req.headers.cookie ?? '').includes('_oauth2_proxy=valid')) {
        res.writeHead(202, { 'x-auth-request-user': 'alice', 'x-auth-request-email': 'alice@abc.com', 'set-cookie': '_oauth2_proxy=refreshed; Path=/' });
      } else res.writeHead(401, { 'www-authenticate': 'Bearer' });
      res.end();
      return true;
    });
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ai-flow', 'my-ingress', (i) => {
        i.metadata.annotations = ann({
          'auth-response-headers': 'X-Auth-Request-User, X-Auth-Request-Email',
          'auth-signin': 'http://oauth.abc.com:9003/oauth2/start?rd=$scheme://$host$request_uri',
          'auth-url': `http://127.0.0.1:${auth.port}/oauth2/auth`,
        });
        i.spec = { ingressClassName: 'nginx', rules: [rule('8080.abc.com', '/', 'Prefix', 'app', 80)] };
      }));
      backend(s, 'ai-flow', 'app', [app]);
    }));
    const before = app.seen.length;
    const r = await get(dp.httpAddress.port, '/dash?tab=1', { host: '8080.abc.com', headers: { 'x-auth-request-user': 'mallory' } });
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'http://oauth.abc.com:9003/oauth2/start?rd=http://8080.abc.com/dash?tab=1');
    assert.equal(app.seen.length, before, 'the backend was not reached');
    const sub = authSeen.at(-1) ?? {};
    assert.equal(sub['x-original-url'], 'http://8080.abc.com/dash?tab=1');
    assert.equal(sub['x-original-method'], 'GET');
    assert.equal(sub['x-sent-from'], 'nginx-ingress-controller');
    assert.equal(sub['x-auth-request-redirect'], '/dash?tab=1');
    assert.equal(sub['host'], `127.0.0.1:${auth.port}`);

    const ok = await get(dp.httpAddress.port, '/dash', { host: '8080.abc.com', headers: { cookie: '_oauth2_proxy=valid', 'x-auth-request-user': 'mallory' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.echo?.headers['x-auth-request-user'], 'alice');
    assert.equal(ok.echo?.headers['x-auth-request-email'], 'alice@abc.com');
    assert.deepEqual(ok.headers['set-cookie'], ['_oauth2_proxy=refreshed; Path=/']);
    assert.equal(authSeen.at(-1)?.['cookie'], '_oauth2_proxy=valid', 'client headers go to the auth service');
  });

  test('403 passes through, other statuses and an unreachable auth service are 500; without auth-signin a 401 passes through', async () => {
    const app = await echo('app2');
    const auth = await echo('auth-codes', (req, res) => {
      res.writeHead(Number(req.headers['x-want'] ?? 200), { 'www-authenticate': 'Basic realm="x"' });
      res.end();
      return true;
    });
    const dead = await deadPort();
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'auth', (i) => {
        i.metadata.annotations = ann({ 'auth-url': `http://127.0.0.1:${auth.port}/check` });
        i.spec = { rules: [rule('auth.test', '/', 'Prefix', 'app', 80)] };
      }));
      s.ingresses.push(makeIngress('ns', 'auth-dead', (i) => {
        i.metadata.annotations = ann({ 'auth-url': `http://127.0.0.1:${dead}/check` });
        i.spec = { rules: [rule('dead.test', '/', 'Prefix', 'app', 80)] };
      }));
      backend(s, 'ns', 'app', [app]);
    }));
    const p = dp.httpAddress.port;
    assert.equal((await get(p, '/', { host: 'auth.test', headers: { 'x-want': '200' } })).status, 200);
    const r401 = await get(p, '/', { host: 'auth.test', headers: { 'x-want': '401' } });
    assert.equal(r401.status, 401);
    assert.equal(r401.headers['www-authenticate'], 'Basic realm="x"');
    assert.equal((await get(p, '/', { host: 'auth.test', headers: { 'x-want': '403' } })).status, 403);
    assert.equal((await get(p, '/', { host: 'auth.test', headers: { 'x-want': '404' } })).status, 500);
    assert.equal((await get(p, '/', { host: 'dead.test' })).status, 500);
  });
});

describe('TLS', () => {
  const work = mkdtempSync(join(tmpdir(), 'sb-ingress-tls-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  test('SNI picks the Secret\'s certificate, curl --cacert succeeds, ssl-redirect sends 308 from HTTP', async () => {
    const e = await echo('secure');
    const a = generateCertificate({ commonName: 'secure.test', dnsNames: ['secure.test'] });
    const b = generateCertificate({ commonName: 'other.test', dnsNames: ['other.test'] });
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'tls', (i) => {
        i.spec = { tls: [{ hosts: ['secure.test'], secretName: 'secure-tls' }, { hosts: ['other.test'], secretName: 'other-tls' }], rules: [rule('secure.test', '/', 'Prefix', 'svc', 80), rule('other.test', '/', 'Prefix', 'svc', 80)] };
      }));
      s.secrets.push(makeTLSSecret('ns', 'secure-tls', a.cert, a.key), makeTLSSecret('ns', 'other-tls', b.cert, b.key));
      backend(s, 'ns', 'svc', [e]);
    }));
    const hp = dp.httpsAddress.port;
    assert.equal((await peerCertificate(hp, 'secure.test')).subject.CN, 'secure.test');
    assert.equal((await peerCertificate(hp, 'other.test')).subject.CN, 'other.test');
    assert.equal((await peerCertificate(hp, 'unknown.test')).subject.CN, 'Switchboard Ingress Controller Fake Certificate');
    const ok = await get(hp, '/s', { host: 'secure.test', https: { servername: 'secure.test', ca: a.cert } });
    assert.equal(ok.status, 200);
    const redirect = await get(dp.httpAddress.port, '/s?q=1', { host: 'secure.test' });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.location, `https://secure.test:${hp}/s?q=1`);
    const curl = spawnSync('curl', ['--version']);
    if (curl.error === undefined) {
      const ca = join(work, 'ca.pem');
      writeFileSync(ca, a.cert);
      // Async: the server runs in this process, so a blocking spawn would deadlock.
      const r = await promisify(execFile)('curl', ['-sS', '--max-time', '10', '--cacert', ca, '--resolve', `secure.test:${hp}:127.0.0.1`, `https://secure.test:${hp}/curl`], { encoding: 'utf8' });
      assert.equal((JSON.parse(r.stdout) as { url: string }).url, '/curl');
    }
  });

  test('a changed Secret takes effect on the next handshake without a restart', async () => {
    const e = await echo('reload');
    const mk = (cn: string) => generateCertificate({ commonName: cn, dnsNames: ['reload.test'] });
    const state = (c: { cert: string; key: string }) => makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'reload', (i) => { i.spec = { tls: [{ hosts: ['reload.test'], secretName: 'r' }], rules: [rule('reload.test', '/', 'Prefix', 'svc', 80)] }; }));
      s.secrets.push(makeTLSSecret('ns', 'r', c.cert, c.key));
      backend(s, 'ns', 'svc', [e]);
    });
    const first = mk('first');
    await apply(state(first));
    assert.equal((await peerCertificate(dp.httpsAddress.port, 'reload.test')).subject.CN, 'first');
    await apply(state(mk('second')));
    assert.equal((await peerCertificate(dp.httpsAddress.port, 'reload.test')).subject.CN, 'second');
  });
});

describe('upstream failures say which', () => {
  test('503 no ready endpoints, 502 connection refused, 504 read timeout', async () => {
    const slow = await echo('slow');
    const dead = await deadPort();
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'f', (i) => {
        i.metadata.annotations = ann({ 'proxy-read-timeout': '1' });
        i.spec = { rules: [rule('empty.test', '/', 'Prefix', 'empty', 80), rule('dead.test', '/', 'Prefix', 'dead', 80), rule('slow.test', '/', 'Prefix', 'slow', 80)] };
      }));
      s.services.push(makeService('ns', 'empty', [80]));
      backend(s, 'ns', 'dead', [{ port: dead }]);
      backend(s, 'ns', 'slow', [slow]);
    }));
    const p = dp.httpAddress.port;
    const r503 = await get(p, '/', { host: 'empty.test' });
    assert.equal(r503.status, 503);
    assert.match(r503.body, /^503 Service Temporarily Unavailable: no ready endpoints for service ns\/empty port 80/);
    const r502 = await get(p, '/', { host: 'dead.test' });
    assert.equal(r502.status, 502);
    assert.match(r502.body, /^502 Bad Gateway: connection refused by the upstream \(ns\/dead:80, 1 endpoint tried\)/);
    const r504 = await get(p, '/?sleep=3000', { host: 'slow.test' });
    assert.equal(r504.status, 504);
    assert.match(r504.body, /^504 Gateway Time-out: the upstream did not answer within 1s \(proxy-read-timeout\)/);
  });

  test('a refused connection is retried on another endpoint, for GET and POST alike', async () => {
    const live = await echo('live');
    const dead = await deadPort();
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'retry', (i) => { i.spec = { rules: [rule('retry.test', '/', 'Prefix', 'mixed', 80)] }; }));
      backend(s, 'ns', 'mixed', [live, { port: dead }]);
    }));
    const rs = await Promise.all(Array.from({ length: 40 }, (_, k) => get(dp.httpAddress.port, '/', { host: 'retry.test', method: k % 2 === 0 ? 'GET' : 'POST', body: k % 2 === 0 ? undefined as unknown as string : 'payload' })));
    assert.deepEqual(rs.map((r) => r.status).filter((s) => s !== 200), []);
    assert.ok(rs.filter((_, k) => k % 2 === 1).every((r) => r.echo?.body === 'payload'));
  });
});

describe('refused before any backend', () => {
  test('smuggling and malformed requests get 400/431 and never reach the backend', async () => {
    const e = await echo('guarded');
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'g', (i) => { i.spec = { rules: [rule(undefined, '/', 'Prefix', 'svc', 80)] }; }));
      backend(s, 'ns', 'svc', [e]);
    }));
    const p = dp.httpAddress.port;
    const cases: { name: string; raw: string; want: number }[] = [
      { name: 'two Content-Length values', raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', want: 400 },
      { name: 'Content-Length with Transfer-Encoding', raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', want: 400 },
      { name: 'obfuscated Transfer-Encoding', raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n', want: 400 },
      { name: 'oversized headers', raw: `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, want: 431 },
      { name: 'no Host', raw: 'GET / HTTP/1.1\r\n\r\n', want: 400 },
      { name: 'space in the target', raw: 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', want: 400 },
      { name: 'path above the root', raw: 'GET /../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n', want: 400 },
      { name: 'bad percent-encoding', raw: 'GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n', want: 400 },
    ];
    const before = e.seen.length;
    for (const tc of cases) {
      const out = await rawRequest(p, tc.raw);
      assert.match(out, new RegExp(`^HTTP/1\\.1 ${tc.want} `), `${tc.name}: ${out.slice(0, 80)}`);
    }
    assert.equal(e.seen.length, before, 'no request reached the backend');
  });
});

describe('policies', () => {
  test('allowlist-source-range: 403 for other clients; proxy-body-size: 413; limit-rps: 503 past the burst', async () => {
    const e = await echo('policy');
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'deny', (i) => { i.metadata.annotations = ann({ 'whitelist-source-range': '10.0.0.0/8' }); i.spec = { rules: [rule('deny.test', '/', 'Prefix', 'svc', 80)] }; }));
      s.ingresses.push(makeIngress('ns', 'allow', (i) => { i.metadata.annotations = ann({ 'allowlist-source-range': '127.0.0.0/8', 'proxy-body-size': '10' }); i.spec = { rules: [rule('allow.test', '/', 'Prefix', 'svc', 80)] }; }));
      s.ingresses.push(makeIngress('ns', 'rate', (i) => { i.metadata.annotations = ann({ 'limit-rps': '1', 'limit-burst-multiplier': '2' }); i.spec = { rules: [rule('rate.test', '/', 'Prefix', 'svc', 80)] }; }));
      backend(s, 'ns', 'svc', [e]);
    }));
    const p = dp.httpAddress.port;
    assert.equal((await get(p, '/', { host: 'deny.test' })).status, 403);
    assert.equal((await get(p, '/', { host: 'allow.test' })).status, 200);
    assert.equal((await get(p, '/', { host: 'allow.test', method: 'POST', body: 'x'.repeat(11) })).status, 413);
    assert.equal((await get(p, '/', { host: 'allow.test', method: 'POST', body: 'x'.repeat(10) })).status, 200);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(p, '/', { host: 'rate.test' })).status);
    assert.deepEqual(statuses, [200, 200, 200, 503, 503]);
  });

  test('affinity: cookie keeps a client on one endpoint', async () => {
    const servers = [await echo('aff-1'), await echo('aff-2'), await echo('aff-3')];
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'aff', (i) => { i.metadata.annotations = ann({ affinity: 'cookie', 'session-cookie-name': 'route' }); i.spec = { rules: [rule('aff.test', '/app', 'Prefix', 'svc', 80)] }; }));
      backend(s, 'ns', 'svc', servers);
    }));
    const first = await get(dp.httpAddress.port, '/app', { host: 'aff.test' });
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^route=[0-9a-f]+\|[0-9a-f]{8}; Path=\/app; HttpOnly$/);
    const cookie = setCookie.split(';')[0] ?? '';
    const names = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await get(dp.httpAddress.port, '/app/x', { host: 'aff.test', headers: { cookie } });
      names.add(r.echo?.name ?? '');
      assert.equal(r.headers['set-cookie'], undefined);
    }
    assert.deepEqual([...names], [first.echo?.name]);
  });

  test('configuration-snippet Ingresses are not served; denied annotations answer 503', async () => {
    const e = await echo('snippet');
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'snip', (i) => { i.metadata.annotations = ann({ 'configuration-snippet': 'return 200;' }); i.spec = { rules: [rule('snip.test', '/', 'Prefix', 'svc', 80)] }; }));
      s.ingresses.push(makeIngress('ns', 'basic', (i) => { i.metadata.annotations = ann({ 'auth-type': 'basic' }); i.spec = { rules: [rule('basic.test', '/', 'Prefix', 'svc', 80)] }; }));
      backend(s, 'ns', 'svc', [e]);
    }));
    assert.equal((await get(dp.httpAddress.port, '/', { host: 'snip.test' })).status, 404);
    const d = await get(dp.httpAddress.port, '/', { host: 'basic.test' });
    assert.equal(d.status, 503);
    assert.match(d.body, /uses an annotation Switchboard cannot honour/);
  });
});

describe('WebSocket', () => {
  test('an Upgrade is tunnelled to the endpoint', async () => {
    const ws = http.createServer();
    ws.on('upgrade', (req, socket) => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Path: ${req.url ?? ''}\r\n\r\n`);
      socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
    });
    await new Promise<void>((r) => ws.listen(0, '127.0.0.1', () => r()));
    const port = (ws.address() as AddressInfo).port;
    await apply(makeState((s) => {
      s.ingresses.push(makeIngress('ns', 'ws', (i) => { i.spec = { rules: [rule('ws.test', '/', 'Prefix', 'svc', 80)] }; }));
      backend(s, 'ns', 'svc', [{ port }]);
    }));
    const got = await new Promise<string>((resolve, reject) => {
      const c = net.connect(dp.httpAddress.port, '127.0.0.1', () => {
        c.write('GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      });
      let buf = '';
      c.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\r\n\r\n') && !buf.includes('echo:')) c.write('ping');
        if (buf.includes('echo:ping')) {
          c.destroy();
          resolve(buf);
        }
      });
      c.on('error', reject);
    });
    ws.closeAllConnections();
    ws.close();
    assert.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(got, /X-Path: \/chat/);
    assert.match(got, /echo:ping$/);
  });
});

describe('tcp-services', () => {
  test('a TCP port from the ConfigMap reaches the Service', async () => {
    const tcp = net.createServer((c) => c.on('data', (d: Buffer) => c.end(`tcp:${d.toString()}`)));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    const upstreamPort = (tcp.address() as AddressInfo).port;
    const listenPort = await deadPort();
    const r = await apply(makeState((s) => {
      s.configMaps.push(makeConfigMap('ingress-nginx', 'tcp-services', { [String(listenPort)]: 'default/example-go:8080' }));
      s.services.push(makeService('default', 'example-go', [8080]));
      s.endpointSlices.push(makeSlice('default', 'example-go', '', upstreamPort, ['127.0.0.1']));
    }));
    assert.deepEqual(r.diagnostics, []);
    const out = await new Promise<string>((resolve, reject) => {
      const c = net.connect(listenPort, '127.0.0.1', () => c.write('hello'));
      let buf = '';
      c.on('data', (d: Buffer) => { buf += d.toString(); });
      c.on('close', () => resolve(buf));
      c.on('error', reject);
    });
    assert.equal(out, 'tcp:hello');
    tcp.close();
    await apply(makeState());
    assert.deepEqual(dp.l4.ports(), []);
  });
});

describe('metrics', () => {
  test('ingress-nginx metric names with ingress/service/status labels', async () => {
    const text = await (await fetch(`http://127.0.0.1:${dp.metricsAddress?.port ?? 0}/metrics`)).text();
    assert.match(text, /^nginx_ingress_controller_requests\{canary="",controller_class="",controller_namespace="",controller_pod="",host="8080\.abc\.com",ingress="my-ingress",method="GET",namespace="ai-flow",path="\/",service="ffddsssss-1-1270",status="200"\} \d+$/m);
    assert.match(text, /^nginx_ingress_controller_request_duration_seconds_bucket\{.*le="0\.005"\} \d+$/m);
    assert.match(text, /^nginx_ingress_controller_requests\{canary="default-app-v2-80",.*service="app-v2",status="200"\} \d+$/m);
    assert.match(text, /^switchboard_ingress_client_errors_total\{code="431"\} 1$/m);
  });
});

describe('Gateway API routes on the same listeners', () => {
  test('weighted backendRefs, ResponseHeaderModifier, RequestRedirect; Ingress hosts keep Ingress routing', async () => {
    const one = await echo('gw-one');
    const two = await echo('gw-two');
    const ing = await echo('ingress-side');
    const meta = (kind: string, name: string) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: { name, namespace: 'gw', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z' } });
    await apply({
      ...makeState((s) => {
        backend(s, 'gw', 'one', [one]);
        backend(s, 'gw', 'two', [two]);
        s.ingresses.push(makeIngress('gw', 'ing', (i) => { i.spec = { rules: [rule('ingress.gw.test', '/', 'Prefix', 'ing', 80)] }; }));
        backend(s, 'gw', 'ing', [ing]);
      }),
      gatewayClasses: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'sb', generation: 1 }, spec: { controllerName: gatewayController } }],
      gateways: [{ ...meta('Gateway', 'gw'), spec: { gatewayClassName: 'sb', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } }],
      httpRoutes: [
        { ...meta('HTTPRoute', 'split'), spec: { parentRefs: [{ name: 'gw' }], hostnames: ['split.gw.test'], rules: [{
          filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'X-Route', value: 'split' }], remove: ['X-Upstream'] } }],
          backendRefs: [{ name: 'one', port: 80, weight: 3 }, { name: 'two', port: 80, weight: 1 }],
        }] } },
        { ...meta('HTTPRoute', 'moved'), spec: { parentRefs: [{ name: 'gw' }], hostnames: ['old.gw.test'], rules: [{
          filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'new.gw.test', statusCode: 301 } }],
        }] } },
        { ...meta('HTTPRoute', 'greedy'), spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'one', port: 80 }] }] } },
      ],
      referenceGrants: [], namespaces: [],
    });
    const p = dp.httpAddress.port;
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i += 40) {
      const rs = await Promise.all(Array.from({ length: 40 }, () => get(p, '/', { host: 'split.gw.test' })));
      for (const r of rs) {
        counts.set(r.echo?.name ?? String(r.status), (counts.get(r.echo?.name ?? String(r.status)) ?? 0) + 1);
        assert.equal(r.headers['x-route'], 'split');
        assert.equal(r.headers['x-upstream'], undefined);
      }
    }
    const share = (counts.get('gw-one') ?? 0) / 400;
    assert.ok(Math.abs(share - 0.75) <= 0.08, `gw-one got ${share}`);
    const red = await get(p, '/a?b=1', { host: 'old.gw.test' });
    assert.equal(red.status, 301);
    assert.equal(red.headers.location, `http://new.gw.test:${p}/a?b=1`);
    assert.equal((await get(p, '/', { host: 'ingress.gw.test' })).echo?.name, 'ingress-side', 'a host an Ingress names stays with the Ingress');
    assert.equal((await get(p, '/', { host: 'anything.else' })).echo?.name, 'gw-one', 'a listener without hostname takes the rest');
  });
});
