// End to end: `switchboard up`, the real kubectl applying the seeds' manifests (seed 000's two-host
// Ingress with oauth2-style external auth, seed 004's canary pair), and curl through the ingress
// address in state.json (`-H Host:` and `--resolve`), as a user would. Backends are local processes
// on loopback named by hand-made EndpointSlices (the EndpointSlice controller is not needed). When
// `up` does not start the ingress yet (state.json `ingress: null`), the test starts it in this
// process from the kubeconfig, exactly as `switchboard ingress --kubeconfig K` does.
// INGRESS_E2E_LOAD_SECONDS (default 8) sets the wrk run during which a backend is killed.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Switchboard, kubectlMissing, eventually } from '../helpers/switchboard.ts';
import { startIngress, type RunningIngress } from '../../src/ingress-gateway/index.ts';
import { startEcho, get, closeClients, type EchoServer } from '../../src/ingress-gateway/data-plane/testing.ts';
import { generateCertificate } from '../../src/ingress-gateway/data-plane/selfsigned.ts';

const run = promisify(execFile);

function missing(): string | false {
  if (spawnSync('sh', ['-c', 'command -v curl']).status !== 0) return 'curl is not installed';
  return kubectlMissing();
}
const skip = missing();
if (skip !== false) process.stdout.write(`# skipping ingress e2e: ${skip}\n`);
const wrkMissing = spawnSync('sh', ['-c', 'command -v wrk']).status !== 0 ? 'wrk is not installed (apt-get install wrk)' : false;

let sb: Switchboard;
let ingress: RunningIngress | undefined;
let http = '';
let https = '';
let work = '';
const echoes: EchoServer[] = [];

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await sb.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

async function curl(args: string[]): Promise<{ code: string; body: string; headers: string }> {
  const hfile = join(work, `h-${Math.random().toString(36).slice(2)}`);
  const r = await run('curl', ['-sS', '--max-time', '10', '-D', hfile, '-o', '-', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' });
  const i = r.stdout.lastIndexOf('\n');
  const headers = spawnSync('cat', [hfile], { encoding: 'utf8' }).stdout;
  return { body: r.stdout.slice(0, i), code: r.stdout.slice(i + 1), headers };
}

const port = (addr: string) => Number(addr.split(':')[1]);

/** An EndpointSlice of `service` pointing at loopback ports. */
function slice(ns: string, name: string, service: string, portName: string, ports: number[]): string {
  return ports.map((p, i) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}-${i}
  namespace: ${ns}
  labels:
    kubernetes.io/service-name: ${service}
addressType: IPv4
ports:
- name: "${portName}"
  port: ${p}
  protocol: TCP
endpoints:
- addresses: ["127.0.0.1"]
  conditions:
    ready: true
`).join('---\n');
}

before(async () => {
  if (skip !== false) return;
  work = mkdtempSync(join(tmpdir(), 'ingress-e2e-'));
  sb = await Switchboard.start();
  const st = sb.state as { ingress?: { http: string; https: string } | null };
  if (st.ingress !== undefined && st.ingress !== null) {
    http = st.ingress.http;
    https = st.ingress.https;
  } else {
    ingress = await startIngress({ kubeconfig: sb.kubeconfig });
    http = ingress.http;
    https = ingress.https;
  }
});

after(async () => {
  if (skip !== false) return;
  await ingress?.stop();
  await sb?.stop();
  for (const e of echoes) await e.close();
  closeClients();
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

async function echo(name: string, h?: Parameters<typeof startEcho>[1]): Promise<EchoServer> {
  const e = await startEcho(name, h);
  echoes.push(e);
  return e;
}

describe('seed 000: two hosts → two ports of one Service, behind oauth2-style external auth', { skip }, () => {
  test('apply, then curl -H Host: and --resolve reach the right port; auth redirects then admits', async () => {
    const p8080 = await echo('port-8080');
    const p8888 = await echo('port-8888');
    const oauth = await echo('oauth2-proxy', (req, res) => {
      if ((req.headers.cookie ?? '').includes('_oauth2_proxy=ok')) res.writeHead(202, { 'X-Auth-Request-User': 'alice', 'X-Auth-Request-Email': 'alice@abc.com' });
      else res.writeHead(401);
      res.end();
      return true;
    });
    await kubectl(['create', 'namespace', 'ai-flow']);
    await kubectl(['create', 'namespace', 'auth']);
    await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata:
  name: ffddsssss-1-1270
  namespace: ai-flow
spec:
  ports:
  - name: http
    port: 8080
  - name: admin
    port: 8888
---
apiVersion: v1
kind: Service
metadata:
  name: oauth2-proxy
  namespace: auth
spec:
  ports:
  - name: http
    port: 4180
---
${slice('ai-flow', 'ffd-http', 'ffddsssss-1-1270', 'http', [p8080.port])}---
${slice('ai-flow', 'ffd-admin', 'ffddsssss-1-1270', 'admin', [p8888.port])}---
${slice('auth', 'oauth2-proxy', 'oauth2-proxy', 'http', [oauth.port])}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: my-ingress
  namespace: ai-flow
  annotations:
    nginx.ingress.kubernetes.io/auth-response-headers: X-Auth-Request-User, X-Auth-Request-Email
    nginx.ingress.kubernetes.io/auth-signin: >-
      http://oauth.abc.com:9003/oauth2/start?rd=$scheme://$host$request_uri
    nginx.ingress.kubernetes.io/auth-url: http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth
spec:
  ingressClassName: nginx
  rules:
    - host: 8080.abc.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: ffddsssss-1-1270
                port:
                  number: 8080
    - host: 8888.abc.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: ffddsssss-1-1270
                port:
                  number: 8888
`);
    // Status shows the address (kubectl's ADDRESS column).
    await eventually(async () => /127\.0\.0\.1/.test(await kubectl(['get', 'ingress', 'my-ingress', '-n', 'ai-flow'])), 15_000);
    const hp = port(http);
    const noCookie = await curl(['-H', 'Host: 8080.abc.com', `http://${http}/predict?x=1`]);
    assert.equal(noCookie.code, '302');
    assert.match(noCookie.headers, /^Location: http:\/\/oauth\.abc\.com:9003\/oauth2\/start\?rd=http:\/\/8080\.abc\.com\/predict\?x=1\r$/mi);
    const a = await curl(['-H', 'Cookie: _oauth2_proxy=ok', '-H', 'X-Auth-Request-User: mallory', '-H', 'Host: 8080.abc.com', `http://${http}/predict?x=1`]);
    assert.equal(a.code, '200');
    const ea = JSON.parse(a.body) as { name: string; url: string; headers: Record<string, string> };
    assert.equal(ea.name, 'port-8080');
    assert.equal(ea.url, '/predict?x=1');
    assert.equal(ea.headers['x-auth-request-user'], 'alice');
    const b = await curl(['-H', 'Cookie: _oauth2_proxy=ok', '--resolve', `8888.abc.com:${hp}:127.0.0.1`, `http://8888.abc.com:${hp}/`]);
    assert.equal(b.code, '200');
    assert.equal((JSON.parse(b.body) as { name: string }).name, 'port-8888');
    const events = await kubectl(['get', 'events', '-n', 'ai-flow', '--field-selector', 'involvedObject.name=my-ingress']);
    assert.match(events, /Sync\s+.*Scheduled for sync/);
  });
});

describe('seed 004: canary pair', { skip }, () => {
  test('canary-weight 10 gives v2 10% ± 3% of 2000 requests; canary-by-header always wins', async () => {
    const v1 = await echo('app-v1');
    const v2 = await echo('app-v2');
    const ingresses = (extra: string) => `apiVersion: v1
kind: Service
metadata:
  name: app-v1
spec:
  selector:
    app: myapp
    version: v1.5.2
  ports:
  - port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: app-v2
spec:
  selector:
    app: myapp
    version: v1.6.0-rc1
  ports:
  - port: 80
---
${slice('default', 'app-v1', 'app-v1', '', [v1.port])}---
${slice('default', 'app-v2', 'app-v2', '', [v2.port])}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: main-ingress
spec:
  ingressClassName: nginx
  rules:
  - host: api.example.com
    http:
      paths:
      - pathType: Prefix
        path: "/"
        backend:
          service:
            name: app-v1
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: canary-ingress
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "10"
${extra}spec:
  rules:
  - host: api.example.com
    http:
      paths:
      - pathType: Prefix
        path: "/"
        backend:
          service:
            name: app-v2
            port:
              number: 80
  ingressClassName: nginx
`;
    await kubectl(['apply', '-f', '-'], ingresses(''));
    const hp = port(http);
    await eventually(async () => (await get(hp, '/', { host: 'api.example.com' })).status === 200, 15_000);
    let n2 = 0;
    for (let i = 0; i < 2000; i += 50) {
      const rs = await Promise.all(Array.from({ length: 50 }, () => get(hp, '/', { host: 'api.example.com' })));
      for (const r of rs) if (r.echo?.name === 'app-v2') n2++;
    }
    assert.ok(n2 >= 140 && n2 <= 260, `v2 got ${n2} of 2000`);
    const viaCurl = await curl(['--resolve', `api.example.com:${hp}:127.0.0.1`, `http://api.example.com:${hp}/`]);
    assert.equal(viaCurl.code, '200');

    await kubectl(['apply', '-f', '-'], ingresses('    nginx.ingress.kubernetes.io/canary-by-header: X-Canary\n'));
    // Applied once 30 requests in a row with the header reach v2 (at weight 10 alone: 1 in 10^30).
    await eventually(async () => {
      const rs = await Promise.all(Array.from({ length: 30 }, () => get(hp, '/', { host: 'api.example.com', headers: { 'x-canary': 'always' } })));
      return rs.every((r) => r.echo?.name === 'app-v2');
    }, 10_000);
    for (let i = 0; i < 200; i++) assert.equal((await get(hp, '/', { host: 'api.example.com', headers: { 'x-canary': 'always' } })).echo?.name, 'app-v2');
    for (let i = 0; i < 200; i++) assert.equal((await get(hp, '/', { host: 'api.example.com', headers: { 'x-canary': 'never' } })).echo?.name, 'app-v1');
    const c = await curl(['-H', 'X-Canary: always', '-H', 'Host: api.example.com', `http://${http}/`]);
    assert.equal((JSON.parse(c.body) as { name: string }).name, 'app-v2');
  });
});

describe('HTTPS from a Secret', { skip }, () => {
  test('curl --cacert succeeds, SNI picks the certificate, ssl-redirect answers 308', async () => {
    const e = await echo('secure');
    const certA = generateCertificate({ commonName: 'secure.example.com', dnsNames: ['secure.example.com'] });
    const certB = generateCertificate({ commonName: 'other.example.com', dnsNames: ['other.example.com'] });
    for (const [n, c] of [['a', certA], ['b', certB]] as const) {
      writeFileSync(join(work, `${n}.crt`), c.cert);
      writeFileSync(join(work, `${n}.key`), c.key);
    }
    await kubectl(['create', 'secret', 'tls', 'secure-tls', '--cert', join(work, 'a.crt'), '--key', join(work, 'a.key')]);
    await kubectl(['create', 'secret', 'tls', 'other-tls', '--cert', join(work, 'b.crt'), '--key', join(work, 'b.key')]);
    await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata:
  name: secure
spec:
  ports:
  - port: 80
---
${slice('default', 'secure', 'secure', '', [e.port])}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: secure
spec:
  tls:
  - hosts: [secure.example.com]
    secretName: secure-tls
  - hosts: [other.example.com]
    secretName: other-tls
  rules:
  - host: secure.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: secure
            port:
              number: 80
  - host: other.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: secure
            port:
              number: 80
`);
    const sp = port(https);
    await eventually(async () => (await curl(['--cacert', join(work, 'a.crt'), '--resolve', `secure.example.com:${sp}:127.0.0.1`, `https://secure.example.com:${sp}/`]).catch(() => ({ code: '000' }))).code === '200', 15_000);
    const ok = await curl(['--cacert', join(work, 'a.crt'), '--resolve', `secure.example.com:${sp}:127.0.0.1`, `https://secure.example.com:${sp}/tls`]);
    assert.equal(ok.code, '200');
    assert.equal((JSON.parse(ok.body) as { headers: Record<string, string> }).headers['x-forwarded-proto'], 'https');
    const h2 = await run('curl', ['-sS', '--max-time', '10', '--http2', '-o', '/dev/null', '-w', '%{http_version}', '--cacert', join(work, 'b.crt'), '--resolve', `other.example.com:${sp}:127.0.0.1`, `https://other.example.com:${sp}/`], { encoding: 'utf8' });
    assert.equal(h2.stdout, '2', 'HTTP/2 negotiated with ALPN, other.example.com\'s certificate verified');
    const wrong = await run('curl', ['-sS', '--max-time', '10', '--cacert', join(work, 'a.crt'), '--resolve', `other.example.com:${sp}:127.0.0.1`, `https://other.example.com:${sp}/`]).then(() => 'ok', (err: { stderr?: string }) => err.stderr ?? 'failed');
    assert.notEqual(wrong, 'ok', 'other.example.com is served with its own certificate, not secure.example.com\'s');
    const redirect = await curl(['-H', 'Host: secure.example.com', `http://${http}/path?q=1`]);
    assert.equal(redirect.code, '308');
    assert.match(redirect.headers, new RegExp(`^Location: https://secure\\.example\\.com:${sp}/path\\?q=1\\r$`, 'mi'));
  });
});

describe('a backend Pod killed under load', { skip: skip !== false ? skip : wrkMissing }, () => {
  test('wrk loses no idempotent request while one of two endpoints is SIGKILLed and then removed', async () => {
    const seconds = Number(process.env['INGRESS_E2E_LOAD_SECONDS'] ?? 8);
    const script = `const http=require('node:http');const s=http.createServer((q,r)=>{r.writeHead(200,{'content-type':'text/plain','content-length':'3'});r.end('ok\\n')});s.keepAliveTimeout=60000;s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`;
    const start = () => new Promise<{ p: ChildProcess; port: number }>((resolve) => {
      const p = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      p.stdout?.once('data', (d: Buffer) => resolve({ p, port: Number(d.toString().trim()) }));
    });
    const one = await start();
    const two = await start();
    try {
      await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata:
  name: churn
spec:
  ports:
  - port: 80
---
${slice('default', 'churn', 'churn', '', [one.port, two.port])}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: churn
spec:
  rules:
  - host: churn.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: churn
            port:
              number: 80
`);
      await eventually(async () => (await get(port(http), '/', { host: 'churn.example.com' })).status === 200, 15_000);
      const wrk = run('wrk', ['-t1', '-c32', `-d${seconds}s`, '-H', 'Host: churn.example.com', `http://${http}/`], { encoding: 'utf8' });
      await new Promise((r) => setTimeout(r, (seconds * 1000) / 3));
      two.p.kill('SIGKILL'); // the Pod dies; its endpoint stays listed until the controller notices
      await new Promise((r) => setTimeout(r, 2_000));
      await kubectl(['delete', 'endpointslice', 'churn-1']);
      const out = (await wrk).stdout;
      const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
      assert.ok(total > 1000, `wrk made ${total} requests:\n${out}`);
      assert.doesNotMatch(out, /Non-2xx or 3xx responses/, out);
      assert.doesNotMatch(out, /Socket errors/, out);
      process.stdout.write(`# ${total} requests in ${seconds}s, one endpoint killed: no errors\n`);
    } finally {
      one.p.kill('SIGKILL');
      two.p.kill('SIGKILL');
    }
  });
});

describe('Gateway API (HTTPRoute on a Gateway of our GatewayClass)', { skip }, () => {
  test('kubectl apply CRDs, GatewayClass, Gateway and HTTPRoute; curl reaches the backend; statuses are written', async () => {
    const e = await echo('gateway-backend');
    const crd = (plural: string, kind: string, scope: string, version = 'v1') => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.gateway.networking.k8s.io
spec:
  group: gateway.networking.k8s.io
  scope: ${scope}
  names: {plural: ${plural}, singular: ${kind.toLowerCase()}, kind: ${kind}, listKind: ${kind}List}
  versions:
  - name: ${version}
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;
    await kubectl(['apply', '-f', '-'], [crd('gatewayclasses', 'GatewayClass', 'Cluster'), crd('gateways', 'Gateway', 'Namespaced'), crd('httproutes', 'HTTPRoute', 'Namespaced'), crd('referencegrants', 'ReferenceGrant', 'Namespaced', 'v1beta1')].join('---\n'));
    await eventually(async () => (await sb.kubectl(['get', 'httproutes'])).code === 0, 15_000);
    await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata:
  name: gw-backend
spec:
  ports:
  - port: 8080
---
${slice('default', 'gw-backend', 'gw-backend', '', [e.port])}---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: switchboard
spec:
  controllerName: switchboard.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
spec:
  gatewayClassName: switchboard
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    hostname: "*.gateway.example.com"
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: store
spec:
  parentRefs:
  - name: web
  hostnames: ["store.gateway.example.com"]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /store}
    backendRefs:
    - name: gw-backend
      port: 8080
`);
    const hp = port(http);
    const ok = await eventually(async () => {
      const r = await curl(['--resolve', `store.gateway.example.com:${hp}:127.0.0.1`, `http://store.gateway.example.com:${hp}/store/cart`]);
      return r.code === '200' ? r : undefined;
    }, 15_000);
    assert.equal((JSON.parse(ok.body) as { name: string; url: string }).url, '/store/cart');
    assert.equal((await curl(['-H', 'Host: store.gateway.example.com', `http://${http}/other`])).code, '404');
    const accepted = await eventually(async () => {
      const out = await kubectl(['get', 'httproute', 'store', '-o', 'jsonpath={.status.parents[0].conditions[?(@.type=="Accepted")].status}']);
      return out === 'True' ? out : undefined;
    }, 15_000);
    assert.equal(accepted, 'True');
    const programmed = await kubectl(['get', 'gateway', 'web', '-o', 'jsonpath={.status.conditions[?(@.type=="Programmed")].status} {.status.addresses[0].value} {.status.listeners[0].attachedRoutes}']);
    assert.equal(programmed, 'True 127.0.0.1 1');
  });
});
