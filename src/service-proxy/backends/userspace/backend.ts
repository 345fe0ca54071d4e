// The userspace data plane as a Backend: each sync recomputes the frontends to listen on
// (route.ts) and hands them with the new state to the socket layer (proxy.ts). ClusterIPs can be
// bound because the service CIDR is a local route (start.ts ensures it when asked to).
import type { Backend, EndpointCounters, SyncReport, SyncRequest } from '../../backend.ts';
import type { Clock } from '../../clock.ts';
import type { ProxyMetrics } from '../../metrics.ts';
import type { Logger } from '../../proxier.ts';
import type { ProxyConfig } from '../../types.ts';
import { desiredFrontends } from './route.ts';
import { UserspaceProxy, type FrontendStatus } from './proxy.ts';
import type { Scheduler } from './pick.ts';

export interface UserspaceBackendOptions {
  readonly cfg: ProxyConfig;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly metrics?: ProxyMetrics;
  readonly log?: Logger;
  /** Addresses NodePorts are bound on (default: the node IPs and 127.0.0.1). */
  readonly nodePortAddresses?: readonly string[];
  readonly connectTimeoutMs?: number;
  readonly udpIdleTimeoutMs?: number;
}

export class UserspaceBackend implements Backend {
  readonly mode = 'userspace' as const;
  readonly scheduler: Scheduler;
  readonly proxy: UserspaceProxy;
  readonly #o: UserspaceBackendOptions;

  constructor(o: UserspaceBackendOptions) {
    this.#o = o;
    this.scheduler = o.scheduler;
    this.proxy = new UserspaceProxy({
      cfg: o.cfg, clock: o.clock, scheduler: o.scheduler,
      ...(o.metrics === undefined ? {} : { metrics: o.metrics }),
      ...(o.log === undefined ? {} : { log: o.log }),
      ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
      ...(o.udpIdleTimeoutMs === undefined ? {} : { udpIdleTimeoutMs: o.udpIdleTimeoutMs }),
    });
  }

  /** Where NodePorts listen. */
  get nodePortAddresses(): readonly string[] {
    return this.#o.nodePortAddresses ?? [...this.#o.cfg.nodeIPs, '127.0.0.1'];
  }

  async sync(req: SyncRequest): Promise<SyncReport> {
    const frontends = desiredFrontends(req.state, req.cfg, this.nodePortAddresses);
    await this.proxy.update(req.state, frontends);
    return { full: true, counts: { frontends: frontends.size } };
  }

  async counters(): Promise<ReadonlyMap<string, EndpointCounters>> {
    return this.proxy.stats();
  }

  /** Listener states, for listings. */
  frontends(): FrontendStatus[] {
    return this.proxy.frontends();
  }

  async cleanup(): Promise<void> {
    await this.proxy.close();
  }

  async close(): Promise<void> {
    await this.proxy.close();
  }
}
