// The userspace data plane's sockets: a TCP listener or UDP socket per frontend, connections
// spliced to an endpoint chosen by route.ts + pick.ts. TCP: the client is paused until an
// endpoint accepts; a failed or slow connect moves on to the next endpoint (the reason users pick
// this mode); streams are piped both ways (back-pressure) with half-close passed through. UDP:
// one upstream socket per client flow, replies sent from the frontend socket, flows closed after
// an idle timeout or as soon as their endpoint leaves the service. Counters per endpoint.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import type { Clock, Timer } from '../../clock.ts';
import type { ProxyMetrics } from '../../metrics.ts';
import type { Logger } from '../../proxier.ts';
import type { EndpointInfo, ProxyConfig, ProxyStateView } from '../../types.ts';
import { categorizeEndpoints, type Categorized } from '../../categorize.ts';
import { decide, type Frontend } from './route.ts';
import { Picker, type Candidate, type Scheduler } from './pick.ts';

/** Live counters of one endpoint of one service port. */
export interface EndpointStats {
  active: number;
  inactive: number;
  total: number;
  failures: number;
  bytesIn: number;
  bytesOut: number;
}

export interface FrontendStatus {
  readonly frontend: Frontend;
  /** 'listening', or why the socket could not be bound. */
  readonly status: string;
}

export interface UserspaceProxyOptions {
  readonly cfg: ProxyConfig;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly metrics?: ProxyMetrics;
  readonly log?: Logger;
  /** Per-endpoint connect timeout before trying the next one (ms, default 1000). */
  readonly connectTimeoutMs?: number;
  /** Connect timeout for the last endpoint left to try (ms, default 10 s): there is nothing to move on to. */
  readonly lastConnectTimeoutMs?: number;
  /** UDP flows without traffic for this long are closed (ms, default 30 s, conntrack's UDP timeout). */
  readonly udpIdleTimeoutMs?: number;
}

interface Listener {
  frontend: Frontend;
  status: string;
  close(): void;
}

interface UdpFlow {
  endpoint: string;
  svcKey: string;
  upstream: UdpSocket;
  lastSeen: number;
  pending: Buffer[] | undefined;
  closed: boolean;
}

const statKey = (svcKey: string, endpoint: string) => `${svcKey}|${endpoint}`;

export class UserspaceProxy {
  readonly #o: UserspaceProxyOptions;
  readonly #log: Logger;
  #state: ProxyStateView = { services: new Map(), endpoints: new Map() };
  readonly #listeners = new Map<string, Listener>();
  readonly #pickers = new Map<string, { picker: Picker; sticky: number }>();
  /** Categorised endpoints per service port, computed once per update. */
  readonly #cats = new Map<string, Categorized>();
  readonly #stats = new Map<string, EndpointStats>();
  /** Open connections per `<servicePortKey>|<endpoint>` (for the lc family of schedulers). */
  readonly #active = new Map<string, number>();
  readonly #udpFlows = new Map<string, Map<string, UdpFlow>>();
  #sweeper: Timer | undefined;
  #closed = false;

  constructor(o: UserspaceProxyOptions) {
    this.#o = o;
    this.#log = o.log ?? (() => undefined);
  }

  /** Brings listeners and schedulers in line with `state` and the wanted frontends. */
  async update(state: ProxyStateView, frontends: ReadonlyMap<string, Frontend>): Promise<void> {
    this.#state = state;
    for (const [id, l] of this.#listeners) {
      const want = frontends.get(id);
      if (want === undefined || want.servicePortKey !== l.frontend.servicePortKey || want.kind !== l.frontend.kind) {
        l.close();
        this.#listeners.delete(id);
      }
    }
    const opening: Promise<void>[] = [];
    for (const [id, f] of frontends) if (!this.#listeners.has(id)) opening.push(this.#open(f));
    await Promise.all(opening);
    // Schedulers follow the service's affinity settings; UDP flows to departed endpoints end now.
    this.#cats.clear();
    for (const [key, svc] of state.services) {
      this.#cats.set(key, categorizeEndpoints(state.endpoints.get(key) ?? [], svc, { nodeName: this.#o.cfg.nodeName, zone: this.#o.cfg.nodeZone }));
      const p = this.#pickers.get(key);
      if (p === undefined || p.sticky !== svc.stickyMaxAgeSeconds) {
        this.#pickers.set(key, { sticky: svc.stickyMaxAgeSeconds, picker: new Picker({ scheduler: this.#o.scheduler, affinityTimeoutSeconds: svc.stickyMaxAgeSeconds, clock: this.#o.clock }) });
      }
      const reachable = new Set((this.#cats.get(key)?.allReachable ?? []).map((e) => e.endpoint));
      this.#pickers.get(key)?.picker.forget(reachable);
    }
    for (const key of this.#pickers.keys()) if (!state.services.has(key)) this.#pickers.delete(key);
    for (const [id, flows] of this.#udpFlows) {
      const l = this.#listeners.get(id);
      const svc = l === undefined ? undefined : state.services.get(l.frontend.servicePortKey);
      const valid = new Set(svc === undefined ? [] : (this.#cats.get(svc.key)?.allReachable ?? []).map((e) => e.endpoint));
      for (const [k, fl] of flows) {
        if (!valid.has(fl.endpoint)) {
          this.#closeFlow(id, fl);
          flows.delete(k);
        }
      }
    }
    this.#startSweeper();
  }

  /** Frontends and whether each is bound. */
  frontends(): FrontendStatus[] {
    return [...this.#listeners.values()].map((l) => ({ frontend: l.frontend, status: l.status }));
  }

  /** Counters per `<frontend id>|<ip:port>` (frontend id: `TCP 10.96.0.10:53`). */
  stats(): ReadonlyMap<string, Readonly<EndpointStats>> {
    return this.#stats;
  }

  /** Closes every socket and flow. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== undefined) this.#o.clock.clearTimeout(this.#sweeper);
    for (const l of this.#listeners.values()) l.close();
    this.#listeners.clear();
    for (const [id, flows] of this.#udpFlows) for (const fl of flows.values()) this.#closeFlow(id, fl);
    this.#udpFlows.clear();
  }

  #stat(svcKey: string, endpoint: string): EndpointStats {
    const k = statKey(svcKey, endpoint);
    let s = this.#stats.get(k);
    if (s === undefined) this.#stats.set(k, (s = { active: 0, inactive: 0, total: 0, failures: 0, bytesIn: 0, bytesOut: 0 }));
    return s;
  }

  #candidates(svcKey: string, eps: readonly EndpointInfo[]): Candidate[] {
    return eps.map((e) => ({ endpoint: e.endpoint, weight: 1, active: this.#active.get(statKey(svcKey, e.endpoint)) ?? 0 }));
  }

  #addActive(svcKey: string, endpoint: string, by: number): void {
    const k = statKey(svcKey, endpoint);
    const n = (this.#active.get(k) ?? 0) + by;
    if (n <= 0) this.#active.delete(k);
    else this.#active.set(k, n);
  }

  #labels(svcKey: string, endpoint: string) {
    return { service: svcKey, endpoint };
  }

  async #open(f: Frontend): Promise<void> {
    const l: Listener = { frontend: f, status: 'binding', close: () => undefined };
    this.#listeners.set(f.id, l);
    try {
      if (f.protocol === 'TCP') {
        const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (s) => this.#onTcp(f, s));
        l.close = () => server.close();
        await listen(server, f.ip, f.port);
      } else if (f.protocol === 'UDP') {
        const sock = createSocket({ type: 'udp4' });
        l.close = () => {
          try { sock.close(); } catch { /* already closed */ }
          const flows = this.#udpFlows.get(f.id);
          for (const fl of flows?.values() ?? []) this.#closeFlow(f.id, fl);
          this.#udpFlows.delete(f.id);
        };
        sock.on('message', (msg, rinfo) => this.#onUdp(f, sock, msg, rinfo));
        await bindUdp(sock, f.ip, f.port);
      } else {
        l.status = 'SCTP is not proxied in userspace';
        return;
      }
      l.status = 'listening';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      l.status = code === 'EADDRNOTAVAIL' ? `cannot bind ${f.ip}: not a local address (the service CIDR needs a local route; root)` : `cannot bind: ${code}`;
      this.#log('warn', `userspace: ${f.id} for ${f.servicePortKey}: ${l.status}`);
    }
  }

  #onTcp(f: Frontend, client: Socket): void {
    const clientIP = (client.remoteAddress ?? '').replace(/^::ffff:/, '');
    client.on('error', () => undefined);
    const d = decide(this.#state, this.#o.cfg, f, clientIP, this.#cats.get(f.servicePortKey));
    if (d.verdict !== 'forward') {
      client.resetAndDestroy();
      return;
    }
    const svcKey = d.svc.key;
    const picker = this.#pickers.get(svcKey)?.picker;
    if (picker === undefined) {
      client.resetAndDestroy();
      return;
    }
    const tried = new Set<string>();
    const attempt = (): void => {
      if (client.destroyed) return;
      const candidates = this.#candidates(svcKey, d.endpoints);
      const c = picker.pick(clientIP, candidates, tried);
      if (c === undefined) {
        client.resetAndDestroy();
        return;
      }
      tried.add(c.endpoint);
      // The short timeout is for moving on to another endpoint; the last one left gets a long one (a
      // slow connect on a busy node is not turned into a reset).
      const last = candidates.every((x) => tried.has(x.endpoint));
      const timeoutMs = last ? this.#o.lastConnectTimeoutMs ?? 10_000 : this.#o.connectTimeoutMs ?? 1000;
      const sep = c.endpoint.lastIndexOf(':');
      const upstream = connect({ host: c.endpoint.slice(0, sep), port: Number(c.endpoint.slice(sep + 1)), allowHalfOpen: true, noDelay: true });
      const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
      timer.unref();
      const onEarlyError = (err: Error) => {
        clearTimeout(timer);
        const st = this.#stat(f.id, c.endpoint);
        st.failures++;
        this.#o.metrics?.connectFailures.inc(this.#labels(svcKey, c.endpoint));
        this.#log('debug', `userspace: connect to ${c.endpoint} for ${svcKey} failed (${(err as NodeJS.ErrnoException).code ?? err.message}), trying the next endpoint`);
        attempt();
      };
      upstream.once('error', onEarlyError);
      upstream.once('connect', () => {
        clearTimeout(timer);
        upstream.off('error', onEarlyError);
        this.#splice(f.id, svcKey, c.endpoint, client, upstream);
      });
    };
    attempt();
  }

  #splice(frontendId: string, svcKey: string, endpoint: string, client: Socket, upstream: Socket): void {
    const st = this.#stat(frontendId, endpoint);
    const labels = this.#labels(svcKey, endpoint);
    st.active++;
    st.total++;
    this.#addActive(svcKey, endpoint, 1);
    this.#o.metrics?.connections.inc(labels);
    this.#o.metrics?.activeConnections.set(st.active, labels);
    let state: 'active' | 'inactive' | 'closed' = 'active';
    const halfClosed = () => {
      if (state !== 'active') return;
      state = 'inactive';
      st.active--;
      st.inactive++;
      this.#addActive(svcKey, endpoint, -1);
      this.#o.metrics?.activeConnections.set(st.active, labels);
    };
    let closes = 0;
    const closed = () => {
      if (++closes < 2) return;
      if (state === 'active') {
        st.active--;
        this.#addActive(svcKey, endpoint, -1);
      } else if (state === 'inactive') st.inactive--;
      state = 'closed';
      st.bytesIn += client.bytesRead;
      st.bytesOut += upstream.bytesRead;
      this.#o.metrics?.activeConnections.set(st.active, labels);
      this.#o.metrics?.bytes.inc({ service: svcKey, direction: 'in' }, client.bytesRead);
      this.#o.metrics?.bytes.inc({ service: svcKey, direction: 'out' }, upstream.bytesRead);
    };
    client.once('end', halfClosed);
    upstream.once('end', halfClosed);
    client.once('close', closed);
    upstream.once('close', closed);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    // pipe() passes back-pressure both ways and ends the other side's write half on 'end'.
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  #onUdp(f: Frontend, sock: UdpSocket, msg: Buffer, rinfo: RemoteInfo): void {
    let flows = this.#udpFlows.get(f.id);
    if (flows === undefined) this.#udpFlows.set(f.id, (flows = new Map()));
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = flows.get(key);
    if (flow !== undefined && flow.closed) {
      flows.delete(key);
      flow = undefined;
    }
    if (flow === undefined) {
      const d = decide(this.#state, this.#o.cfg, f, rinfo.address, this.#cats.get(f.servicePortKey));
      if (d.verdict !== 'forward') return;
      const svcKey = d.svc.key;
      const c = this.#pickers.get(svcKey)?.picker.pick(rinfo.address, this.#candidates(svcKey, d.endpoints));
      if (c === undefined) return;
      const sep = c.endpoint.lastIndexOf(':');
      const upstream = createSocket({ type: 'udp4' });
      const fl: UdpFlow = { endpoint: c.endpoint, svcKey, upstream, lastSeen: this.#o.clock.now(), pending: [], closed: false };
      flow = fl;
      flows.set(key, fl);
      const st = this.#stat(f.id, c.endpoint);
      st.inactive++;
      st.total++;
      this.#addActive(svcKey, c.endpoint, 1);
      this.#o.metrics?.connections.inc(this.#labels(svcKey, c.endpoint));
      upstream.on('message', (reply) => {
        fl.lastSeen = this.#o.clock.now();
        st.bytesOut += reply.length;
        sock.send(reply, rinfo.port, rinfo.address);
      });
      upstream.on('error', () => {
        // ICMP port unreachable from the endpoint: forget the flow so the next datagram re-picks.
        st.failures++;
        this.#o.metrics?.connectFailures.inc(this.#labels(svcKey, c.endpoint));
        this.#closeFlow(f.id, fl);
      });
      upstream.connect(Number(c.endpoint.slice(sep + 1)), c.endpoint.slice(0, sep), () => {
        const q = fl.pending ?? [];
        fl.pending = undefined;
        for (const m of q) upstream.send(m);
      });
    }
    flow.lastSeen = this.#o.clock.now();
    this.#stat(f.id, flow.endpoint).bytesIn += msg.length;
    if (flow.pending !== undefined) flow.pending.push(msg);
    else flow.upstream.send(msg);
  }

  /** Closes a UDP flow (UDP flows count as inactive connections, as IPVS shows them). */
  #closeFlow(frontendId: string, fl: UdpFlow): void {
    if (fl.closed) return;
    fl.closed = true;
    try { fl.upstream.close(); } catch { /* already closed */ }
    const st = this.#stats.get(statKey(frontendId, fl.endpoint));
    if (st !== undefined && st.inactive > 0) st.inactive--;
    this.#addActive(fl.svcKey, fl.endpoint, -1);
  }

  #startSweeper(): void {
    if (this.#sweeper !== undefined || this.#closed) return;
    const idle = this.#o.udpIdleTimeoutMs ?? 30_000;
    const tick = () => {
      this.#sweeper = undefined;
      if (this.#closed) return;
      const now = this.#o.clock.now();
      for (const [id, flows] of this.#udpFlows) {
        for (const [k, fl] of flows) {
          if (fl.closed || now - fl.lastSeen >= idle) {
            this.#closeFlow(id, fl);
            flows.delete(k);
          }
        }
      }
      for (const { picker } of this.#pickers.values()) picker.expire();
      this.#sweeper = this.#o.clock.setTimeout(tick, Math.min(1000, idle));
    };
    this.#sweeper = this.#o.clock.setTimeout(tick, Math.min(1000, idle));
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve();
    });
  });
}

function bindUdp(sock: UdpSocket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address, port, exclusive: true }, () => {
      sock.off('error', reject);
      sock.on('error', () => undefined);
      resolve();
    });
  });
}
