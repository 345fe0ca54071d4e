// Prometheus metrics with kube-proxy's names (so dashboards and alerts users already have work),
// plus Switchboard's per-service connection counters. A tiny registry: counters, gauges and
// histograms with labels, rendered in the text exposition format. Pure (no server here).

type Labels = Readonly<Record<string, string>>;

function labelKey(l: Labels): string {
  const keys = Object.keys(l).sort();
  return keys.map((k) => `${k}="${(l[k] ?? '').replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`).join(',');
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  abstract lines(): string[];
}

export class Counter extends Metric {
  readonly type = 'counter';
  readonly #values = new Map<string, number>();
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  lines(): string[] {
    if (this.#values.size === 0) return [`${this.name} 0`];
    return [...this.#values].map(([k, v]) => `${this.name}${k === '' ? '' : `{${k}}`} ${v}`);
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge';
  readonly #values = new Map<string, number>();
  set(v: number, labels: Labels = {}): void {
    this.#values.set(labelKey(labels), v);
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  /** Drops every labelled value (before re-setting a fresh set). */
  reset(): void {
    this.#values.clear();
  }
  lines(): string[] {
    if (this.#values.size === 0) return [`${this.name} 0`];
    return [...this.#values].map(([k, v]) => `${this.name}${k === '' ? '' : `{${k}}`} ${v}`);
  }
}

/** kube-proxy's sync-duration buckets: exponential from 1 ms, factor 2, 15 buckets. */
export const syncBuckets = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);
/** Network-programming buckets (0.25 s … 30 min, as kube-proxy's). */
export const programmingBuckets = [0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 25, 30, 40, 50, 60, 75, 90, 105, 120, 135, 150, 165, 180, 195, 210, 225, 240, 255, 270, 285, 300, 600, 900, 1200, 1500, 1800];

export class Histogram extends Metric {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(name: string, help: string, buckets: readonly number[]) {
    super(name, help);
    this.buckets = buckets;
    this.#counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.#sum += v;
    this.#count++;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    });
  }
  get count(): number {
    return this.#count;
  }
  lines(): string[] {
    const out = this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.#counts[i] ?? 0}`);
    out.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`, `${this.name}_sum ${this.#sum}`, `${this.name}_count ${this.#count}`);
    return out;
  }
}

/** The proxy's metrics. */
export class ProxyMetrics {
  readonly syncDuration = new Histogram('kubeproxy_sync_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds', syncBuckets);
  readonly syncFullDuration = new Histogram('kubeproxy_sync_full_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for full resyncs', syncBuckets);
  readonly syncPartialDuration = new Histogram('kubeproxy_sync_partial_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for partial resyncs', syncBuckets);
  readonly lastSync = new Gauge('kubeproxy_sync_proxy_rules_last_timestamp_seconds', 'The last time proxy rules were successfully synced');
  readonly lastQueued = new Gauge('kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', 'The last time a sync of proxy rules was queued');
  readonly programming = new Histogram('kubeproxy_network_programming_duration_seconds', 'In Cluster Network Programming Latency in seconds', programmingBuckets);
  readonly endpointChangesPending = new Gauge('kubeproxy_sync_proxy_rules_endpoint_changes_pending', 'Pending proxy rules Endpoint changes');
  readonly endpointChangesTotal = new Counter('kubeproxy_sync_proxy_rules_endpoint_changes_total', 'Cumulative proxy rules Endpoint changes');
  readonly serviceChangesPending = new Gauge('kubeproxy_sync_proxy_rules_service_changes_pending', 'Pending proxy rules Service changes');
  readonly serviceChangesTotal = new Counter('kubeproxy_sync_proxy_rules_service_changes_total', 'Cumulative proxy rules Service changes');
  readonly iptablesTotal = new Gauge('kubeproxy_sync_proxy_rules_iptables_total', 'Total number of iptables rules owned by kube-proxy');
  readonly iptablesRestoreFailures = new Counter('kubeproxy_sync_proxy_rules_iptables_restore_failures_total', 'Cumulative proxy iptables restore failures');
  readonly iptablesPartialRestoreFailures = new Counter('kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total', 'Cumulative proxy iptables partial restore failures');
  readonly nftablesSyncFailures = new Counter('kubeproxy_sync_proxy_rules_nftables_sync_failures_total', 'Cumulative proxy nftables sync failures');
  readonly nftablesElements = new Gauge('kubeproxy_sync_proxy_rules_nftables_elements_total', 'Number of elements in nftables sets and maps, by set');
  readonly noLocalEndpoints = new Gauge('kubeproxy_sync_proxy_rules_no_local_endpoints_total', 'Number of services with a Local traffic policy and no endpoints');
  readonly syncFailures = new Counter('switchboard_proxy_sync_failures_total', 'Syncs that failed and were retried, by mode');
  readonly conntrackDeleted = new Counter('switchboard_proxy_conntrack_entries_deleted_total', 'Stale UDP conntrack entries deleted');
  readonly connections = new Counter('switchboard_proxy_connections_total', 'Connections (TCP) or flows (UDP) proxied to an endpoint, by service port and endpoint');
  readonly connectFailures = new Counter('switchboard_proxy_connect_failures_total', 'Failed connects to an endpoint (the userspace proxy then tries the next one)');
  readonly activeConnections = new Gauge('switchboard_proxy_active_connections', 'Open connections or flows per service port and endpoint');
  readonly bytes = new Counter('switchboard_proxy_bytes_total', 'Bytes proxied, by service port and direction');
  readonly mode = new Gauge('switchboard_proxy_mode', 'The data plane in use (1 for the active mode)');

  /** Prometheus text exposition of every metric. */
  render(): string {
    const out: string[] = [];
    for (const m of Object.values(this)) {
      if (!(m instanceof Metric)) continue;
      out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.lines());
    }
    return out.join('\n') + '\n';
  }
}
