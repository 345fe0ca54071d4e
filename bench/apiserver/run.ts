// bench/apiserver: Switchboard's API server beside bare etcd (the store kube-apiserver sits on) in
// one run: start-to-ready, idle RSS, create latency for N ConfigMaps, list time of N objects, and
// watch delivery latency with W watchers. Settings from the environment:
//   BENCH_N (10000) objects, BENCH_WATCHERS (100), BENCH_WATCH_EVENTS (200), BENCH_CONCURRENCY (1),
//   BENCH_STORE (sqlite). etcd is skipped (with a note) when the `etcd` binary is missing.
// etcd does far less per request (no TLS, no auth, no JSON object handling, no validation), so the
// ratios say how close the full API path gets to the bare store.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const N = Number(process.env['BENCH_N'] ?? 10000);
const WATCHERS = Number(process.env['BENCH_WATCHERS'] ?? 100);
const WATCH_EVENTS = Number(process.env['BENCH_WATCH_EVENTS'] ?? 200);
const CONC = Math.max(1, Number(process.env['BENCH_CONCURRENCY'] ?? 1));
const STORE = process.env['BENCH_STORE'] ?? 'sqlite';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Figures {
  readyMs: number;
  idleRssMiB: number;
  createP50: number;
  createP99: number;
  createPerSec: number;
  listMs: number;
  watchP50: number;
  watchP99: number;
  rssAfterMiB: number;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] !== undefined ? Number(m[1]) / 1024 : NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A tiny HTTP(S) JSON caller shared by both targets. */
interface Target {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }>;
  stream(method: string, path: string, body: unknown, onLine: (line: string) => void): Promise<() => void>;
}

function makeTarget(base: string, headers: Record<string, string>, ca?: string): Target {
  const url = new URL(base);
  const https = url.protocol === 'https:';
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 256, ...(ca !== undefined ? { ca } : {}) }) : new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const req = https ? httpsRequest : httpRequest;
  const open = (method: string, path: string, body: unknown, cb: (res: import('node:http').IncomingMessage) => void) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const r = req(new URL(path, base), {
      method, agent: agent as HttpsAgent,
      headers: { ...headers, Accept: 'application/json', ...(data !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) },
    }, cb);
    if (data !== undefined) r.write(data);
    r.end();
    return r;
  };
  return {
    call(method, path, body) {
      return new Promise((res, rej) => {
        const r = open(method, path, body, (resp) => {
          let text = '';
          resp.setEncoding('utf8');
          resp.on('data', (c: string) => { text += c; });
          resp.on('end', () => res({ status: resp.statusCode ?? 0, text }));
        });
        r.on('error', rej);
      });
    },
    stream(method, path, body, onLine) {
      return new Promise((res, rej) => {
        const r = open(method, path, body, (resp) => {
          let buf = '';
          resp.setEncoding('utf8');
          resp.on('data', (c: string) => {
            buf += c;
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              onLine(buf.slice(0, i));
              buf = buf.slice(i + 1);
            }
          });
          res(() => r.destroy());
        });
        r.on('error', (e) => { if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') rej(e); });
      });
    },
  };
}

async function timedCreates(n: number, create: (i: number) => Promise<void>): Promise<{ lat: number[]; totalMs: number }> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONC }, async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const t = performance.now();
      await create(i);
      lat.push(performance.now() - t);
    }
  }));
  return { lat, totalMs: performance.now() - t0 };
}

async function watchLatency(open: (onEvent: (name: string) => void) => Promise<() => void>, create: (name: string) => Promise<void>): Promise<number[]> {
  const sent = new Map<string, number>();
  const lat: number[] = [];
  let delivered = 0;
  const closers: Array<() => void> = [];
  for (let w = 0; w < WATCHERS; w++) {
    closers.push(await open((name) => {
      const t = sent.get(name);
      if (t !== undefined) {
        lat.push(performance.now() - t);
        delivered++;
      }
    }));
  }
  await sleep(200);
  for (let i = 0; i < WATCH_EVENTS; i++) {
    const name = `w-${i}`;
    sent.set(name, performance.now());
    await create(name);
    await sleep(5);
  }
  const deadline = Date.now() + 10_000;
  while (delivered < WATCHERS * WATCH_EVENTS && Date.now() < deadline) await sleep(20);
  for (const c of closers) c();
  if (delivered < WATCHERS * WATCH_EVENTS) console.error(`# watch: only ${delivered}/${WATCHERS * WATCH_EVENTS} events delivered`);
  return lat;
}

const payload = { key: 'x'.repeat(200) };

async function benchSwitchboard(): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sb-'));
  const t0 = performance.now();
  const proc = spawn(process.execPath, [join(root, 'bin', 'switchboard.js'), 'up', '--data-dir', dir, '--api-port', '0', '--store', STORE], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((res, rej) => {
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('ready')) res(); });
      proc.on('exit', () => rej(new Error('switchboard exited')));
    });
    const readyMs = performance.now() - t0;
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { api: string; pid: number };
    await sleep(1000);
    const idle = rssMiB(state.pid);
    const token = readFileSync(join(dir, 'pki', 'token'), 'utf8').trim();
    const t = makeTarget(state.api, { Authorization: `Bearer ${token}` }, readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'));
    const base = '/api/v1/namespaces/default/configmaps';
    const c = await timedCreates(N, async (i) => {
      const r = await t.call('POST', base, { metadata: { name: `cm-${i}` }, data: payload });
      if (r.status !== 201) throw new Error(`create ${r.status}: ${r.text}`);
    });
    const l0 = performance.now();
    const l = await t.call('GET', base);
    const listMs = performance.now() - l0;
    if (l.status !== 200) throw new Error(`list ${l.status}`);
    const wl = await watchLatency(
      (on) => t.stream('GET', `${base}?watch=true&resourceVersion=${(JSON.parse(l.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion}&labelSelector=w%3D1`, undefined, (line) => {
        const ev = JSON.parse(line) as { object: { metadata: { name: string } } };
        on(ev.object.metadata.name);
      }),
      async (name) => { await t.call('POST', base, { metadata: { name, labels: { w: '1' } }, data: payload }); },
    );
    return {
      readyMs, idleRssMiB: idle, createP50: pct(c.lat, 50), createP99: pct(c.lat, 99), createPerSec: (N / c.totalMs) * 1000,
      listMs, watchP50: pct(wl, 50), watchP99: pct(wl, 99), rssAfterMiB: rssMiB(state.pid),
    };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function benchEtcd(): Promise<Figures | string> {
  if (spawnSync('etcd', ['--version']).error !== undefined) return 'etcd not installed (apt-get install etcd-server)';
  const dir = mkdtempSync(join(tmpdir(), 'bench-etcd-'));
  const port = 23790 + Math.floor(Math.random() * 100);
  const t0 = performance.now();
  const proc: ChildProcess = spawn('etcd', ['--data-dir', dir, '--listen-client-urls', `http://127.0.0.1:${port}`, '--advertise-client-urls', `http://127.0.0.1:${port}`,
    '--listen-peer-urls', `http://127.0.0.1:${port + 1000}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${port + 1000}`, '--initial-cluster', `default=http://127.0.0.1:${port + 1000}`, '--log-level', 'error'], { stdio: 'ignore' });
  const t = makeTarget(`http://127.0.0.1:${port}`, {});
  try {
    for (;;) {
      try {
        const r = await t.call('GET', '/health');
        if (r.status === 200) break;
      } catch { /* not up yet */ }
      await sleep(10);
      if (performance.now() - t0 > 15000) throw new Error('etcd did not start');
    }
    const readyMs = performance.now() - t0;
    await sleep(1000);
    const idle = rssMiB(proc.pid ?? 0);
    // The same bytes a ConfigMap of this size takes in kube-apiserver's etcd.
    const value = JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm-0', namespace: 'default' }, data: payload });
    const c = await timedCreates(N, async (i) => {
      const key = `/registry/configmaps/default/cm-${i}`;
      const r = await t.call('POST', '/v3/kv/txn', {
        compare: [{ key: b64(key), target: 'MOD', result: 'EQUAL', mod_revision: '0' }],
        success: [{ request_put: { key: b64(key), value: b64(value) } }],
      });
      if (r.status !== 200) throw new Error(`etcd put ${r.status}`);
    });
    const l0 = performance.now();
    await t.call('POST', '/v3/kv/range', { key: b64('/registry/configmaps/default/'), range_end: b64('/registry/configmaps/default0') });
    const listMs = performance.now() - l0;
    const wl = await watchLatency(
      (on) => t.stream('POST', '/v3/watch', { create_request: { key: b64('/registry/configmaps/default/w-'), range_end: b64('/registry/configmaps/default/w.') } }, (line) => {
        const m = JSON.parse(line) as { result?: { events?: Array<{ kv: { key: string } }> } };
        for (const e of m.result?.events ?? []) on(Buffer.from(e.kv.key, 'base64').toString().split('/').pop() ?? '');
      }),
      async (name) => { await t.call('POST', '/v3/kv/put', { key: b64(`/registry/configmaps/default/${name}`), value: b64(value) }); },
    );
    return {
      readyMs, idleRssMiB: idle, createP50: pct(c.lat, 50), createP99: pct(c.lat, 99), createPerSec: (N / c.totalMs) * 1000,
      listMs, watchP50: pct(wl, 50), watchP99: pct(wl, 99), rssAfterMiB: rssMiB(proc.pid ?? 0),
    };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(name: string, a: number, b: number | undefined, unit: string): string {
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const ratio = b === undefined || b === 0 ? '' : `${(a / b).toFixed(2)}x`;
  return `${name.padEnd(34)} ${(f(a) + ' ' + unit).padStart(14)} ${(b === undefined ? '-' : f(b) + ' ' + unit).padStart(14)} ${ratio.padStart(8)}`;
}

const sb = await benchSwitchboard();
const et = await benchEtcd();
const e = typeof et === 'string' ? undefined : et;
console.log(`# bench/apiserver: N=${N} watchers=${WATCHERS} events=${WATCH_EVENTS} concurrency=${CONC} store=${STORE}`);
if (typeof et === 'string') console.log(`# peer skipped: ${et}`);
console.log(`${'figure'.padEnd(34)} ${'switchboard'.padStart(14)} ${'etcd 3.4'.padStart(14)} ${'ratio'.padStart(8)}`);
console.log(row('start to ready', sb.readyMs, e?.readyMs, 'ms'));
console.log(row('idle RSS', sb.idleRssMiB, e?.idleRssMiB, 'MiB'));
console.log(row(`create p50 (${N})`, sb.createP50, e?.createP50, 'ms'));
console.log(row(`create p99 (${N})`, sb.createP99, e?.createP99, 'ms'));
console.log(row('creates per second', sb.createPerSec, e?.createPerSec, '/s'));
console.log(row(`list ${N} objects`, sb.listMs, e?.listMs, 'ms'));
console.log(row(`watch delivery p50 (${WATCHERS} watchers)`, sb.watchP50, e?.watchP50, 'ms'));
console.log(row(`watch delivery p99 (${WATCHERS} watchers)`, sb.watchP99, e?.watchP99, 'ms'));
console.log(row(`RSS after (${N} objects)`, sb.rssAfterMiB, e?.rssAfterMiB, 'MiB'));
