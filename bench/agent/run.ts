// The node agent as a user meets it: `switchboard up`, an nginx Deployment at 0 replicas, then
// `kubectl scale --replicas=N` and the time until the Deployment reports N ready replicas (scheduler,
// ReplicaSet controller, agent: netns, veth, mount namespace, nginx start, readiness). Memory is the
// `switchboard up` process's RSS before the scale and with N Pods running (nginx processes are
// separate and not counted; their total is printed too).
//
// Peer: the floor, the same N nginx processes started directly from this script (each with its own
// config on a loopback port, ready when it answers HTTP) — what the Pods cost without any of
// Kubernetes around them. kind/k3s cannot run here (no containers); their figures need another machine.
// Settings: SB_BENCH_PODS (50). Needs root (network namespaces) and nginx.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Switchboard } from '../../test/helpers/switchboard.ts';

const n = Number(process.env['SB_BENCH_PODS'] ?? '50');
if (process.getuid?.() !== 0) {
  process.stdout.write('bench/agent needs root (Pods run in network namespaces)\n');
  process.exit(0);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Total RSS of the processes named `comm`. */
function rssOf(comm: string): number {
  let kb = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() !== comm) continue;
      kb += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return kb / 1024;
}

async function switchboard(): Promise<{ seconds: number; rssBefore: number; rssAfter: number; nginx: number }> {
  const sb = await Switchboard.start({ proxyMode: 'none' });
  try {
    const must = async (args: string[], input = ''): Promise<string> => {
      const r = await sb.kubectl(args, { input, timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await must(['apply', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports: [{containerPort: 80}]
        readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1}
`);
    const pid = sb.state.pid;
    const rssBefore = rssMiB(pid);
    const nginxBefore = rssOf('nginx');
    const t0 = performance.now();
    await must(['scale', 'deployment/web', `--replicas=${n}`]);
    for (;;) {
      const ready = Number((await must(['get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}'])) || '0');
      if (ready >= n) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, rssBefore, rssAfter: rssMiB(pid), nginx: rssOf('nginx') - nginxBefore };
  } finally {
    await sb.stop();
  }
}

function httpOK(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.end();
  });
}

async function direct(): Promise<{ seconds: number; nginx: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-nginx-'));
  // nginx workers run as www-data: they must be able to read the docroots.
  chmodSync(dir, 0o755);
  const procs: ChildProcess[] = [];
  const base = 21000;
  try {
    const nginxBefore = rssOf('nginx');
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const d = join(dir, String(i));
      mkdirSync(join(d, 'html'), { recursive: true });
      writeFileSync(join(d, 'html', 'index.html'), `pod ${i}\n`);
      writeFileSync(join(d, 'nginx.conf'), [
        'daemon off;', 'worker_processes auto;', `pid ${d}/nginx.pid;`, `error_log ${d}/error.log;`,
        'events { worker_connections 64; }',
        `http { access_log off; client_body_temp_path ${d}; proxy_temp_path ${d}; fastcgi_temp_path ${d}; uwsgi_temp_path ${d}; scgi_temp_path ${d};`,
        `  server { listen 127.0.0.1:${base + i}; root ${d}/html; } }`, '',
      ].join('\n'));
      procs.push(spawn('nginx', ['-c', join(d, 'nginx.conf'), '-p', d], { stdio: 'ignore' }));
    }
    const pending = new Set(Array.from({ length: n }, (_, i) => base + i));
    while (pending.size > 0) {
      for (const port of [...pending]) if (await httpOK(port)) pending.delete(port);
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, nginx: rssOf('nginx') - nginxBefore };
  } finally {
    for (const p of procs) p.kill('SIGQUIT');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (spawnSync('sh', ['-c', 'command -v nginx']).status !== 0) {
  process.stdout.write('bench/agent needs nginx (apt-get install nginx-light)\n');
  process.exit(0);
}
const sbr = await switchboard();
const floor = await direct();
const row = (name: string, a: string, b: string, ratio = ''): string => `${name.padEnd(40)}${a.padStart(13)}${b.padStart(16)}${ratio.padStart(9)}\n`;
process.stdout.write(`pods=${n}; switchboard: kubectl scale 0 → ${n} on switchboard up (netns Pods); floor: ${n} nginx started directly\n`);
process.stdout.write(row('metric', 'switchboard', 'floor (direct)', 'ratio'));
process.stdout.write(row(`time to ${n} ready (s)`, sbr.seconds.toFixed(2), floor.seconds.toFixed(2), `${(sbr.seconds / floor.seconds).toFixed(1)}×`));
process.stdout.write(row('switchboard up RSS before scale (MiB)', sbr.rssBefore.toFixed(1), '-'));
process.stdout.write(row(`switchboard up RSS with ${n} Pods (MiB)`, sbr.rssAfter.toFixed(1), '-'));
process.stdout.write(row(`  growth per Pod (MiB)`, ((sbr.rssAfter - sbr.rssBefore) / n).toFixed(2), '-'));
process.stdout.write(row(`nginx processes, total RSS (MiB)`, sbr.nginx.toFixed(1), floor.nginx.toFixed(1)));
