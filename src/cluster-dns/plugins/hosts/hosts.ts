// The hosts plugin: answers A, AAAA and PTR from a hosts file plus inline entries. A name it knows
// queried for another type is NODATA; a name it does not know falls through (with `fallthrough`)
// or is SERVFAIL, because without a SOA it cannot say NXDOMAIN (CoreDNS plugin/hosts/hosts.go).
// The file is re-read when its mtime or size changes.
import type { HostsMetrics } from '../../metrics/coredns.ts';
import { fallsThrough, type Fallthrough } from '../../plugin/fallthrough.ts';
import type { Handler, Next, Reply, Request } from '../../plugin/plugin.ts';
import { rcodeReply } from '../../plugin/plugin.ts';
import { addressFromReverse, matchZone } from '../../dns/names.ts';
import { Class, Rcode, replyTo, Type, type RR } from '../../dns/types.ts';
import { emptyHosts, lookupHost, parseHosts, type HostsMap } from './hostsfile.ts';

export interface HostsOptions {
  /** Path of the hosts file ('' for none). */
  path: string;
  zones: string[];
  /** Inline entries, one hosts line each. */
  inline: string[];
  ttl: number;
  noReverse: boolean;
  reloadMs: number;
  fallthrough: Fallthrough;
  /** Pass types other than A/AAAA/PTR down the chain instead of answering NODATA. */
  fallthroughUnsupported: boolean;
}

export interface FileAccess {
  readFile(path: string): string;
  statFile(path: string): { mtimeMs: number; size: number } | undefined;
  log(level: 'warn' | 'info', msg: string): void;
  now(): number;
}

export class Hosts implements Handler {
  readonly name = 'hosts';
  readonly opts: HostsOptions;
  private readonly fs: FileAccess;
  private readonly metrics: HostsMetrics | undefined;
  private fileMap: HostsMap = emptyHosts();
  private readonly inline: HostsMap;
  private stamp = '';
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(opts: HostsOptions, fs: FileAccess, metrics?: HostsMetrics) {
    this.opts = opts;
    this.fs = fs;
    this.metrics = metrics;
    this.inline = parseHosts(opts.inline.join('\n'), opts.zones);
    this.readFile();
  }

  /** Re-reads the file when it changed (mtime or size); returns true when it did. */
  readFile(): boolean {
    if (this.opts.path === '') return false;
    const st = this.fs.statFile(this.opts.path);
    const stamp = st === undefined ? 'missing' : `${st.mtimeMs}/${st.size}`;
    if (stamp === this.stamp) return false;
    this.stamp = stamp;
    if (st === undefined) {
      this.fs.log('warn', `plugin/hosts: File does not exist: ${this.opts.path}`);
      this.fileMap = emptyHosts();
    } else {
      try {
        this.fileMap = parseHosts(this.fs.readFile(this.opts.path), this.opts.zones);
      } catch (e) {
        this.fs.log('warn', `plugin/hosts: reading ${this.opts.path}: ${e instanceof Error ? e.message : String(e)}`);
        this.fileMap = emptyHosts();
      }
    }
    this.metrics?.entries.set({}, this.fileMap.size + this.inline.size);
    this.metrics?.reloadTimestamp.set({}, this.fs.now() / 1000);
    return true;
  }

  start(): void {
    if (this.opts.path === '' || this.opts.reloadMs <= 0) return;
    this.timer = setInterval(() => this.readFile(), this.opts.reloadMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private addrs(family: 4 | 6, name: string): string[] {
    const a = lookupHost(this.fileMap, family, name);
    const b = lookupHost(this.inline, family, name);
    if (b.length === 0) return a;
    if (a.length === 0) return b;
    return [...new Set([...a, ...b])];
  }

  private names(ip: string): string[] {
    if (this.opts.noReverse || ip === '') return [];
    return [...new Set([...(this.fileMap.addr.get(ip) ?? []), ...(this.inline.addr.get(ip) ?? [])])];
  }

  async serve(req: Request, next: Next): Promise<Reply> {
    const zone = matchZone(this.opts.zones, req.name);
    if (zone === undefined && req.qtype !== Type.PTR) return next(req);
    let answers: RR[] = [];
    const base = { name: req.qname, class: Class.IN, ttl: this.opts.ttl };
    switch (req.qtype) {
      case Type.PTR: {
        const names = this.names(addressFromReverse(req.name));
        if (names.length === 0) return next(req);
        answers = names.map((t) => ({ ...base, type: 'PTR', target: t }));
        break;
      }
      case Type.A:
        answers = this.addrs(4, req.name).map((a) => ({ ...base, type: 'A', address: a }));
        break;
      case Type.AAAA:
        answers = this.addrs(6, req.name).map((a) => ({ ...base, type: 'AAAA', address: a }));
        break;
      default:
        if (this.opts.fallthroughUnsupported) return next(req);
    }
    if (answers.length === 0 && this.addrs(4, req.name).length === 0 && this.addrs(6, req.name).length === 0) {
      if (fallsThrough(this.opts.fallthrough, req.name)) return next(req);
      return rcodeReply(req, Rcode.SERVFAIL, this.name);
    }
    const m = replyTo(req.msg);
    m.aa = true;
    m.answer = answers;
    return { msg: m, plugin: this.name };
  }
}
