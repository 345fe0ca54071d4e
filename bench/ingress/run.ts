// bench/ingress: requests per CPU-second and latency of Switchboard's ingress data plane beside
// nginx (Debian's, one worker) configured with the same route, both proxying to the same backend,
// measured in one run with wrk. Method as in ../shared/reference/l7.md §5.2: backend = nginx
// `return 200 "hello world\n"` (1 worker); each proxy gets one process; wrk -t1 -cC on loopback;
// a warm-up, then a measured run; the stable figure is requests completed per CPU-second of the
// proxy process (utime+stime from /proc/<pid>/stat), since client, backend and proxy share the CPUs.
// HAProxy is measured too when installed (nbthread 1, http-reuse always).
// Settings: BENCH_SECONDS (8), BENCH_WARMUP (3), BENCH_CONNECTIONS (50), BENCH_RUNS (2),
// BENCH_ACCESS_LOG=1 (Switchboard and nginx both write an access log; off by default for both).
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net, { type AddressInfo } from 'node:net';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 3);
const CONNS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 2);
const ACCESS_LOG = process.env['BENCH_ACCESS_LOG'] === '1';
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function need(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

const clkTck = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime+stime of a process in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clkTck;
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); r(true); });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`port ${port} did not open`);
}

interface Measured {
  rps: number;
  perCpuSecond: number;
  cpuShare: number;
  p50: number;
  p99: number;
  errors: string;
}

function ms(v: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v ?? '');
  if (m === null) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

async function wrk(port: number, seconds: number): Promise<{ out: string; requests: number }> {
  const r = await run('wrk', ['-t1', `-c${CONNS}`, `-d${seconds}s`, '--latency', '-H', 'Host: bench.local', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  return { out: r.stdout, requests: Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0) };
}

async function measure(port: number, pid: number): Promise<Measured> {
  await wrk(port, WARMUP);
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const { out, requests } = await wrk(port, SECONDS);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - c0;
  const lat = (q: string) => ms(new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(out)?.[1]);
  const errs = [/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1], /Socket errors: (.*)/.exec(out)?.[1]].filter((x) => x !== undefined).join('; ');
  return { rps: requests / wall, perCpuSecond: requests / cpu, cpuShare: cpu / wall, p50: lat('50'), p99: lat('99'), errors: errs };
}

function nginxConf(dir: string, listen: number, body: string): string {
  const conf = `worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${ACCESS_LOG ? `${dir}/access.log` : 'off'};
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_requests 100000;
${body.replace(/LISTEN/g, String(listen))}
}
`;
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, conf);
  return path;
}

function startNginx(conf: string, dir: string): ChildProcess {
  return spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function main(): Promise<void> {
  for (const t of ['nginx', 'wrk']) {
    if (!need(t)) {
      process.stdout.write(`bench/ingress needs ${t} (apt-get install ${t === 'nginx' ? 'nginx-light' : t})\n`);
      process.exit(1);
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'bench-ingress-'));
  const procs: ChildProcess[] = [];
  try {
    // Backend: nginx returning a small body.
    const bdir = join(work, 'backend');
    spawnSync('mkdir', ['-p', bdir]);
    const backendPort = await freePort();
    procs.push(startNginx(nginxConf(bdir, backendPort, `  server { listen 127.0.0.1:LISTEN; location / { return 200 "hello world\\n"; } }`), bdir));
    await waitPort(backendPort);

    // Peer: nginx proxying with the same route (Host bench.local) and the headers ingress-nginx sets.
    const pdir = join(work, 'peer');
    spawnSync('mkdir', ['-p', pdir]);
    const peerPort = await freePort();
    const peer = startNginx(nginxConf(pdir, peerPort, `  upstream backend { server 127.0.0.1:${backendPort}; keepalive 128; }
  server {
    listen 127.0.0.1:LISTEN;
    server_name bench.local;
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-ID $request_id;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Scheme $scheme;
      proxy_pass http://backend;
    }
  }
  server { listen 127.0.0.1:LISTEN default_server; return 404; }`), pdir);
    procs.push(peer);
    await waitPort(peerPort);

    // HAProxy, when installed.
    let haproxy: { proc: ChildProcess; port: number } | undefined;
    if (need('haproxy')) {
      const hport = await freePort();
      const hcfg = join(work, 'haproxy.cfg');
      writeFileSync(hcfg, `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend fe
  bind 127.0.0.1:${hport}
  acl bench hdr(host) -i bench.local
  http-request set-header X-Forwarded-Proto http
  option forwardfor
  use_backend be if bench
backend be
  server s1 127.0.0.1:${backendPort}
`);
      const proc = spawn('haproxy', ['-db', '-f', hcfg], { stdio: ['ignore', 'ignore', 'inherit'] });
      procs.push(proc);
      await waitPort(hport);
      haproxy = { proc, port: hport };
    }

    // Switchboard: the ingress data plane in its own process.
    const sbEnv: NodeJS.ProcessEnv = { ...process.env, BACKEND_PORT: String(backendPort), ...(ACCESS_LOG ? { BENCH_ACCESS_LOG: join(work, 'sb-access.log') } : {}) };
    const sb = spawn(process.execPath, [join(here, 'proxy.ts')], { cwd: root, env: sbEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(sb);
    const sbPort = await new Promise<number>((resolveP, reject) => {
      let buf = '';
      sb.stdout?.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /^ready (\d+)/m.exec(buf);
        if (m !== null) resolveP(Number(m[1]));
      });
      sb.once('exit', (code) => reject(new Error(`switchboard proxy exited with ${String(code)}`)));
    });

    const check = await run('curl', ['-s', '-H', 'Host: bench.local', `http://127.0.0.1:${sbPort}/`], { encoding: 'utf8' }).catch(() => ({ stdout: '' }));
    if (check.stdout !== 'hello world\n') throw new Error(`switchboard does not route to the backend: ${JSON.stringify(check.stdout)}`);

    const targets: { name: string; port: number; pid: number }[] = [
      { name: 'nginx 1.22 (peer)', port: peerPort, pid: peer.pid ?? 0 },
      { name: 'switchboard ingress', port: sbPort, pid: sb.pid ?? 0 },
    ];
    if (haproxy !== undefined) targets.push({ name: 'haproxy (peer)', port: haproxy.port, pid: haproxy.proc.pid ?? 0 });
    const results = new Map<string, Measured[]>();
    for (let r = 0; r < RUNS; r++) {
      for (const t of targets) {
        const m = await measure(t.port, t.pid);
        const list = results.get(t.name) ?? [];
        list.push(m);
        results.set(t.name, list);
      }
    }
    const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
    const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
    process.stdout.write(`\nbench/ingress: wrk -t1 -c${CONNS}, ${SECONDS}s after ${WARMUP}s warm-up, ${RUNS} runs; backend nginx "hello world" (1 worker); ${nproc} CPUs (${cpu}); node ${process.version}; access log ${ACCESS_LOG ? 'on' : 'off'}\n\n`);
    const pad = (s: string, n: number) => s.padEnd(n);
    process.stdout.write(`${pad('proxy', 22)} ${pad('req/s', 9)} ${pad('req/CPU-s', 10)} ${pad('proxy CPU', 10)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} errors\n`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const summary = new Map<string, number>();
    for (const t of targets) {
      const ms = results.get(t.name) ?? [];
      for (const m of ms) {
        process.stdout.write(`${pad(t.name, 22)} ${pad(m.rps.toFixed(0), 9)} ${pad(m.perCpuSecond.toFixed(0), 10)} ${pad(`${(m.cpuShare * 100).toFixed(0)}%`, 10)} ${pad(m.p50.toFixed(2), 8)} ${pad(m.p99.toFixed(2), 8)} ${m.errors === '' ? '-' : m.errors}\n`);
      }
      summary.set(t.name, median(ms.map((m) => m.perCpuSecond)));
    }
    const ng = summary.get('nginx 1.22 (peer)') ?? NaN;
    const sw = summary.get('switchboard ingress') ?? NaN;
    process.stdout.write(`\nrequests per CPU-second, Switchboard / nginx: ${(sw / ng).toFixed(2)}× (ingress-nginx / plain nginx, kubernetes/ingress-nginx#5658: 0.45×)\n`);
  } finally {
    for (const p of procs.reverse()) p.kill('SIGTERM');
    await sleep(300);
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
