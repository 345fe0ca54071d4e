// The sync loop: Service and EndpointSlice events feed the change trackers; the bounded-frequency
// runner calls `syncOnce`, which applies the pending changes to the state, asks the backend for a
// partial (changed services only) or full sync, records kube-proxy's metrics, and then reconciles
// stale UDP conntrack entries. Nothing is programmed before both Services and EndpointSlices have
// synced once, so a restart never installs a half-known state. Errors are logged and retried,
// never thrown outward.
import type { EndpointSlice, Service } from '../api/types.ts';
import type { Backend } from './backend.ts';
import { EndpointSliceChangeTracker, ProxyState, ServiceChangeTracker } from './changes.ts';
import type { Clock } from './clock.ts';
import { realClock } from './clock.ts';
import type { ConntrackClient } from './conntrack.ts';
import { reconcileConntrack } from './conntrack.ts';
import { ProxyMetrics } from './metrics.ts';
import { BoundedFrequencyRunner } from './runner.ts';
import type { ProxyConfig, ProxyStateView } from './types.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, msg: string) => void;

export interface ProxierOptions {
  readonly cfg: ProxyConfig;
  readonly backend: Backend;
  readonly clock?: Clock;
  /** Minimum time between syncs (kube-proxy minSyncPeriod, default 1 s). */
  readonly minSyncPeriodMs?: number;
  /** Periodic sync (kube-proxy syncPeriod, default 30 s): canary check, conntrack reconcile. */
  readonly syncPeriodMs?: number;
  /** A full rewrite at least this often (kube-proxy's FullSyncPeriod, default 1 h). */
  readonly fullSyncPeriodMs?: number;
  readonly burstSyncs?: number;
  readonly metrics?: ProxyMetrics;
  /** Stale UDP conntrack clean-up after kernel syncs (omit for userspace). */
  readonly conntrack?: ConntrackClient;
  readonly log?: Logger;
  /** Called after every successful sync with the state just programmed (health check ports). */
  readonly onSynced?: (state: ProxyStateView) => void;
}

/** Runs one data plane from Service/EndpointSlice events. */
export class Proxier {
  readonly services = new ServiceChangeTracker();
  readonly endpointSlices: EndpointSliceChangeTracker;
  readonly metrics: ProxyMetrics;
  readonly backend: Backend;
  readonly #state = new ProxyState();
  readonly #o: ProxierOptions;
  readonly #clock: Clock;
  readonly #runner: BoundedFrequencyRunner;
  readonly #log: Logger;
  readonly #dirty = new Set<string>();
  #needFull = true;
  #lastFull = 0;
  #lastHealthCheck = 0;
  #started = false;
  #syncs = 0;
  #lastError: string | undefined;

  constructor(o: ProxierOptions) {
    this.#o = o;
    this.backend = o.backend;
    this.#clock = o.clock ?? realClock;
    this.#log = o.log ?? (() => undefined);
    this.metrics = o.metrics ?? new ProxyMetrics();
    this.endpointSlices = new EndpointSliceChangeTracker(o.cfg.nodeName);
    this.#runner = new BoundedFrequencyRunner({
      name: `sync-proxy-rules-${o.backend.mode}`,
      clock: this.#clock,
      minIntervalMs: o.minSyncPeriodMs ?? 1000,
      maxIntervalMs: o.syncPeriodMs ?? 30_000,
      burst: o.burstSyncs ?? 2,
      fn: () => this.syncOnce(),
      onError: (err, n) => {
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.metrics.syncFailures.inc({ mode: o.backend.mode });
        this.#log(n > 3 ? 'error' : 'warn', `${o.backend.mode} sync failed (${n} in a row), retrying: ${this.#lastError}`);
      },
    });
  }

  /** The applied state (what the data plane was last asked to hold). */
  get state(): ProxyStateView {
    return this.#state;
  }

  get syncs(): number {
    return this.#syncs;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  get cfg(): ProxyConfig {
    return this.#o.cfg;
  }

  /** A Service event: add (previous undefined), update, or delete (current undefined). */
  onService(previous: Service | undefined, current: Service | undefined): void {
    if (this.services.update(previous, current)) this.#queue();
    this.metrics.serviceChangesTotal.inc();
    this.metrics.serviceChangesPending.set(this.services.pending());
  }

  /** An EndpointSlice event; `removed` for a delete. */
  onEndpointSlice(slice: EndpointSlice, removed = false): void {
    if (this.endpointSlices.update(slice, removed)) this.#queue();
    this.metrics.endpointChangesTotal.inc();
    this.metrics.endpointChangesPending.set(this.endpointSlices.pending());
  }

  /** Both initial lists are in: the first sync may run. */
  setSynced(): void {
    this.services.setSynced();
    this.endpointSlices.setSynced();
    if (!this.#started) {
      this.#started = true;
      this.#runner.start();
    }
  }

  /** Forces a full resync soon (mode switch, node change, canary gone). */
  requestFullSync(): void {
    this.#needFull = true;
    this.#queue();
  }

  /** Resolves when no sync is running or queued. */
  whenIdle(): Promise<void> {
    return this.#runner.whenIdle();
  }

  /** Stops the loop; the data plane keeps its state until `backend.cleanup()`. */
  stop(): void {
    this.#runner.stop();
  }

  #queue(): void {
    this.metrics.lastQueued.set(this.#clock.now() / 1000);
    if (this.#started) this.#runner.run();
  }

  /** One sync (the runner's work function). Throws on failure so the runner retries. */
  async syncOnce(): Promise<void> {
    if (!this.services.synced || !this.endpointSlices.synced) return;
    const t0 = performance.now();
    const result = this.#state.apply(this.services, this.endpointSlices);
    this.metrics.serviceChangesPending.set(0);
    this.metrics.endpointChangesPending.set(0);
    for (const s of result.changedServices) this.#dirty.add(s);
    const now = this.#clock.now();
    let full = this.#needFull || now - this.#lastFull >= (this.#o.fullSyncPeriodMs ?? 3_600_000);
    // The canary is checked once per syncPeriod (as kube-proxy does), not on every partial sync.
    if (!full && this.backend.healthy !== undefined && now - this.#lastHealthCheck >= (this.#o.syncPeriodMs ?? 30_000)) {
      this.#lastHealthCheck = now;
      if (!(await this.backend.healthy())) {
        this.#log('warn', `${this.backend.mode}: our rules are gone (flushed by another tool?), doing a full resync`);
        full = true;
      }
    }
    let report;
    try {
      report = await this.backend.sync({ state: this.#state, cfg: this.#o.cfg, changedServices: full ? undefined : new Set(this.#dirty) });
    } catch (err) {
      this.#needFull = true;
      if (this.backend.mode === 'iptables') {
        this.metrics.iptablesRestoreFailures.inc();
        if ((err as { partial?: boolean }).partial === true) this.metrics.iptablesPartialRestoreFailures.inc();
      } else if (this.backend.mode === 'nftables') this.metrics.nftablesSyncFailures.inc();
      throw err;
    }
    this.#dirty.clear();
    this.#needFull = false;
    if (report.full) this.#lastFull = this.#lastHealthCheck = now;
    this.#syncs++;
    this.#lastError = undefined;
    const secs = (performance.now() - t0) / 1000;
    this.metrics.syncDuration.observe(secs);
    (report.full ? this.metrics.syncFullDuration : this.metrics.syncPartialDuration).observe(secs);
    this.metrics.lastSync.set(this.#clock.now() / 1000);
    for (const t of result.triggerTimes) this.metrics.programming.observe(Math.max(0, this.#clock.now() - t) / 1000);
    if (report.counts !== undefined) {
      for (const [table, n] of Object.entries(report.counts)) {
        if (this.backend.mode === 'iptables') this.metrics.iptablesTotal.set(n, { table });
        else if (this.backend.mode === 'nftables') this.metrics.nftablesElements.set(n, { set: table });
      }
    }
    if (report.noLocalEndpoints !== undefined) {
      this.metrics.noLocalEndpoints.set(report.noLocalEndpoints.internal, { traffic_policy: 'internal' });
      this.metrics.noLocalEndpoints.set(report.noLocalEndpoints.external, { traffic_policy: 'external' });
    }
    this.#o.onSynced?.(this.#state);
    this.#log('debug', `${this.backend.mode} ${report.full ? 'full' : 'partial'} sync of ${this.#state.services.size} service ports in ${(secs * 1000).toFixed(1)}ms`);
    if (this.#o.conntrack !== undefined) {
      try {
        const n = await reconcileConntrack(this.#o.conntrack, this.#state, this.#o.cfg);
        if (n > 0) {
          this.metrics.conntrackDeleted.inc({}, n);
          this.#log('info', `deleted ${n} stale UDP conntrack entries`);
        }
      } catch (err) {
        this.#log('warn', `conntrack clean-up failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
