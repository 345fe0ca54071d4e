// The forward plugin (CoreDNS plugin/forward): sends queries for its zone to upstreams chosen by a
// policy (random, round_robin, sequential), skipping upstreams that failed their health checks,
// trying the next one on errors until a deadline; refuses beyond max_concurrent; retries over TCP
// when prefer_udp got a truncated reply; `failover` and `next` rcodes move on.
import type { ForwardMetrics } from '../../metrics/coredns.ts';
import type { Handler, Next, Proto, Reply, Request } from '../../plugin/plugin.ts';
import { rcodeReply } from '../../plugin/plugin.ts';
import { isSubdomain, lower } from '../../dns/names.ts';
import { Class, newMessage, Rcode, rcodeName, Type, type Message } from '../../dns/types.ts';
import type { Transport, Upstream } from './transport.ts';

export type Policy = 'random' | 'round_robin' | 'sequential';

export interface ForwardOptions {
  /** The zone forwarded (lower case FQDN). */
  from: string;
  /** Names not forwarded (`except`). */
  except: string[];
  upstreams: Upstream[];
  policy: Policy;
  forceTCP: boolean;
  preferUDP: boolean;
  /** Consecutive failed health checks before an upstream counts as down (0: never). */
  maxFails: number;
  healthCheckMs: number;
  /** Health check query: `. IN NS` by default; recursion desired unless no_rec. */
  healthCheckName: string;
  healthCheckRD: boolean;
  /** 0: unlimited. */
  maxConcurrent: number;
  /** Rcodes that make forward try another upstream. */
  failover: number[];
  /** Rcodes that hand the query to the next plugin. */
  next: number[];
  /** Per-attempt read timeout. */
  readTimeoutMs: number;
  /** Overall time for one query across attempts. */
  deadlineMs: number;
}

interface UpstreamState {
  up: Upstream;
  fails: number;
  checking: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class Forward implements Handler {
  readonly name = 'forward';
  readonly opts: ForwardOptions;
  private readonly transport: Transport;
  private readonly m: ForwardMetrics;
  private readonly random: () => number;
  private readonly ups: UpstreamState[];
  private rr = 0;
  private inflight = 0;
  private stopped = false;

  constructor(opts: ForwardOptions, transport: Transport, metrics: ForwardMetrics, random: () => number) {
    this.opts = opts;
    this.transport = transport;
    this.m = metrics;
    this.random = random;
    this.ups = opts.upstreams.map((up) => ({ up, fails: 0, checking: false, timer: undefined }));
  }

  /** True when forward handles this name (under FROM and not excepted). */
  match(name: string): boolean {
    if (!isSubdomain(name, this.opts.from)) return false;
    return !this.opts.except.some((z) => isSubdomain(name, z));
  }

  /** Upstreams in the order the policy tries them. */
  list(): UpstreamState[] {
    const l = this.ups.slice();
    switch (this.opts.policy) {
      case 'sequential':
        return l;
      case 'round_robin': {
        const i = this.rr++ % l.length;
        return [...l.slice(i), ...l.slice(0, i)];
      }
      case 'random':
        for (let i = l.length - 1; i > 0; i--) {
          const j = Math.floor(this.random() * (i + 1));
          const t = l[i] as UpstreamState;
          l[i] = l[j] as UpstreamState;
          l[j] = t;
        }
        return l;
    }
  }

  private down(u: UpstreamState): boolean {
    return this.opts.maxFails !== 0 && u.fails > this.opts.maxFails;
  }

  async serve(req: Request, next: Next): Promise<Reply> {
    if (!this.match(req.name)) return next(req);
    if (this.opts.maxConcurrent > 0 && this.inflight >= this.opts.maxConcurrent) {
      this.m.maxConcurrentRejects.inc();
      return rcodeReply(req, Rcode.REFUSED, this.name, new Error('plugin/forward: concurrent queries exceeded maximum'));
    }
    this.inflight++;
    try {
      return await this.forward(req, next);
    } finally {
      this.inflight--;
    }
  }

  private async forward(req: Request, next: Next): Promise<Reply> {
    const deadline = performance.now() + this.opts.deadlineMs;
    let list = this.list();
    let i = 0;
    let fails = 0;
    let lastErr: Error | undefined;
    let attempts = 0;
    while (performance.now() < deadline && !this.stopped) {
      if (i >= list.length) {
        // Every upstream was tried once: start over (errors only; failover answers end the loop).
        if (lastErr === undefined) break;
        list = this.list();
        i = 0;
        fails = 0;
      }
      let u = list[i++] as UpstreamState;
      if (this.down(u)) {
        fails++;
        if (fails < this.ups.length) continue;
        // All upstreams look down: the health checks may be wrong, so try a random one anyway.
        u = this.ups[Math.floor(this.random() * this.ups.length)] as UpstreamState;
        this.m.healthcheckBroken.inc();
      }
      attempts++;
      let proto: Proto = this.opts.forceTCP ? 'tcp' : this.opts.preferUDP ? 'udp' : req.proto;
      let ret: Message;
      const t0 = performance.now();
      try {
        const timeout = Math.max(1, Math.min(this.opts.readTimeoutMs, deadline - performance.now()));
        this.m.requests.inc({ to: u.up.label });
        ret = await this.transport.exchange(u.up, req.msg, proto, timeout);
        if (ret.tc && proto === 'udp' && this.opts.preferUDP) {
          proto = 'tcp';
          ret = await this.transport.exchange(u.up, req.msg, proto, Math.max(1, Math.min(this.opts.readTimeoutMs, deadline - performance.now())));
        }
      } catch (e) {
        lastErr = e instanceof Error ? e : new Error(String(e));
        if (this.opts.maxFails !== 0) this.healthCheck(u);
        continue;
      }
      const rc = rcodeName(ret.rcode);
      const secs = (performance.now() - t0) / 1000;
      this.m.responses.inc({ rcode: rc, to: u.up.label });
      this.m.requestDuration.observe({ to: u.up.label, rcode: rc }, secs);
      this.m.proxyDuration.observe({ proxy_name: 'forward', to: u.up.label, rcode: rc }, secs);
      if (!sameQuestion(req.msg, ret)) {
        return rcodeReply(req, Rcode.FORMERR, this.name, new Error(`plugin/forward: wrong reply from ${u.up.label} for id ${req.msg.id}`));
      }
      if (this.opts.failover.includes(ret.rcode) && attempts < this.ups.length) continue;
      if (this.opts.next.includes(ret.rcode)) return next(req);
      ret.id = req.msg.id;
      return { msg: ret, plugin: this.name };
    }
    const why = lastErr ?? new Error('plugin/forward: no healthy proxies');
    return rcodeReply(req, Rcode.SERVFAIL, this.name, why);
  }

  /** Starts probing an upstream (`. IN NS`) every healthCheckMs until it answers. */
  healthCheck(u: UpstreamState): void {
    if (u.checking || this.stopped) return;
    u.checking = true;
    const probe = () => {
      u.timer = undefined;
      if (this.stopped) return;
      const q = newMessage(0);
      q.rd = this.opts.healthCheckRD;
      q.question.push({ name: this.opts.healthCheckName, type: Type.NS, class: Class.IN });
      const proto: Proto = this.opts.forceTCP ? 'tcp' : 'udp';
      this.transport.exchange(u.up, q, proto, Math.max(100, Math.min(1000, this.opts.healthCheckMs * 2))).then(() => {
        u.fails = 0;
        u.checking = false;
      }, () => {
        u.fails++;
        this.m.healthcheckFailures.inc({ to: u.up.label });
        this.m.proxyHealthcheckFailures.inc({ proxy_name: 'forward', to: u.up.label });
        if (this.stopped) return;
        u.timer = setTimeout(probe, this.opts.healthCheckMs);
        u.timer.unref();
      });
    };
    probe();
  }

  /** Consecutive failed health checks of an upstream (for tests and debugging). */
  fails(label: string): number {
    return this.ups.find((u) => u.up.label === label)?.fails ?? 0;
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.ups) if (u.timer !== undefined) clearTimeout(u.timer);
    this.transport.close();
  }
}

function sameQuestion(q: Message, r: Message): boolean {
  const a = q.question[0];
  const b = r.question[0];
  if (a === undefined) return true;
  if (b === undefined) return r.rcode !== Rcode.NOERROR; // some servers drop the question on errors
  return a.type === b.type && a.class === b.class && lower(a.name) === lower(b.name);
}
