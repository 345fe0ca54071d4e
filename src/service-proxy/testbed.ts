// A throw-away "node" on the real kernel for the proxy's end-to-end tests and bench: a network
// namespace standing in for the node (with the node IP, a local route for the service CIDR and IP
// forwarding), one namespace per "pod" joined to it by a routed veth (pods are /32s behind
// 10.0.0.1, as Calico wires them), an "outside" client namespace, and tiny Node servers in the pods
// that answer HTTP and UDP with their name and the source address they saw. Everything is named
// with the caller's prefix and removed by destroy(), and by cleanupLeftovers() after a crash.
// Only namespaces this file creates are touched; the host's tables and routes never are.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { Executor } from './exec.ts';
import type { FlowCase } from './flows.ts';
import { expected } from './flows.ts';
import type { ProxyMode } from './types.ts';
import { cidrContains, parseCIDR, parseIP } from '../machinery/cidr.ts';
import { hostExecutor, mustRun } from './exec.ts';

export interface TestbedPod {
  readonly name: string;
  readonly ip: string;
  /** TCP ports answering HTTP `<pod ip> <client address>`. */
  readonly tcpPorts?: readonly number[];
  /** UDP ports answering each datagram with `<pod ip> <client address>`. */
  readonly udpPorts?: readonly number[];
}

export interface TestbedOptions {
  /** Short unique prefix (≤ 6 characters): names are `<prefix>-node`, `<prefix>-<pod>`, veths `<prefix>h<n>`. */
  readonly prefix: string;
  readonly nodeIP: string;
  readonly serviceCIDR: string;
  readonly pods: readonly TestbedPod[];
  /** Addresses of the outside client namespace (`<prefix>-ext`). */
  readonly externalClients?: readonly string[];
}

/** Why kernel tests cannot run here, or undefined when they can. */
export async function kernelTestsUnavailable(tools: readonly string[]): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  const ex = hostExecutor();
  for (const t of ['ip', ...tools]) {
    const r = await ex.run(t, t === 'ip' ? ['-V'] : ['--version']);
    if (r.code === 127) return `${t} is not installed`;
  }
  return undefined;
}

const serverScript = `
const [name, tcp, udp] = process.argv.slice(1);
const http = require('node:http'), dgram = require('node:dgram');
let pending = 0;
const up = () => { if (--pending === 0) process.stdout.write('up\\n'); };
for (const p of (tcp || '').split(',').filter(Boolean)) {
  pending++;
  const s = http.createServer((req, res) => {
    res.setHeader('connection', 'close');
    res.end(name + ' ' + req.socket.remoteAddress.replace('::ffff:', '') + '\\n');
  });
  s.listen(Number(p), '0.0.0.0', up);
}
for (const p of (udp || '').split(',').filter(Boolean)) {
  pending++;
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => s.send(name + ' ' + r.address + '\\n', r.port, r.address));
  s.bind(Number(p), '0.0.0.0', up);
}
if (pending === 0) process.stdout.write('up\\n');
`;

const probeScript = `
const probes = JSON.parse(process.argv[1]);
const http = require('node:http'), dgram = require('node:dgram');
function tcp(p) {
  return new Promise((resolve) => {
    const req = http.get({ host: p.ip, port: p.port, path: '/', agent: false, timeout: p.timeoutMs, ...(p.from ? { localAddress: p.from } : {}) }, (res) => {
      let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(b.trim()));
    });
    req.on('timeout', () => { req.destroy(); resolve('TIMEOUT'); });
    req.on('error', (e) => resolve(e.code === 'ECONNREFUSED' ? 'REFUSED' : e.code === 'ECONNRESET' ? 'RESET' : e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' ? 'UNREACHABLE' : String(e.code || e.message)));
  });
}
function udp(p) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const done = (v) => { clearTimeout(t); try { s.close(); } catch {} resolve(v); };
    const t = setTimeout(() => done('TIMEOUT'), p.timeoutMs);
    s.on('message', (m) => done(m.toString().trim()));
    s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'REFUSED' : String(e.code || e.message)));
    s.bind({ port: p.sport || 0, ...(p.from ? { address: p.from } : {}) }, () => s.connect(p.port, p.ip, () => s.send('ping')));
  });
}
(async () => {
  const out = [];
  for (const p of probes) for (let i = 0; i < (p.count || 1); i++) out.push(await (p.proto === 'udp' ? udp(p) : tcp(p)));
  process.stdout.write(JSON.stringify(out));
})();
`;

/** One probe a client runs: `count` fresh connections (or datagrams from fresh sockets). */
export interface Probe {
  readonly proto: 'tcp' | 'udp';
  readonly ip: string;
  readonly port: number;
  /** Source address to bind (the namespace must own it). */
  readonly from?: string;
  /** Fixed UDP source port (to reuse one conntrack flow). */
  readonly sport?: number;
  readonly count?: number;
  readonly timeoutMs: number;
}

export class Testbed {
  readonly opts: TestbedOptions;
  readonly nodeNs: string;
  readonly extNs: string;
  readonly #servers = new Map<string, ChildProcess>();
  readonly #host = hostExecutor();

  private constructor(opts: TestbedOptions) {
    this.opts = opts;
    this.nodeNs = `${opts.prefix}-node`;
    this.extNs = `${opts.prefix}-ext`;
  }

  /** Namespace name of a pod. */
  podNs(name: string): string {
    return `${this.opts.prefix}-${name}`;
  }

  /** An executor inside namespace `ns` (default: the node). */
  executor(ns = this.nodeNs): Executor {
    return hostExecutor(ns);
  }

  /** Removes every namespace whose name starts with `<prefix>-` (a crashed run's leftovers). */
  static async cleanupLeftovers(prefix: string): Promise<void> {
    const ex = hostExecutor();
    const r = await ex.run('ip', ['netns', 'list']);
    for (const line of r.stdout.split('\n')) {
      const name = line.split(' ')[0] ?? '';
      if (!name.startsWith(`${prefix}-`)) continue;
      // Processes a crashed run left in the namespace (pod servers, a proxy) go with it.
      const pids = await ex.run('ip', ['netns', 'pids', name]);
      for (const pid of pids.stdout.split('\n').map(Number).filter((n) => n > 0 && n !== process.pid)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
      }
      await ex.run('ip', ['netns', 'delete', name]);
    }
  }

  /** Builds the namespaces and links and starts the pod servers. */
  static async create(opts: TestbedOptions): Promise<Testbed> {
    await Testbed.cleanupLeftovers(opts.prefix);
    const tb = new Testbed(opts);
    try {
      await tb.#build();
    } catch (err) {
      await tb.destroy();
      throw err;
    }
    return tb;
  }

  async #ip(ns: string | undefined, args: readonly string[]): Promise<void> {
    await mustRun(ns === undefined ? this.#host : hostExecutor(ns), 'ip', args);
  }

  async #build(): Promise<void> {
    const o = this.opts;
    const node = this.nodeNs;
    await this.#ip(undefined, ['netns', 'add', node]);
    await this.#ip(node, ['link', 'set', 'lo', 'up']);
    await mustRun(this.executor(), 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // A port-less bridge stands in for the node's uplink (this kernel may lack the dummy driver).
    await this.#ip(node, ['link', 'add', 'sbnode0', 'type', 'bridge']);
    await this.#ip(node, ['link', 'set', 'sbnode0', 'up']);
    await this.#ip(node, ['addr', 'add', `${o.nodeIP}/24`, 'dev', 'sbnode0']);
    await this.#ip(node, ['addr', 'add', '10.0.0.1/32', 'dev', 'lo']);
    await this.#ip(node, ['route', 'add', 'local', o.serviceCIDR, 'dev', 'lo']);
    // Anything else leaves by that bridge (and is discarded there, towards a fixed neighbour so
    // no ARP failure answers), so unDNATed traffic reaches FORWARD instead of failing the lookup.
    const gw = o.nodeIP.replace(/\.\d+$/, '.1');
    await this.#ip(node, ['neigh', 'add', gw, 'lladdr', '02:00:00:00:00:01', 'dev', 'sbnode0', 'nud', 'permanent']);
    await this.#ip(node, ['route', 'add', 'default', 'via', gw, 'dev', 'sbnode0']);
    let n = 0;
    const link = async (ns: string, addrs: readonly string[], gw: string, hostAddr: string) => {
      const host = `${o.prefix}h${n++}`;
      await this.#ip(undefined, ['netns', 'add', ns]);
      await this.#ip(node, ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await this.#ip(node, ['addr', 'add', `${hostAddr}/32`, 'dev', host]);
      await this.#ip(node, ['link', 'set', host, 'up']);
      await this.#ip(ns, ['link', 'set', 'lo', 'up']);
      await this.#ip(ns, ['link', 'set', 'eth0', 'up']);
      for (const a of addrs) {
        await this.#ip(ns, ['addr', 'add', `${a}/32`, 'dev', 'eth0']);
        await this.#ip(node, ['route', 'add', `${a}/32`, 'dev', host]);
      }
      await this.#ip(ns, ['route', 'add', `${gw}/32`, 'dev', 'eth0']);
      await this.#ip(ns, ['route', 'add', 'default', 'via', gw, 'dev', 'eth0']);
    };
    for (const p of o.pods) await link(this.podNs(p.name), [p.ip], '10.0.0.1', '10.0.0.1');
    if ((o.externalClients ?? []).length > 0) await link(this.extNs, o.externalClients ?? [], o.nodeIP, o.nodeIP);
    await Promise.all(o.pods.map((p) => this.startServer(p)));
  }

  /** (Re)starts a pod's server. */
  async startServer(p: TestbedPod): Promise<void> {
    this.#servers.get(p.name)?.kill('SIGKILL');
    const child = spawn('ip', ['netns', 'exec', this.podNs(p.name), process.execPath, '-e', serverScript, p.ip, (p.tcpPorts ?? []).join(','), (p.udpPorts ?? []).join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.#servers.set(p.name, child);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`server in ${p.name} did not start`)), 10_000);
      child.stdout?.once('data', () => { clearTimeout(t); resolve(); });
      child.once('exit', (c) => { clearTimeout(t); reject(new Error(`server in ${p.name} exited ${c}`)); });
    });
  }

  /** Stops a pod's server (its port then refuses). */
  stopServer(name: string): void {
    this.#servers.get(name)?.kill('SIGKILL');
    this.#servers.delete(name);
  }

  /** Runs probes from namespace `ns`; one result per connection: body, REFUSED, TIMEOUT, RESET, UNREACHABLE. */
  async probe(ns: string, probes: readonly Probe[]): Promise<string[]> {
    const r = await hostExecutor(ns).run(process.execPath, ['-e', probeScript, JSON.stringify(probes)]);
    if (r.code !== 0) throw new Error(`probe in ${ns} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  }

  /** Kills the servers and deletes every namespace (and with them every veth, route and rule). */
  async destroy(): Promise<void> {
    for (const c of this.#servers.values()) c.kill('SIGKILL');
    this.#servers.clear();
    await Testbed.cleanupLeftovers(this.opts.prefix);
  }
}

/**
 * What a flow-table row looks like from a real client: the endpoints (by IP) that may answer and
 * whether the answer shows a masqueraded source, or REFUSED / TIMEOUT; undefined = not observable
 * here (a packet that is "not ours" goes wherever the namespace routes it; ACCEPT has no server).
 * The service CIDR is routed locally, so a ClusterIP packet nobody DNATs is refused by the stack.
 */
export function kernelExpectation(c: FlowCase, mode: ProxyMode, serviceCIDR: string): { endpoints: string[]; masq: boolean } | 'REFUSED' | 'TIMEOUT' | 'RESET' | undefined {
  const want = expected(c, mode);
  if (want.output === 'REJECT') return 'REFUSED';
  // The userspace proxy has already accepted a TCP connection when it decides to drop it: it resets.
  if (want.output === 'DROP') return mode === 'userspace' && c.protocol !== 'UDP' ? 'RESET' : 'TIMEOUT';
  if (want.output === 'ACCEPT') return undefined;
  if (want.output === '') {
    const cidr = parseCIDR(serviceCIDR);
    const ip = parseIP(c.destIP);
    return cidr !== undefined && ip !== undefined && cidrContains(cidr, ip) ? 'REFUSED' : undefined;
  }
  return { endpoints: want.output.split(', ').map((e) => e.split(':')[0] ?? ''), masq: want.masq };
}

/** Runs flow-table rows against the real kernel from the namespace owning each source address. */
export async function runKernelFlows(tb: Testbed, cases: readonly FlowCase[], mode: ProxyMode): Promise<string[]> {
  const errors: string[] = [];
  const nsOf = (ip: string): string | undefined => {
    if (ip === tb.opts.nodeIP) return tb.nodeNs;
    if ((tb.opts.externalClients ?? []).includes(ip)) return tb.extNs;
    const pod = tb.opts.pods.find((p) => p.ip === ip);
    return pod === undefined ? undefined : tb.podNs(pod.name);
  };
  await Promise.all(cases.map(async (c) => {
    const want = kernelExpectation(c, mode, tb.opts.serviceCIDR);
    const ns = nsOf(c.sourceIP);
    if (want === undefined || ns === undefined) return;
    const proto = c.protocol === 'UDP' ? 'udp' : 'tcp';
    const count = typeof want === 'string' ? 1 : want.endpoints.length > 1 ? 16 : 3;
    const timeoutMs = want === 'TIMEOUT' ? 700 : 3000;
    const results = await tb.probe(ns, [{ proto, ip: c.destIP, port: c.destPort, from: c.sourceIP, count, timeoutMs }]);
    const label = `${mode} kernel "${c.name}" (${proto} ${c.sourceIP} → ${c.destIP}:${c.destPort})`;
    if (typeof want === 'string') {
      if (results.some((r) => r !== want)) errors.push(`${label}: got ${results.join(', ')}, want ${want}`);
      return;
    }
    const seen = new Set<string>();
    for (const r of results) {
      const [ep, client] = r.split(' ');
      if (ep === undefined || client === undefined || !want.endpoints.includes(ep)) {
        errors.push(`${label}: got ${r}, want one of ${want.endpoints.join(', ')}`);
        return;
      }
      seen.add(ep);
      const masqueraded = client !== c.sourceIP;
      // Userspace connects from its own socket: every endpoint sees the node.
      if (mode !== 'userspace' && masqueraded !== want.masq) {
        errors.push(`${label}: endpoint saw client ${client}, masq ${masqueraded}, want ${want.masq}`);
        return;
      }
    }
    if (seen.size !== want.endpoints.length) errors.push(`${label}: only ${[...seen].join(', ')} answered, want all of ${want.endpoints.join(', ')}`);
  }));
  return errors;
}

/** A reply of the standalone runner. */
export interface StandaloneReply {
  readonly ok: boolean;
  readonly error?: string;
  readonly [k: string]: unknown;
}

/** The standalone proxy (standalone.ts) running inside a namespace, driven over stdin/stdout. */
export class StandaloneProxy {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (r: StandaloneReply) => void>();
  #next = 1;
  stderr = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Starts it in `ns` with options for startServiceProxy (JSON-able). */
  static async start(ns: string, opts: Record<string, unknown>): Promise<StandaloneProxy> {
    const script = join(import.meta.dirname, 'standalone.ts');
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, script, JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const sp = new StandaloneProxy(child);
    child.stderr?.on('data', (d: Buffer) => { sp.stderr += d.toString(); });
    const rl = createInterface({ input: child.stdout! });
    let ready: (() => void) | undefined;
    const readyP = new Promise<void>((r) => (ready = r));
    rl.on('line', (line) => {
      const msg = JSON.parse(line) as StandaloneReply & { id?: unknown };
      if (msg.id === 'ready') ready?.();
      else if (typeof msg.id === 'number') {
        sp.#waiting.get(msg.id)?.(msg);
        sp.#waiting.delete(msg.id);
      }
    });
    await Promise.race([readyP, new Promise((_, reject) => child.once('exit', (c) => reject(new Error(`standalone proxy exited ${c}: ${sp.stderr}`))))]);
    return sp;
  }

  /** Sends one request and waits for its reply (throws when it is not ok). */
  async request(op: string, fields: Record<string, unknown> = {}): Promise<StandaloneReply> {
    const id = this.#next++;
    const p = new Promise<StandaloneReply>((resolve) => this.#waiting.set(id, resolve));
    this.#child.stdin?.write(JSON.stringify({ id, op, ...fields }) + '\n');
    const r = await p;
    if (!r.ok) throw new Error(`${op}: ${r.error ?? 'failed'}`);
    return r;
  }

  /** Stops it (it removes its state first) and waits for the process to end. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.#child.once('exit', () => r()));
    try {
      await Promise.race([this.request('stop'), exited]);
    } catch {
      // fall through to the kill
    }
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
