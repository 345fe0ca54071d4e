// Prometheus metrics in text exposition format 0.0.4: the names ingress-nginx users have dashboards
// for (`nginx_ingress_controller_requests`, `nginx_ingress_controller_request_duration_seconds`,
// with its label set) plus Switchboard's own. Counters and histograms keyed by a label string;
// nothing is computed until scraped.

type Labels = Readonly<Record<string, string>>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** `{a="1",b="2"}` for a fixed label order. */
export function labelString(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  let s = '{';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) s += ',';
    s += `${names[i] ?? ''}="${escapeLabel(values[i] ?? '')}"`;
  }
  return s + '}';
}

interface Metric {
  render(out: string[]): void;
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }
  /** Adds `n` for a pre-rendered label string (see labelString). */
  addRaw(labels: string, n = 1): void {
    this.values.set(labels, (this.values.get(labels) ?? 0) + n);
  }
  inc(labels: Labels = {}, n = 1): void {
    this.addRaw(labelString(this.labelNames, this.labelNames.map((l) => labels[l] ?? '')), n);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelString(this.labelNames, this.labelNames.map((l) => labels[l] ?? ''))) ?? 0;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [l, v] of this.values) out.push(`${this.name}${l} ${v}`);
  }
}

export class Gauge implements Metric {
  private readonly values = new Map<string, number>();
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }
  set(labels: Labels, v: number): void {
    this.values.set(labelString(this.labelNames, this.labelNames.map((l) => labels[l] ?? '')), v);
  }
  add(labels: Labels, n: number): void {
    const k = labelString(this.labelNames, this.labelNames.map((l) => labels[l] ?? ''));
    this.values.set(k, (this.values.get(k) ?? 0) + n);
  }
  reset(): void {
    this.values.clear();
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`);
    for (const [l, v] of this.values) out.push(`${this.name}${l} ${v}`);
  }
}

/** prometheus.DefBuckets, which ingress-nginx uses for request durations. */
export const defaultBuckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface HistogramSeries {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  private readonly series = new Map<string, HistogramSeries>();
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = defaultBuckets) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.buckets = buckets;
  }
  observeRaw(labels: string, v: number): void {
    let s = this.series.get(labels);
    if (s === undefined) {
      s = { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(labels, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (v <= (this.buckets[i] ?? Infinity)) { s.counts[i] = (s.counts[i] ?? 0) + 1; break; }
    s.sum += v;
    s.count++;
  }
  observe(labels: Labels, v: number): void {
    this.observeRaw(labelString(this.labelNames, this.labelNames.map((l) => labels[l] ?? '')), v);
  }
  count(labels: Labels = {}): number {
    return this.series.get(labelString(this.labelNames, this.labelNames.map((l) => labels[l] ?? '')))?.count ?? 0;
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const [l, s] of this.series) {
      const inner = l === '' ? '' : l.slice(1, -1) + ',';
      let cum = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cum += s.counts[i] ?? 0;
        out.push(`${this.name}_bucket{${inner}le="${this.buckets[i] ?? 0}"} ${cum}`);
      }
      out.push(`${this.name}_bucket{${inner}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum${l} ${s.sum}`);
      out.push(`${this.name}_count${l} ${s.count}`);
    }
  }
}

/** ingress-nginx's request label names, in its order. */
export const requestLabels = ['canary', 'controller_class', 'controller_namespace', 'controller_pod', 'host', 'ingress', 'method', 'namespace', 'path', 'service', 'status'] as const;

/** Every metric of the ingress data plane. */
export class IngressMetrics {
  readonly requests = new Counter('nginx_ingress_controller_requests', 'The total number of client requests', requestLabels);
  readonly requestDuration = new Histogram('nginx_ingress_controller_request_duration_seconds', 'The request processing time in seconds (from the first byte read to the last byte sent)', requestLabels);
  readonly upstreamRetries = new Counter('switchboard_ingress_upstream_retries_total', 'Requests passed to another endpoint after a connection failure', ['namespace', 'service']);
  readonly upstreamErrors = new Counter('switchboard_ingress_upstream_errors_total', 'Upstream failures by kind', ['namespace', 'service', 'kind']);
  readonly clientErrors = new Counter('switchboard_ingress_client_errors_total', 'Requests refused before routing (malformed, oversized headers, bad paths)', ['code']);
  readonly authRequests = new Counter('switchboard_ingress_auth_requests_total', 'External auth subrequests by outcome', ['namespace', 'ingress', 'result']);
  readonly syncs = new Counter('switchboard_ingress_syncs_total', 'Route table compilations', ['result']);
  readonly lastSync = new Gauge('switchboard_ingress_last_sync_timestamp_seconds', 'When the route table was last replaced');
  readonly servers = new Gauge('switchboard_ingress_servers', 'Hosts served (exact and wildcard, plus the catch-all)');
  readonly certificates = new Gauge('switchboard_ingress_ssl_certificates', 'TLS certificates loaded from Secrets');
  readonly connections = new Gauge('switchboard_ingress_connections', 'Open client connections', ['listener']);
  readonly l4Connections = new Counter('switchboard_ingress_l4_connections_total', 'TCP connections and UDP flows of tcp-services/udp-services', ['protocol', 'port', 'result']);
  readonly webSockets = new Counter('switchboard_ingress_websocket_upgrades_total', 'WebSocket (HTTP/1.1 Upgrade) requests by outcome', ['result']);

  private readonly all: readonly { render(out: string[]): void }[] = [
    this.requests, this.requestDuration, this.upstreamRetries, this.upstreamErrors, this.clientErrors, this.authRequests,
    this.syncs, this.lastSync, this.servers, this.certificates, this.connections, this.l4Connections, this.webSockets,
  ];

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    for (const m of this.all) m.render(out);
    return out.join('\n') + '\n';
  }
}
