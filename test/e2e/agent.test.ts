// End to end: the real kubectl against an API server whose pods/log and pods/exec go to a real node
// agent in this process (as `switchboard up` wires them), running Pods in network namespaces. Walks
// through seed 002's demo (three nginx Pods, exec into each to write its IP, curl each IP), then
// readiness and liveness probes, CrashLoopBackOff, deletion, and finally checks that stopping the
// agent leaves nothing behind. Needs root and the machine's tools; skips with the reason otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startInProcess, type InProcess } from '../helpers/inprocess.ts';
import { kubectlMissing, eventually, repoRoot, assertWithin } from '../helpers/switchboard.ts';
import { startNodeAgent, type PodIOHandlers, type RunningNodeAgent } from '../../src/node-agent/index.ts';
import { Client } from '../../src/client/rest.ts';
import type { KubeObject } from '../../src/api/types.ts';

function missing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'nsenter', 'unshare', 'nginx', 'curl', 'script', 'nft']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return kubectlMissing();
}

const skip = missing();
if (skip !== false) process.stdout.write(`# skipping agent e2e: ${skip}\n`);

const run = randomBytes(3).toString('hex');
const nodeName = `sbt-${run}`;
let api: InProcess | undefined;
let agent: RunningNodeAgent | undefined;
let dir = '';
let kubeconfig = '';
let cacheDir = '';
let instanceId = '';

function kubectl(args: string[], input = '', timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, stdout, stderr }); });
    p.stdin.end(input);
  });
}

async function must(args: string[], input = ''): Promise<string> {
  const r = await kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `kubectl exec -it` as a user types it: kubectl gets a terminal from util-linux script. */
function execTty(pod: string, ns: string, lines: string[]): Promise<string> {
  return kubectlTty(`kubectl exec -it ${pod} -n ${ns} -- /bin/bash`, lines);
}

/** A kubectl command on a terminal (util-linux script), fed `lines` one by one. */
function kubectlTty(command: string, lines: string[]): Promise<string> {
  return new Promise((resolve) => {
    const cmd = `stty cols 120 rows 40; ${command}`;
    const p = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    let i = 0;
    const feed = (): void => {
      if (i < lines.length) {
        p.stdin.write(`${lines[i++] ?? ''}\n`);
        setTimeout(feed, 400);
      }
    };
    setTimeout(feed, 1500);
    p.on('close', () => { clearTimeout(t); resolve(out); });
  });
}

/** `kubectl port-forward` in the background; resolves with the local port once kubectl says it listens. */
function portForward(args: string[], env: Record<string, string> = {}): Promise<{ port: number; stop: () => Promise<string>; output: () => string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', ['port-forward', ...args], { env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const closed = new Promise<void>((r) => p.on('close', () => r()));
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`kubectl port-forward did not start: ${out}`)); }, 15_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      if (m !== null) {
        clearTimeout(t);
        resolve({
          port: Number(m[1]),
          output: () => out,
          stop: async () => { p.kill('SIGTERM'); await closed; return out; },
        });
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('close', (code) => { clearTimeout(t); reject(new Error(`kubectl port-forward exited ${code ?? -1}: ${out}`)); });
  });
}

/** curl without blocking this process (the API server and agent run in it). */
function curlAsync(args: string[]): Promise<{ code: number; stdout: Buffer }> {
  return new Promise((resolve) => {
    const p = spawn('curl', ['-s', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    const parts: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => parts.push(d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(parts) }));
  });
}

/** Reads what a TCP server on loopback sends, until it closes. */
function readTcp(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString(); });
    s.on('end', () => resolve(got));
    s.on('error', reject);
    setTimeout(() => { s.destroy(); resolve(got); }, 5000).unref();
  });
}

interface PodJson { metadata: { name: string }; status?: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ name: string; restartCount: number; ready: boolean; state?: { waiting?: { reason?: string } } }> } }

async function pods(ns: string): Promise<PodJson[]> {
  return (JSON.parse(await must(['get', 'pods', '-n', ns, '-o', 'json'])) as { items: PodJson[] }).items;
}

async function pod(ns: string, name: string): Promise<PodJson> {
  return JSON.parse(await must(['get', 'pod', name, '-n', ns, '-o', 'json'])) as PodJson;
}

function curl(url: string): string {
  return spawnSync('curl', ['-s', '--max-time', '3', url], { encoding: 'utf8' }).stdout;
}

function ours(): { netns: string[]; links: string[]; route: boolean; table: boolean } {
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`sb-${instanceId}-`));
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(`sb${instanceId}`));
  const route = spawnSync('ip', ['route', 'show', 'table', 'local'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.startsWith('local 10.96.0.0/12') && l.includes(`metric ${1000 + (parseInt(instanceId, 16) % 60000)}`));
  const table = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout.includes(`switchboard_agent_${instanceId}`);
  return { netns, links, route, table };
}

before(async () => {
  if (skip !== false) return;
  spawnSync(join(repoRoot, '..', 'shared', 'tools', 'netguard'), ['on'], { stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'sb-agent-e2e-'));
  cacheDir = join(dir, 'kubecache');
  let io: PodIOHandlers | undefined;
  const unwired = (): never => { throw new Error('agent not started'); };
  api = await startInProcess({
    podIO: {
      logs: (p: KubeObject, q, req, res) => (io ?? unwired()).logs(p, q, req, res),
      exec: (p: KubeObject, q, req, res) => (io ?? unwired()).exec(p, q, req, res),
      portForward: (p: KubeObject, q, req, res) => (io ?? unwired()).portForward(p, q, req, res),
      attach: (p: KubeObject, q, req, res) => (io ?? unwired()).attach(p, q, req, res),
    },
  });
  const t = api.target;
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{name: c, cluster: {server: "${t.api}", certificate-authority-data: ${Buffer.from(t.ca).toString('base64')}}}]`,
    `users: [{name: u, user: {token: ${t.token}}}]`,
    'contexts: [{name: c, context: {cluster: c, user: u}}]', 'current-context: c', '',
  ].join('\n'));
  const client = new Client({ server: t.api, caData: t.ca, token: t.token, namespace: 'default', source: 'test' });
  agent = await startNodeAgent({
    client, stateDir: join(dir, 'agent'), nodeName, network: 'netns',
    backoff: { initialMs: 1000, maxMs: 2000 },
    serve: { port: 0, token: t.token },
  });
  io = agent.podIO;
  instanceId = agent.agent.instanceId;
});

after(async () => {
  await agent?.stop();
  await api?.stop();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const ns = `test-${run}`;

test('the node registers Ready with a /24 of 10.244.0.0/16 and a lease', { skip }, async () => {
  const node = JSON.parse(await must(['get', 'node', nodeName, '-o', 'json'])) as { spec: { podCIDR: string }; status: { conditions: Array<{ type: string; status: string }>; addresses: Array<{ type: string }> } };
  assert.match(node.spec.podCIDR, /^10\.244\.\d+\.0\/24$/);
  assert.equal(node.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  assert.ok(node.status.addresses.some((a) => a.type === 'InternalIP'));
  await eventually(async () => (await kubectl(['get', 'lease', nodeName, '-n', 'kube-node-lease'])).code === 0, 5000);
});

test('seed 002: three nginx Pods, exec writes each IP, curl gets it back', { skip, timeout: 120_000 }, async () => {
  await must(['create', 'namespace', ns]);
  const manifest = ['45jkc', 'wg2tn', 'zzct2'].map((s) => `apiVersion: v1
kind: Pod
metadata: {name: nginx-7854ff8877-${s}, namespace: ${ns}, labels: {app: nginx}}
spec:
  nodeName: ${nodeName}
  containers:
  - name: nginx
    image: nginx:1.25
    ports: [{containerPort: 80}]
`).join('---\n');
  await must(['apply', '-f', '-'], manifest);
  const running = await eventually(async () => {
    const ps = await pods(ns);
    return ps.length === 3 && ps.every((p) => p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True') ? ps : undefined;
  }, 30_000, 250);
  const ips = running.map((p) => p.status?.podIP ?? '');
  assert.equal(new Set(ips).size, 3, `distinct IPs: ${ips.join(' ')}`);
  for (const ip of ips) assert.match(ip, /^10\.244\.\d+\.\d+$/);
  const wide = await must(['get', 'pod', '-n', ns, '-o', 'wide']);
  assert.match(wide, /nginx-7854ff8877-45jkc\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\./);

  // The stock welcome page first; then each Pod gets its own IP written into its own docroot.
  assert.match(curl(`http://${ips[0] ?? ''}/`), /Welcome to nginx!/);
  const [first, ...rest] = running;
  const out = await execTty(first?.metadata.name ?? '', ns, [`echo "${first?.status?.podIP ?? ''}" > /usr/share/nginx/html/index.html`, 'hostname; hostname -i', 'exit']);
  assert.match(out, new RegExp(`${first?.metadata.name ?? ''}\\r?\\n${(first?.status?.podIP ?? '').replace(/\./g, '\\.')}`));
  for (const p of rest) {
    const r = await kubectl(['exec', '-i', p.metadata.name, '-n', ns, '--', '/bin/sh'], `echo "${p.status?.podIP ?? ''}" > /usr/share/nginx/html/index.html\n`);
    assert.equal(r.code, 0, r.stderr);
  }
  for (const p of running) assert.equal(curl(`http://${p.status?.podIP ?? ''}/`).trim(), p.status?.podIP);

  const r = await kubectl(['exec', first?.metadata.name ?? '', '-n', ns, '--', 'sh', '-c', 'cat /etc/resolv.conf; exit 3']);
  assert.equal(r.code, 3);
  assert.match(r.stdout, new RegExp(`search ${ns}\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local`));
  assert.match(r.stdout, /nameserver 10\.96\.0\.10\noptions ndots:5/);
  assert.match(r.stderr, /command terminated with exit code 3/);

  const logs = await must(['logs', first?.metadata.name ?? '', '-n', ns, '--tail=1']);
  assert.match(logs, /"GET \/ HTTP\/1\.1" 200 .*curl/);
  const ts = await must(['logs', first?.metadata.name ?? '', '-n', ns, '--tail=1', '--timestamps']);
  assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z /);
});

test('kubectl port-forward: to a Pod, through a Service, to a localhost-only server, and a closed port', { skip, timeout: 90_000 }, async () => {
  const [web] = (await pods(ns)).filter((p) => p.metadata.name.startsWith('nginx-'));
  assert.ok(web !== undefined);
  const name = web.metadata.name;
  const ip = web.status?.podIP ?? '';
  // 3 MB of random bytes: more than any socket buffer, so back-pressure and framing are exercised.
  await must(['exec', name, '-n', ns, '--', 'sh', '-c', 'head -c 3000000 /dev/urandom > /usr/share/nginx/html/big']);
  const want = (await must(['exec', name, '-n', ns, '--', 'md5sum', '/usr/share/nginx/html/big'])).split(' ')[0];
  const pf = await portForward(['-n', ns, `pod/${name}`, ':80']);
  try {
    for (let i = 0; i < 5; i++) assert.equal((await curlAsync(['--max-time', '5', `http://127.0.0.1:${pf.port}/`])).stdout.toString().trim(), ip, `request ${i} through the tunnel: ${pf.output()}`);
    const big = (await curlAsync(['--max-time', '20', `http://127.0.0.1:${pf.port}/big`])).stdout;
    assert.equal(big.length, 3_000_000);
    assert.equal(createHash('md5').update(big).digest('hex'), want);
  } finally {
    const out = await pf.stop();
    assert.match(out, /Handling connection for \d+/);
  }

  // Older clients (and kubectl with the WebSocket tunnel turned off) upgrade to SPDY directly.
  const spdy = await portForward(['-n', ns, `pod/${name}`, ':80'], { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
  try {
    assert.equal((await curlAsync(['--max-time', '5', `http://127.0.0.1:${spdy.port}/`])).stdout.toString().trim(), ip);
  } finally {
    await spdy.stop();
  }

  // kubectl resolves svc/web to one of its Pods and the Service port to the targetPort.
  await must(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: nginx}
  ports: [{port: 8080, targetPort: 80}]
`);
  const svc = await portForward(['-n', ns, 'svc/web', ':8080']);
  try {
    assert.match((await curlAsync(['--max-time', '5', `http://127.0.0.1:${svc.port}/`])).stdout.toString().trim(), /^10\.244\.\d+\.\d+$/);
  } finally {
    assert.match(await svc.stop(), /-> 80/);
  }

  // A server that listens on 127.0.0.1 inside the Pod only is reached as the kubelet reaches it.
  await must(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: local-only, namespace: ${ns}}
spec:
  nodeName: ${nodeName}
  containers:
  - name: perl
    image: busybox
    command: [perl, -MIO::Socket::INET, -e, 'my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:9000", Listen => 5, ReuseAddr => 1) or die $!; while (my $c = $s->accept) { print $c "from localhost\\n"; close $c }']
`);
  await eventually(async () => (await pod(ns, 'local-only')).status?.phase === 'Running', 20_000, 200);
  const local = await portForward(['-n', ns, 'pod/local-only', ':9000']);
  try {
    const got = await eventually(async () => {
      const s = await readTcp(local.port);
      return s === '' ? undefined : s;
    }, 10_000, 300);
    assert.equal(got, 'from localhost\n');
  } finally {
    await local.stop();
  }

  // Nothing listens on 81: the connection closes and kubectl reports the kubelet-style error.
  const closed = await portForward(['-n', ns, `pod/${name}`, ':81']);
  const r = await curlAsync(['--max-time', '5', `http://127.0.0.1:${closed.port}/`]);
  assert.notEqual(r.code, 0);
  const out = await eventually(async () => (/error forwarding port 81 to pod/.test(closed.output()) ? closed.output() : undefined), 5000, 100);
  await closed.stop();
  assert.match(out, /error forwarding port 81 to pod [^,]+, uid [0-9a-f-]+: .*connection refused/);
});

test('kubectl run -i --rm feeds stdin to the container; kubectl attach -it reaches its terminal', { skip, timeout: 90_000 }, async () => {
  const r = await kubectl(['run', 'reader', '-n', ns, '-i', '--rm', '--restart=Never', '--image=busybox', `--overrides={"spec":{"nodeName":"${nodeName}"}}`,
    '--', 'sh', '-c', 'read line; echo got:$line'], 'hello\n', 60_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /got:hello/);
  await eventually(async () => (await kubectl(['get', 'pod', 'reader', '-n', ns])).code !== 0, 30_000, 300);

  await must(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: term, namespace: ${ns}}
spec:
  nodeName: ${nodeName}
  containers:
  - name: sh
    image: busybox
    command: [sh]
    stdin: true
    tty: true
`);
  await eventually(async () => (await pod(ns, 'term')).status?.phase === 'Running', 20_000, 200);
  const out = await kubectlTty(`kubectl attach -it term -n ${ns}`, ['', 'echo answer=$((6*7)); tty', 'exit']);
  assert.match(out, /answer=42/);
  assert.match(out, /\/dev\/pts\/\d+/, 'the shell has a terminal');
  // Leaving the session ended the shell, and the restart policy brought it back.
  await eventually(async () => ((await pod(ns, 'term')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 20_000, 200);
});

test('readiness and liveness probes', { skip, timeout: 60_000 }, async () => {
  await must(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: probed, namespace: ${ns}}
spec:
  nodeName: ${nodeName}
  terminationGracePeriodSeconds: 2
  containers:
  - name: web
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args: [netexec, --http-port=8080]
    readinessProbe:
      exec: {command: [cat, /tmp/ready-${run}]}
      periodSeconds: 1
      timeoutSeconds: 5
      failureThreshold: 2
    livenessProbe:
      exec: {command: [sh, -c, 'test ! -e /tmp/die-${run}']}
      periodSeconds: 1
      timeoutSeconds: 5
      failureThreshold: 1
`);
  const ready = async (want: 'True' | 'False') => (await pod(ns, 'probed')).status?.conditions?.find((c) => c.type === 'Ready')?.status === want;
  await eventually(async () => (await pod(ns, 'probed')).status?.phase === 'Running', 20_000, 200);
  assert.ok(!(await ready('True')), 'not ready before the probe passes');
  // Touched again while waiting: on a loaded machine a slow first probe round may restart the
  // container, and a restarted container starts from a fresh /tmp.
  const touches: string[] = [];
  try {
    await eventually(async () => {
      if (await ready('True')) return true;
      const t = await kubectl(['exec', 'probed', '-n', ns, '--', 'touch', `/tmp/ready-${run}`]);
      touches.push(`${t.code} ${t.stdout.trim()} ${t.stderr.trim()}`);
      return false;
    }, 30_000, 500);
  } catch (e) {
    const d = await kubectl(['describe', 'pod', 'probed', '-n', ns]);
    throw new Error(`${String(e)}\nlast touches:\n${touches.slice(-5).join('\n')}\n${d.stdout}`);
  }
  await must(['exec', 'probed', '-n', ns, '--', 'rm', `/tmp/ready-${run}`]);
  const t0 = Date.now();
  await eventually(() => ready('False'), 15_000, 100);
  assertWithin(Date.now() - t0, 1000 * 2 + 1000 + 500, 'readiness failure → Ready=False (period × failureThreshold + 1 s, + 0.5 s for kubectl)');
  const before = (await pod(ns, 'probed')).status?.containerStatuses?.[0]?.restartCount ?? 0;
  await must(['exec', 'probed', '-n', ns, '--', 'touch', `/tmp/die-${run}`]);
  const restarted = await eventually(async () => {
    const p = await pod(ns, 'probed');
    return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= before + 1 ? p : undefined;
  }, 15_000, 200);
  assert.equal(restarted.status?.containerStatuses?.[0]?.restartCount, before + 1);
  const events = await must(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=probed']);
  assert.match(events, new RegExp(`Readiness probe failed: cat: /tmp/ready-${run}: No such file or directory`));
  assert.match(events, /Container web failed liveness probe, will be restarted/);
});

test('a crashing container goes into CrashLoopBackOff; logs --previous', { skip, timeout: 60_000 }, async () => {
  await must(['run', 'crash', '-n', ns, '--image=busybox', '--restart=Always', `--overrides={"spec":{"nodeName":"${nodeName}"}}`, '--', 'sh', '-c', 'echo run $(date +%s%N); exit 1']);
  await eventually(async () => {
    const p = await pod(ns, 'crash');
    const c = p.status?.containerStatuses?.[0];
    return (c?.restartCount ?? 0) >= 2 && c?.state?.waiting?.reason === 'CrashLoopBackOff';
  }, 20_000, 200);
  const got = await must(['get', 'pod', 'crash', '-n', ns]);
  assert.match(got, /crash\s+0\/1\s+(CrashLoopBackOff|Error|Completed)\s+\d+ \(\S+ ago\)/);
  assert.match(await must(['logs', 'crash', '-n', ns, '--previous']), /^run \d+\n$/);
  const bad = await kubectl(['run', 'nope', '-n', ns, '--image=redis:7', `--overrides={"spec":{"nodeName":"${nodeName}"}}`]);
  assert.equal(bad.code, 0, bad.stderr);
  await eventually(async () => (await pod(ns, 'nope')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImageNotInCatalog', 10_000, 200);
});

test('deleting a Pod stops it gracefully and removes its namespace', { skip, timeout: 60_000 }, async () => {
  const before = ours().netns.length;
  const r = await kubectl(['delete', 'pod', 'nginx-7854ff8877-45jkc', '-n', ns, '--wait=true'], '', 40_000);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await kubectl(['get', 'pod', 'nginx-7854ff8877-45jkc', '-n', ns])).code, 1);
  await eventually(async () => ours().netns.length === before - 1, 5000, 100);
});

test('stopping the agent leaves no namespace, interface, route, rule or process', { skip, timeout: 60_000 }, async () => {
  assert.ok(ours().netns.length > 0);
  assert.ok(ours().route && ours().table);
  const pids = [...(agent?.agent.workers.values() ?? [])].flatMap((w) => w.slots.map((s) => s.proc?.pid ?? 0)).filter((p) => p > 0);
  assert.ok(pids.length >= 1, `container processes: ${pids.join(' ')}`);
  await agent?.stop();
  agent = undefined;
  assert.deepEqual(ours(), { netns: [], links: [], route: false, table: false });
  const alive = pids.filter((p) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  });
  assert.deepEqual(alive, [], 'no container process is left');
});
