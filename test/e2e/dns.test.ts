// End to end: the cluster DNS as its own process (`node src/cluster-dns/main.ts`, what
// `switchboard dns` runs) against a real `switchboard up`, objects made with kubectl, answers read
// with dig. "The internet" is a fake upstream on loopback that the coredns ConfigMap forwards to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Switchboard, kubectlMissing, eventually, repoRoot, assertWithin } from '../helpers/switchboard.ts';
import { startFakeUpstream, type FakeUpstream } from '../../src/cluster-dns/server/fake-upstream.ts';
import { kubeadmCorefile } from '../../src/cluster-dns/corefile/default.ts';

const skip = kubectlMissing() || (spawnSync('dig', ['-v']).error !== undefined ? 'dig is not on the PATH' : false);
if (skip !== false) console.log(`# skipping DNS end-to-end tests: ${skip}`);

let sb: Switchboard;
let up: FakeUpstream;
let dnsProc: ChildProcess | undefined;
let dnsAddr = '';
let httpAddr = '';
let dnsErr = '';

function corefile(extra = ''): string {
  return kubeadmCorefile.replace('forward . /etc/resolv.conf', `forward . ${up.address}`).replace('    prometheus :9153\n', `${extra}    prometheus :9153\n`);
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await sb.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

function run(cmd: string, args: string[]): Promise<string> {
  // Asynchronous on purpose: the fake upstream lives in this process and must keep answering.
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('error', reject);
    p.on('close', () => resolve(out));
  });
}

function server(): string[] {
  return [`@${dnsAddr.split(':')[0] ?? ''}`, '-p', dnsAddr.split(':')[1] ?? '', '+time=2', '+tries=1'];
}

/** `dig +short` against the DNS under test; lines sorted. */
async function dig(...args: string[]): Promise<string[]> {
  const out = await run('dig', [...server(), '+short', ...args]);
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '').sort();
}

/** The status of a full dig answer (`NOERROR`, `NXDOMAIN`, ...). */
async function digStatus(...args: string[]): Promise<string> {
  const out = await run('dig', [...server(), ...args]);
  return /status: (\w+)/.exec(out)?.[1] ?? `no status in:\n${out}`;
}

async function setCorefile(text: string): Promise<void> {
  await ok(['-n', 'kube-system', 'patch', 'configmap', 'coredns', '--type', 'merge', '-p', JSON.stringify({ data: { Corefile: text } })]);
}

before(async () => {
  if (skip !== false) return;
  // `server`: the API server and controllers, without up's own DNS (this test runs `switchboard dns`'s code).
  sb = await Switchboard.start({ command: 'server' });
  up = await startFakeUpstream(`
    example.com. 300 IN A 93.184.216.34
    oauth.abc.com. 300 IN A 203.0.113.99
  `);
  // As a user would with `kubectl edit`: forward to the test's upstream rather than the host's.
  await setCorefile(corefile());
  dnsProc = spawn(process.execPath, [join(repoRoot, 'src', 'cluster-dns', 'main.ts'),
    '--kubeconfig', sb.kubeconfig, '--dns-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0', '--publish-address', '127.0.0.1', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  dnsProc.stderr?.on('data', (d: Buffer) => { dnsErr += d.toString(); });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`dns did not get ready; stderr:\n${dnsErr}`)), 20_000);
    dnsProc?.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const l = out.split('\n').find((x) => x.startsWith('ready'));
      if (l !== undefined) { clearTimeout(timer); resolve(l); }
    });
    dnsProc?.on('exit', (code) => { clearTimeout(timer); reject(new Error(`dns exited with ${String(code)}; stderr:\n${dnsErr}`)); });
  });
  dnsAddr = /ready dns ([\d.]+:\d+)/.exec(line)?.[1] ?? '';
  httpAddr = /metrics http:\/\/([\d.]+:\d+)\/metrics/.exec(line)?.[1] ?? '';
  await ok(['create', 'namespace', 'test']);
  await ok(['apply', '-f', '-'], `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: test}
spec:
  clusterIP: 10.96.100.10
  ports: [{name: http, port: 80, protocol: TCP}, {name: https, port: 443, protocol: TCP}]
  selector: {app: web}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: test}
spec:
  clusterIP: None
  ports: [{name: postgres, port: 5432}]
  selector: {app: db}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-abc
  namespace: test
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
ports: [{name: postgres, port: 5432, protocol: TCP}]
endpoints:
- addresses: [10.244.0.11]
  hostname: db-0
  conditions: {ready: true}
- addresses: [10.244.0.12]
  hostname: db-1
  conditions: {ready: true}
- addresses: [10.244.0.13]
  hostname: db-2
  conditions: {ready: false}
---
apiVersion: v1
kind: Service
metadata: {name: search, namespace: test}
spec:
  type: ExternalName
  externalName: example.com
`);
});

after(async () => {
  if (skip !== false) return;
  if (dnsProc !== undefined && dnsProc.exitCode === null) {
    const exited = new Promise((r) => dnsProc?.once('exit', r));
    dnsProc.kill('SIGKILL');
    await exited;
  }
  await up?.close();
  await sb?.stop();
});

test('Services resolve by full name, and by short names through the search path', { skip }, async () => {
  await eventually(async () => (await dig('web.test.svc.cluster.local'))[0] === '10.96.100.10', 10_000);
  assert.deepEqual(await dig('kubernetes.default.svc.cluster.local'), ['10.96.0.1']);
  assert.deepEqual(await dig('+search', '+ndots=5', '+domain=test.svc.cluster.local', 'web'), ['10.96.100.10'], '`web` from namespace test');
  assert.deepEqual(await dig('+search', '+ndots=5', '+domain=svc.cluster.local', 'web.test'), ['10.96.100.10'], '`web.test` from any namespace');
  assert.equal(await digStatus('nothing.test.svc.cluster.local'), 'NXDOMAIN');
  assert.equal(await digStatus('web.test.svc.cluster.local', 'AAAA'), 'NOERROR');
});

test('headless Service lists every ready endpoint; StatefulSet-style names; SRV and PTR', { skip }, async () => {
  await eventually(async () => (await dig('db.test.svc.cluster.local')).length === 2, 10_000);
  assert.deepEqual(await dig('db.test.svc.cluster.local'), ['10.244.0.11', '10.244.0.12']);
  assert.deepEqual(await dig('db-1.db.test.svc.cluster.local'), ['10.244.0.12']);
  assert.deepEqual(await dig('SRV', '_postgres._tcp.db.test.svc.cluster.local'), ['0 50 5432 db-0.db.test.svc.cluster.local.', '0 50 5432 db-1.db.test.svc.cluster.local.']);
  assert.deepEqual(await dig('SRV', '_https._tcp.web.test.svc.cluster.local'), ['0 100 443 web.test.svc.cluster.local.']);
  assert.deepEqual(await dig('-x', '10.96.100.10'), ['web.test.svc.cluster.local.']);
  assert.deepEqual(await dig('-x', '10.244.0.11'), ['db-0.db.test.svc.cluster.local.']);
  // An endpoint turning ready gets its name without a restart. (Names already asked stay cached for
  // up to 30 s, NXDOMAIN included: the kubeadm Corefile's `cache 30` covers cluster.local, as in
  // CoreDNS; kubeadm's newer template adds `disable success|denial cluster.local`.)
  await ok(['-n', 'test', 'patch', 'endpointslice', 'db-abc', '--type', 'json', '-p', '[{"op":"replace","path":"/endpoints/2/conditions/ready","value":true}]']);
  await eventually(async () => (await dig('db-2.db.test.svc.cluster.local'))[0] === '10.244.0.13', 5_000);
});

test('ExternalName answers a CNAME, followed through the upstream', { skip }, async () => {
  await eventually(async () => (await dig('CNAME', 'search.test.svc.cluster.local'))[0] === 'example.com.', 10_000);
  assert.deepEqual(await dig('search.test.svc.cluster.local'), ['93.184.216.34', 'example.com.']);
  assert.deepEqual(await dig('TXT', 'dns-version.cluster.local'), ['"1.1.0"']);
  assert.deepEqual(await dig('10-244-7-7.test.pod.cluster.local'), ['10.244.7.7'], 'pods insecure');
});

test('seed 000: a hosts block added to the ConfigMap resolves within 5 s; other names still go upstream', { skip }, async () => {
  assert.deepEqual(await dig('oauth.abc.com'), ['203.0.113.99'], 'from the upstream before the edit');
  const t0 = Date.now();
  await setCorefile(corefile('    hosts {\n       10.1.72.80 oauth.abc.com\n       fallthrough\n    }\n'));
  await eventually(async () => (await dig('oauth.abc.com'))[0] === '10.1.72.80', 15_000, 50);
  assertWithin(Date.now() - t0, 5_000, 'Corefile edit → hosts entry answered');
  assert.deepEqual(await dig('example.com'), ['93.184.216.34'], 'outside names still forwarded');
  assert.deepEqual(await dig('web.test.svc.cluster.local'), ['10.96.100.10']);
  assert.ok(up.seen.some((s) => s.name === 'example.com.'));
});

test('a broken Corefile is refused: the last good one keeps serving, an Event and the log say why', { skip }, async () => {
  await setCorefile(corefile('    hots {\n       10.1.72.81 oauth.abc.com\n    }\n'));
  const events = await eventually(async () => {
    const out = await ok(['-n', 'kube-system', 'get', 'events', '--field-selector', 'involvedObject.name=coredns', '-o', 'jsonpath={.items[*].message}']);
    return out.includes("Unknown directive 'hots'") ? out : undefined;
  }, 10_000);
  assert.match(events, /Corefile not applied, the previous one keeps serving: Corefile:\d+ - Error during parsing: Unknown directive 'hots'/);
  assert.match(dnsErr, /reload failed, keeping the running one/);
  assert.deepEqual(await dig('oauth.abc.com'), ['10.1.72.80'], 'still the last good Corefile');
  const metrics = await (await fetch(`http://${httpAddr}/metrics`)).text();
  assert.match(metrics, /coredns_reload_failed_total 1/);
  assert.match(metrics, /coredns_dns_requests_total\{server="dns:\/\/:53",zone="\.",view="",proto="udp",family="1",type="A"\} \d+/);
  assert.equal((await fetch(`http://${httpAddr}/ready`)).status, 200);
  assert.equal((await fetch(`http://${httpAddr}/health`)).status, 200);
});

test('the DNS publishes itself as the kube-dns endpoints', { skip }, async () => {
  const out = await ok(['-n', 'kube-system', 'get', 'endpointslice', 'kube-dns-switchboard', '-o', 'json']);
  const slice = JSON.parse(out) as { endpoints: { addresses: string[] }[]; ports: { name: string; port: number; protocol: string }[] };
  assert.deepEqual(slice.endpoints.map((e) => e.addresses), [['127.0.0.1']]);
  const port = Number(dnsAddr.split(':')[1]);
  assert.deepEqual(slice.ports.filter((p) => p.name.startsWith('dns')).map((p) => [p.name, p.port, p.protocol]), [['dns', port, 'UDP'], ['dns-tcp', port, 'TCP']]);
  assert.deepEqual(await dig('kube-dns.kube-system.svc.cluster.local'), ['10.96.0.10']);
});

test('TCP and EDNS: dig +tcp and +bufsize get the same answers', { skip }, async () => {
  assert.deepEqual(await dig('+tcp', 'db.test.svc.cluster.local'), await dig('+notcp', 'db.test.svc.cluster.local'));
  assert.deepEqual(await dig('+bufsize=1232', 'web.test.svc.cluster.local'), ['10.96.100.10']);
});
