// bench/dns: Switchboard's cluster DNS beside unbound serving the same records as local-data, in
// one run, driven by dnsperf (Debian). Each server runs as its own process pinned to one core
// (taskset) with dnsperf on another; reported: queries/s at saturation, server CPU and qps per fully
// used core, peak RSS, and latency percentiles from a fixed-rate run (dnsperf -v per-query times).
// Settings from the environment:
//   BENCH_SECONDS (10) per throughput run, BENCH_CLIENTS (20) dnsperf -c, BENCH_OUTSTANDING (500)
//   dnsperf -q, BENCH_QUERIES (200000) lines in the query file, BENCH_RATE (5000) qps of the latency
//   run, BENCH_LATENCY_SECONDS (5), BENCH_SIZES ('{"namespaces":20,"clusterIP":2000,"headless":200}'),
//   BENCH_TARGETS (all: sb-cache,sb-nocache,unbound).
// Needs dnsperf and unbound (apt-get install -y dnsperf unbound); unbound is skipped with a note
// when missing. CoreDNS itself is not packaged in Debian, so it is not in the comparison.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryFile, unboundConfig, type Sizes } from './cluster.ts';
import { query } from '../../src/cluster-dns/server/client.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = (k: string, d: string) => process.env[k] ?? d;
const SECONDS = Number(env('BENCH_SECONDS', '10'));
const CLIENTS = Number(env('BENCH_CLIENTS', '20'));
const OUTSTANDING = Number(env('BENCH_OUTSTANDING', '500'));
const QUERIES = Number(env('BENCH_QUERIES', '200000'));
const RATE = Number(env('BENCH_RATE', '5000'));
const LAT_SECONDS = Number(env('BENCH_LATENCY_SECONDS', '5'));
const sizes = JSON.parse(env('BENCH_SIZES', '{"namespaces":20,"clusterIP":2000,"headless":200}')) as Sizes;

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (!have('dnsperf')) {
  console.error('dnsperf is missing: apt-get install -y dnsperf');
  process.exit(1);
}
const pin = cpus().length >= 2 && have('taskset');
const serverCore = ['taskset', '-c', '1'];
const clientCore = ['taskset', '-c', '0'];
const clkTck = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || '100');

const work = mkdtempSync(join(tmpdir(), 'sb-bench-dns-'));
const qfile = join(work, 'queries.txt');
writeFileSync(qfile, queryFile(sizes, QUERIES));

interface Server {
  name: string;
  proc: ChildProcess;
  port: number;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] !== undefined ? Number(m[1]) / 1024 : NaN;
}

function run(cmd: string[], opts: { capture?: boolean } = {}): Promise<string> {
  return new Promise((res, rej) => {
    const [bin, ...args] = pin ? [...clientCore, ...cmd] : cmd;
    const p = spawn(bin ?? '', args, { stdio: ['ignore', opts.capture === false ? 'ignore' : 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`${cmd.join(' ')} exited ${String(code)}: ${err}`))));
  });
}

async function waitAnswering(port: number, proc?: ChildProcess): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      await query(`127.0.0.1:${port}`, 'svc0.ns0.svc.cluster.local', 'A', { timeoutMs: 300 });
      return;
    } catch {
      if (proc !== undefined && proc.exitCode !== null) throw new Error(`the server exited with ${proc.exitCode}`);
      if (Date.now() > end) throw new Error(`nothing answers on ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function startProc(cmd: string[], envExtra: Record<string, string>): ChildProcess {
  const [bin, ...args] = pin ? [...serverCore, ...cmd] : cmd;
  return spawn(bin ?? '', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...envExtra }, cwd: root });
}

async function startSwitchboard(name: string, corefile: string): Promise<Server> {
  const cf = join(work, `${name}.Corefile`);
  writeFileSync(cf, corefile);
  const proc = startProc([process.execPath, join(root, 'bench', 'dns', 'serve.ts')], { BENCH_COREFILE: cf, BENCH_SIZES: JSON.stringify(sizes) });
  const line = await new Promise<string>((res, rej) => {
    let out = '';
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const l = out.split('\n').find((x) => x.startsWith('ready'));
      if (l !== undefined) res(l);
    });
    proc.on('exit', (c) => rej(new Error(`${name} exited ${String(c)}: ${err}`)));
  });
  const port = Number(/:(\d+)/.exec(line)?.[1]);
  await waitAnswering(port);
  return { name, proc, port };
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const { createServer } = await import('node:net');
  for (;;) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const p = s.address().port;
    const t = createServer();
    const ok = await new Promise<boolean>((r) => {
      t.once('error', () => r(false));
      t.listen(p, '127.0.0.1', () => r(true));
    });
    await new Promise<void>((r) => s.close(() => r()));
    if (ok) {
      await new Promise<void>((r) => t.close(() => r()));
      return p;
    }
  }
}

async function startUnbound(): Promise<Server> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = join(work, 'unbound.conf');
    writeFileSync(conf, unboundConfig(sizes, port, work));
    const proc = startProc(['unbound', '-d', '-c', conf], {});
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    try {
      await waitAnswering(port, proc);
      return { name: 'unbound 1.17 (local-data)', proc, port };
    } catch (e) {
      proc.kill('SIGKILL');
      if (attempt >= 3) throw new Error(`unbound did not start: ${err || String(e)}`);
    }
  }
}

interface Figures {
  qps: number;
  avgMs: number;
  lost: number;
  cpu: number;
  qpsPerCore: number;
  rssMiB: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  rcodes: string;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(s: Server): Promise<Figures> {
  const pid = s.proc.pid ?? 0;
  const base = ['dnsperf', '-s', '127.0.0.1', '-p', String(s.port), '-d', qfile];
  // Warm up (JIT, caches), then the throughput run with the server's CPU time around it.
  await run([...base, '-l', '2', '-c', String(CLIENTS), '-q', String(OUTSTANDING)]);
  const t0 = cpuTicks(pid);
  const w0 = performance.now();
  const out = await run([...base, '-l', String(SECONDS), '-c', String(CLIENTS), '-q', String(OUTSTANDING)]);
  const wall = (performance.now() - w0) / 1000;
  const cpu = (cpuTicks(pid) - t0) / clkTck / wall;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const qps = num(/Queries per second:\s+([\d.]+)/);
  const avgMs = num(/Average Latency \(s\):\s+([\d.]+)/) * 1000;
  const lost = num(/Queries lost:\s+(\d+)/);
  const rcodes = (/Response codes:\s+(.*)/.exec(out)?.[1] ?? '').trim();
  // Latency at a fixed rate well below saturation.
  const v = await run([...base, '-l', String(LAT_SECONDS), '-Q', String(RATE), '-c', String(CLIENTS), '-v']);
  const lat = v.split('\n').filter((l) => l.startsWith('> ')).map((l) => Number(l.split(' ').pop()) * 1000).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return {
    qps, avgMs, lost, cpu, qpsPerCore: qps / Math.max(cpu, 0.01), rssMiB: peakRssMiB(pid),
    p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99), p999: pct(lat, 99.9), rcodes,
  };
}

async function stop(s: Server): Promise<void> {
  if (s.proc.exitCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  const t = setTimeout(() => s.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

const kubeBlock = `kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }`;
const seedChain = (cache: string) => `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    ${kubeBlock}
    prometheus :9153
    ${cache}
    loadbalance
}
`;

const targets: { name: string; start: () => Promise<Server> }[] = [
  { name: 'switchboard, seed 000 chain (cache 30)', start: () => startSwitchboard('sb-cache', seedChain('cache 30')) },
  { name: 'switchboard, kubeadm ≥1.32 chain (cluster.local not cached)', start: () => startSwitchboard('sb-nocache', seedChain('cache 30 {\n       disable success cluster.local\n       disable denial cluster.local\n    }')) },
];
if (have('unbound')) targets.push({ name: 'unbound 1.17 (local-data)', start: startUnbound });
else console.log('# unbound is missing (apt-get install -y unbound): no peer in this run');
// BENCH_TARGETS=sb-cache,sb-nocache,unbound picks a subset.
const pickTargets = (process.env['BENCH_TARGETS'] ?? '').split(',').filter((x) => x !== '');
if (pickTargets.length > 0) {
  const keys = ['sb-cache', 'sb-nocache', 'unbound'];
  for (let i = targets.length - 1; i >= 0; i--) if (!pickTargets.includes(keys[i] ?? '')) targets.splice(i, 1);
}

console.log(`# bench/dns: ${sizes.clusterIP} ClusterIP + ${sizes.headless} headless Services in ${sizes.namespaces} namespaces; ${QUERIES} queries (45% A, 10% headless A, 10% AAAA, 5% SRV, 30% NXDOMAIN)`);
console.log(`# dnsperf -c ${CLIENTS} -q ${OUTSTANDING} -l ${SECONDS}; latency at -Q ${RATE} for ${LAT_SECONDS}s; ${pin ? 'server on core 1, dnsperf on core 0' : 'not pinned (needs 2 cores and taskset)'}; node ${process.version}`);
const results: { name: string; f: Figures }[] = [];
try {
  for (const t of targets) {
    let s: Server;
    try {
      s = await t.start();
    } catch (e) {
      console.log(`# ${t.name}: not measured: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    try {
      results.push({ name: t.name, f: await measure(s) });
    } finally {
      await stop(s);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const pad = (s: string, n: number) => s.padEnd(n);
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
console.log('');
console.log(`${pad('server', 62)} ${pad('qps', 8)} ${pad('avg ms', 7)} ${pad('CPU', 5)} ${pad('qps/core', 9)} ${pad('p50 ms', 7)} ${pad('p90 ms', 7)} ${pad('p99 ms', 7)} ${pad('p99.9', 7)} ${pad('RSS MiB', 8)} lost`);
for (const r of results) {
  const f = r.f;
  console.log(`${pad(r.name, 62)} ${pad(fmt(f.qps), 8)} ${pad(fmt(f.avgMs, 2), 7)} ${pad(`${fmt(f.cpu * 100)}%`, 5)} ${pad(fmt(f.qpsPerCore), 9)} ${pad(fmt(f.p50, 3), 7)} ${pad(fmt(f.p90, 3), 7)} ${pad(fmt(f.p99, 3), 7)} ${pad(fmt(f.p999, 3), 7)} ${pad(fmt(f.rssMiB), 8)} ${f.lost}`);
}
const peer = results.find((r) => r.name.startsWith('unbound'));
if (peer !== undefined) {
  console.log('');
  for (const r of results.filter((x) => x !== peer)) {
    console.log(`${r.name}: ${(r.f.qpsPerCore / peer.f.qpsPerCore * 100).toFixed(0)}% of unbound's qps per core, p99 ${(r.f.p99 / peer.f.p99).toFixed(1)}× unbound's`);
  }
}
for (const r of results) console.log(`# ${r.name} rcodes: ${r.f.rcodes}`);
