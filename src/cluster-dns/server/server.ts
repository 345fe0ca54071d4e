// The DNS server: turns a Corefile into server blocks, binds their DNS and HTTP listeners, and
// reloads when the Corefile changes — a broken one is refused (the last good one keeps serving)
// and the reason is logged, counted and kept in `lastReloadError`.
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { parseCorefile } from '../corefile/parse.ts';
import { parseHostPort } from '../corefile/values.ts';
import { newMessage, Class } from '../dns/types.ts';
import { serializeMessage } from '../dns/wire.ts';
import { reloadMetrics, serverMetrics } from '../metrics/coredns.ts';
import { Registry } from '../metrics/registry.ts';
import { buildBlocks, type BlockConfig } from '../plugin/chain.ts';
import type { Logger, SetupEnv } from '../plugin/controller.ts';
import type { HttpRoute, Plugin } from '../plugin/plugin.ts';
import type { TransportFactory } from '../plugins/forward/transport.ts';
import { socketTransport } from '../plugins/forward/proxy.ts';
import type { ClusterView } from '../plugins/kubernetes/view.ts';
import { QueryHandler } from './handle.ts';
import { listenDns, listenHttp, type DnsListener, type HttpListener } from './listeners.ts';

/** Where the Corefile comes from: fixed text, a file, or the coredns ConfigMap. */
export interface CorefileSource {
  /** For messages (`ConfigMap kube-system/coredns`, a path). */
  readonly name: string;
  /** The current text; undefined while it is not known (or the object is missing). */
  read(): string | undefined;
  /** Calls `fn` when the text may have changed; returns the unsubscribe. */
  watch(fn: () => void): () => void;
}

/** A source that never changes. */
export function staticSource(text: string, name = 'Corefile'): CorefileSource & { set(text: string): void } {
  let cur = text;
  const subs = new Set<() => void>();
  return {
    name,
    read: () => cur,
    watch: (fn) => { subs.add(fn); return () => { subs.delete(fn); }; },
    set(t: string) {
      cur = t;
      for (const s of subs) s();
    },
  };
}

/** A Corefile on disk, polled every `pollMs` (mtime and size). */
export function fileSource(path: string, pollMs = 2000): CorefileSource {
  return {
    name: path,
    read: () => {
      try {
        return fs.readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    watch: (fn) => {
      const listener = () => fn();
      fs.watchFile(path, { interval: pollMs, persistent: false }, listener);
      return () => fs.unwatchFile(path, listener);
    },
  };
}

export interface DnsServerOptions {
  source: CorefileSource;
  /** Used when the source has no text, or its first text does not set up (logged). */
  fallbackCorefile?: string;
  cluster?: ClusterView;
  /** Address of the DNS listener for blocks on port 53 (or no port): default 127.0.0.1:0. */
  host?: string;
  port?: number;
  /** Serve every health/ready/metrics route on this one address instead of the Corefile's. */
  httpAddress?: string;
  log?: Logger;
  queryLog?: (line: string) => void;
  registry?: Registry;
  transport?: TransportFactory;
  now?: () => number;
  random?: () => number;
  readFile?: (path: string) => string;
  /**
   * The file read where a Corefile names /etc/resolv.conf (forward's upstreams), as kubelet's
   * resolvConf setting does for CoreDNS pods; tests point it at a loopback upstream.
   */
  resolvConf?: string;
  statFile?: (path: string) => { mtimeMs: number; size: number } | undefined;
  /** Called with the reason when a changed Corefile is refused. */
  onReloadError?: (reason: string) => void;
  /** Called after a changed Corefile went live. */
  onReload?: () => void;
  /** Version label of coredns_build_info. */
  version?: string;
}

interface Config {
  text: string;
  hash: string;
  blocks: BlockConfig[];
  plugins: Plugin[];
  routes: HttpRoute[];
  lameduckMs: number;
  reload: boolean;
}

interface PortGroup {
  handler: QueryHandler;
  listener: DnsListener;
}

const defaultLogger: Logger = (level, msg) => {
  if (level === 'error' || level === 'warn') process.stderr.write(`[${level.toUpperCase()}] ${msg}\n`);
};

/** The running server. Build one with `new DnsServer(opts)` and `await start()`. */
export class DnsServer {
  readonly registry: Registry;
  private readonly opts: DnsServerOptions;
  private readonly log: Logger;
  private config: Config | undefined;
  private readonly groups = new Map<number, PortGroup>();
  private readonly http = new Map<string, HttpListener>();
  private stopping = false;
  private unwatch: (() => void) | undefined;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private applying: Promise<void> = Promise.resolve();
  /** Why the last changed Corefile was refused ('' after a good reload). */
  lastReloadError = '';
  /** Number of Corefiles that went live (1 after start). */
  generation = 0;

  constructor(opts: DnsServerOptions) {
    this.opts = opts;
    this.log = opts.log ?? defaultLogger;
    this.registry = opts.registry ?? new Registry();
    const sm = serverMetrics(this.registry);
    sm.buildInfo.set({ version: opts.version ?? 'switchboard', revision: '', goversion: `node${process.versions.node}` }, 1);
    reloadMetrics(this.registry);
  }

  /** The primary DNS listener (blocks on port 53 or none). */
  get address(): { host: string; port: number } | undefined {
    const g = this.groups.get(53);
    return g === undefined ? undefined : { host: g.listener.host, port: g.listener.udpPort };
  }

  /** Every HTTP listener: Corefile address → bound address. */
  httpAddresses(): Map<string, string> {
    return new Map([...this.http].map(([k, v]) => [k, v.address]));
  }

  /** True when the live configuration serves `path` on the HTTP listener keyed `address`. */
  routeAt(address: string, path: string): boolean {
    return (this.config?.routes ?? []).some((r) => (this.opts.httpAddress ?? r.address) === address && r.path === path);
  }

  /** The handler of the primary listener (for tests that skip sockets). */
  get handler(): QueryHandler | undefined {
    return this.groups.get(53)?.handler;
  }

  /** Names of plugins not ready yet. */
  notReady(): string[] {
    const out = new Set<string>();
    for (const p of this.config?.plugins ?? []) if (p.ready !== undefined && !p.ready()) out.add(p.name);
    return [...out];
  }

  private env(): SetupEnv {
    return {
      cluster: this.opts.cluster,
      registry: this.registry,
      log: this.log,
      queryLog: this.opts.queryLog ?? ((line) => process.stdout.write(`${line}\n`)),
      readFile: (p) => {
        const path = p === '/etc/resolv.conf' && this.opts.resolvConf !== undefined ? this.opts.resolvConf : p;
        return this.opts.readFile !== undefined ? this.opts.readFile(path) : fs.readFileSync(path, 'utf8');
      },
      statFile: this.opts.statFile ?? ((p) => {
        try {
          const st = fs.statSync(p);
          return { mtimeMs: st.mtimeMs, size: st.size };
        } catch {
          return undefined;
        }
      }),
      now: this.opts.now ?? Date.now,
      random: this.opts.random ?? Math.random,
      transport: this.opts.transport ?? (() => socketTransport()),
      status: { notReady: () => this.notReady(), stopping: () => this.stopping },
      self: () => this.address,
      probe: (name, type) => this.probe(name, type),
    };
  }

  /** Parses and sets up a Corefile. Throws CorefileError. */
  private build(text: string): Config {
    const cf = parseCorefile(text, { env: process.env });
    const blocks = buildBlocks(cf, this.env());
    const plugins = blocks.flatMap((b) => b.plugins);
    return {
      text,
      hash: createHash('sha512').update(text).digest('hex'),
      blocks,
      plugins,
      routes: plugins.flatMap((p) => p.routes ?? []),
      lameduckMs: Math.max(0, ...plugins.map((p) => p.lameduckMs ?? 0)),
      reload: plugins.some((p) => p.name === 'reload'),
    };
  }

  /** Sets up the Corefile, binds listeners and starts plugins. Rejects when nothing can serve. */
  async start(): Promise<void> {
    let text = this.opts.source.read();
    let cfg: Config | undefined;
    if (text !== undefined) {
      try {
        cfg = this.build(text);
      } catch (e) {
        if (this.opts.fallbackCorefile === undefined) throw e;
        this.log('error', `Corefile from ${this.opts.source.name} does not set up, serving the default one: ${errText(e)}`);
        this.lastReloadError = errText(e);
      }
    } else if (this.opts.fallbackCorefile === undefined) {
      throw new Error(`no Corefile in ${this.opts.source.name}`);
    } else {
      this.log('warn', `no Corefile in ${this.opts.source.name}, serving the default one`);
    }
    if (cfg === undefined) {
      text = this.opts.fallbackCorefile ?? '';
      cfg = this.build(text);
    }
    await this.activate(cfg, undefined);
    this.unwatch = this.opts.source.watch(() => this.sourceChanged());
  }

  private sourceChanged(): void {
    if (this.stopping) return;
    if (this.pending !== undefined) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      const text = this.opts.source.read();
      if (text === undefined || text === this.config?.text) return;
      if (this.config?.reload !== true) {
        this.log('info', `Corefile in ${this.opts.source.name} changed; the reload plugin is not enabled, restart to apply it`);
        return;
      }
      void this.reload(text);
    }, 50);
    this.pending.unref();
  }

  /**
   * Applies a new Corefile: on success it goes live and the old plugins stop; on failure the
   * current one keeps serving and the reason is returned (and logged, counted, kept).
   */
  reload(text: string): Promise<string | undefined> {
    const run = this.applying.then(async (): Promise<string | undefined> => {
      if (this.stopping) return 'stopping';
      const rm = reloadMetrics(this.registry);
      let cfg: Config;
      try {
        cfg = this.build(text);
      } catch (e) {
        return this.refuse(rm, errText(e));
      }
      try {
        await this.activate(cfg, this.config);
      } catch (e) {
        for (const p of cfg.plugins) await stopPlugin(p);
        return this.refuse(rm, errText(e));
      }
      this.lastReloadError = '';
      this.log('info', `plugin/reload: Reloading complete (Corefile from ${this.opts.source.name})`);
      this.opts.onReload?.();
      return undefined;
    });
    this.applying = run.then(() => undefined, () => undefined);
    return run;
  }

  private refuse(rm: ReturnType<typeof reloadMetrics>, reason: string): string {
    rm.failed.inc();
    this.lastReloadError = reason;
    this.log('error', `plugin/reload: Corefile from ${this.opts.source.name} changed but reload failed, keeping the running one: ${reason}`);
    this.opts.onReloadError?.(reason);
    return reason;
  }

  /** Binds what `next` needs, swaps it in, starts its plugins, then stops `prev`'s plugins and unused listeners. */
  private async activate(next: Config, prev: Config | undefined): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    const ports = new Map<number, BlockConfig[]>();
    for (const b of next.blocks) {
      const p = b.port ?? 53;
      ports.set(p, [...(ports.get(p) ?? []), b]);
    }
    const opened: number[] = [];
    try {
      for (const [p, blocks] of ports) {
        if (this.groups.has(p)) continue;
        const handler = new QueryHandler(blocks, (err, q) => this.panic(err, q));
        const bindPort = p === 53 ? (this.opts.port ?? 0) : p;
        const listener = await listenDns(host, bindPort, () => handler, (m) => this.log('warn', m));
        this.groups.set(p, { handler, listener });
        opened.push(p);
      }
      await this.bindHttp(next.routes);
    } catch (e) {
      for (const p of opened) {
        await this.groups.get(p)?.listener.close();
        this.groups.delete(p);
      }
      throw e;
    }
    for (const [p, blocks] of ports) this.groups.get(p)?.handler.setBlocks(blocks);
    this.config = next;
    for (const p of next.plugins) {
      try {
        await p.start?.();
      } catch (e) {
        this.log('error', `plugin/${p.name}: start failed: ${errText(e)}`);
      }
    }
    this.generation++;
    const rm = reloadMetrics(this.registry);
    rm.versionInfo.reset();
    rm.versionInfo.set({ hash: 'sha512', value: next.hash }, 1);
    for (const [p, g] of [...this.groups]) {
      if (ports.has(p)) continue;
      this.groups.delete(p);
      await g.listener.close();
    }
    if (prev !== undefined) for (const p of prev.plugins) await stopPlugin(p);
  }

  private async bindHttp(routes: readonly HttpRoute[]): Promise<void> {
    const want = new Map<string, HttpRoute[]>();
    for (const r of routes) {
      const addr = this.opts.httpAddress ?? r.address;
      want.set(addr, [...(want.get(addr) ?? []), r]);
    }
    for (const [addr, rs] of want) {
      let l = this.http.get(addr);
      if (l === undefined) {
        const hp = parseHostPort(addr, 0);
        if (hp === undefined) throw new Error(`invalid HTTP address ${addr}`);
        const host = hp.host === 'localhost' ? '127.0.0.1' : hp.host;
        l = await listenHttp(host, hp.port);
        this.http.set(addr, l);
      }
      l.setRoutes(rs);
    }
    for (const [addr, l] of [...this.http]) {
      if (want.has(addr)) continue;
      this.http.delete(addr);
      await l.close();
    }
  }

  private panic(err: unknown, q: string): void {
    serverMetrics(this.registry).panics.inc();
    this.log('error', `recovered from a failure answering ${q}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  /** Sends one UDP query to the primary listener and waits for any answer (loop's probe). */
  probe(name: string, type: number): Promise<void> {
    const addr = this.address;
    if (addr === undefined) return Promise.reject(new Error('not listening'));
    const m = newMessage(Math.floor(Math.random() * 65536));
    m.rd = true;
    m.question.push({ name, type, class: Class.IN });
    const bytes = serializeMessage(m).bytes;
    return new Promise<void>((resolve, reject) => {
      const sock = dgram.createSocket(addr.host.includes(':') ? 'udp6' : 'udp4');
      const timer = setTimeout(() => { sock.close(); reject(new Error('probe timed out')); }, 2000);
      sock.on('message', () => { clearTimeout(timer); sock.close(); resolve(); });
      sock.on('error', (e) => { clearTimeout(timer); sock.close(); reject(e); });
      sock.send(bytes, addr.port, addr.host === '0.0.0.0' ? '127.0.0.1' : addr.host === '::' ? '::1' : addr.host);
    });
  }

  /** Stops listening; with `lameduck`, first reports unready and keeps serving for the health plugin's lameduck time. */
  async stop(opts: { lameduck?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.unwatch?.();
    if (this.pending !== undefined) clearTimeout(this.pending);
    await this.applying;
    const wait = opts.lameduck === true ? (this.config?.lameduckMs ?? 0) : 0;
    if (wait > 0) {
      this.log('info', `plugin/health: Going into lameduck mode for ${wait / 1000}s`);
      await new Promise((r) => setTimeout(r, wait));
    }
    for (const g of this.groups.values()) await g.listener.close();
    this.groups.clear();
    for (const l of this.http.values()) await l.close();
    this.http.clear();
    for (const p of this.config?.plugins ?? []) await stopPlugin(p);
  }
}

async function stopPlugin(p: Plugin): Promise<void> {
  try {
    await p.stop?.();
  } catch {
    // stopping is best effort
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
