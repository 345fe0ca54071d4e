// The sync loop (kube-proxy's bounded-frequency runner, in small): changes from the source schedule a
// sync after a short debounce and no sooner than `minIntervalMs` after the previous one; a periodic
// resync and a retry after errors keep it honest. Each sync compiles the whole table from a snapshot
// (pure), then applies it: data plane (routes, certificates, L4 ports), Ingress statuses, Events.
// Nothing is applied or written before every input has synced once, so a restart never serves or
// publishes a partial table. The loop never throws: it logs, counts, retries.
import type { Ingress } from '../api/types.ts';
import { compileAll, type FullCompileOptions, type FullCompileResult } from './compile-all.ts';
import type { Diagnostic } from './route-table/types.ts';
import type { GatewayStatusWriter } from './status/gateway-writer.ts';
import type { DataPlane } from './data-plane/server.ts';
import type { IngressSource } from './source.ts';
import type { EventRecorder, StatusWriter } from './status/writer.ts';
import type { LoadBalancerEntry } from './status/status.ts';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

export interface ControllerOptions {
  source: IngressSource;
  dataPlane: DataPlane;
  compile?: FullCompileOptions;
  status?: { writer: StatusWriter; entries: readonly LoadBalancerEntry[] };
  /** Gateway API status (GatewayClass, Gateway, HTTPRoute). */
  gatewayStatus?: GatewayStatusWriter;
  events?: EventRecorder;
  /** Wait after a change before syncing, to merge bursts (default 20 ms). */
  debounceMs?: number;
  /** Least time between two syncs (default 100 ms). */
  minIntervalMs?: number;
  /** Full resync period (default 60 s). */
  resyncMs?: number;
  /** Retry after a failed sync (default 1 s). */
  retryMs?: number;
  log?: Log;
}

export interface SyncStats {
  syncs: number;
  errors: number;
  lastDurationMs: number;
  last: FullCompileResult | undefined;
}

export class IngressController {
  readonly stats: SyncStats = { syncs: 0, errors: 0, lastDurationMs: 0, last: undefined };
  private readonly o: ControllerOptions;
  private timer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private lastStart = 0;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private firstSync: { promise: Promise<void>; resolve: () => void };

  constructor(o: ControllerOptions) {
    this.o = o;
    let resolve = () => {};
    const promise = new Promise<void>((r) => { resolve = r; });
    this.firstSync = { promise, resolve };
  }

  /** Starts watching the source and syncing. */
  start(): void {
    this.unsubscribe = this.o.source.onChange(() => this.schedule(this.o.debounceMs ?? 20));
    this.o.source.start();
    this.schedule(0);
    const resync = () => {
      this.resyncTimer = setTimeout(() => {
        this.schedule(0);
        resync();
      }, this.o.resyncMs ?? 60_000);
      this.resyncTimer.unref();
    };
    resync();
  }

  /** Resolves after the first successful sync (the data plane serves the cluster's routes). */
  waitForFirstSync(): Promise<void> {
    return this.firstSync.promise;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.dirty = true;
      return;
    }
    const at = Math.max(Date.now() + delayMs, this.lastStart + (this.o.minIntervalMs ?? 100));
    const wait = Math.max(0, at - Date.now());
    if (this.timer !== undefined) return; // one pending sync covers every change so far
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.sync().finally(() => {
        this.running = undefined;
        if (this.dirty) {
          this.dirty = false;
          this.schedule(0);
        }
      });
    }, wait);
    this.timer.unref();
  }

  /** One sync now (tests); concurrent calls share the running one. */
  async syncNow(): Promise<void> {
    if (this.running !== undefined) await this.running;
    this.running = this.sync();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    const log = this.o.log ?? (() => {});
    if (!this.o.source.hasSynced()) {
      // Poll until every informer has listed; never serve a partial table.
      setTimeout(() => this.schedule(0), 100).unref();
      return;
    }
    this.lastStart = Date.now();
    const t0 = performance.now();
    try {
      const state = this.o.source.snapshot();
      const dp = this.o.dataPlane;
      const result = compileAll(state, { ...this.o.compile, reservedPorts: [...(this.o.compile?.reservedPorts ?? []), dp.httpAddress.port, dp.httpsAddress.port] });
      const applied = await dp.apply(result.table);
      const diags: Diagnostic[] = [...result.diagnostics];
      for (const e of applied.certificateErrors) {
        const [ns = '', name = ''] = e.secret.split('/');
        diags.push({ object: { kind: 'Secret', namespace: ns, name }, type: 'Warning', reason: 'InvalidTLS', message: `certificate could not be loaded: ${e.error}` });
      }
      for (const e of applied.l4Errors) {
        const ref = (e.protocol === 'TCP' ? this.o.compile?.tcpServicesConfigMap ?? 'ingress-nginx/tcp-services' : this.o.compile?.udpServicesConfigMap ?? 'ingress-nginx/udp-services');
        const [ns = '', name = ''] = ref.split('/');
        diags.push({ object: { kind: 'ConfigMap', namespace: ns, name }, type: 'Warning', reason: 'PortUnavailable', message: `${e.protocol} port ${e.port} cannot be bound: ${e.error}` });
      }
      this.stats.last = result;
      this.stats.syncs++;
      this.o.dataPlane.metrics.syncs.inc({ result: 'ok' });
      this.firstSync.resolve();
      if (this.o.status !== undefined) await this.o.status.writer.reconcile(state.ingresses, result.served, this.o.status.entries);
      if (this.o.gatewayStatus !== undefined && result.gateway !== undefined) {
        await this.o.gatewayStatus.reconcile(result.gateway.statuses, { gatewayClasses: state.gatewayClasses ?? [], gateways: state.gateways ?? [], httpRoutes: state.httpRoutes ?? [] });
      }
      if (this.o.events !== undefined) {
        const byKey = new Map<string, Ingress>(state.ingresses.map((i) => [`${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}`, i]));
        const served = result.served.map((ref) => ({ ref, generation: byKey.get(`${ref.namespace}/${ref.name}`)?.metadata.generation ?? 0 }));
        await this.o.events.record(diags, served);
      }
      this.stats.lastDurationMs = performance.now() - t0;
      log('debug', `ingress sync: ${result.served.length} ingresses, ${result.table.hosts.size + result.table.wildcards.size} hosts, ${result.diagnostics.length} diagnostics in ${this.stats.lastDurationMs.toFixed(1)}ms`);
    } catch (err) {
      this.stats.errors++;
      this.o.dataPlane.metrics.syncs.inc({ result: 'error' });
      log('error', `ingress sync failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      setTimeout(() => this.schedule(0), this.o.retryMs ?? 1_000).unref();
    }
  }

  /** Stops syncing (in-flight sync finishes first). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.resyncTimer !== undefined) clearTimeout(this.resyncTimer);
    this.unsubscribe?.();
    if (this.running !== undefined) await this.running;
  }
}
