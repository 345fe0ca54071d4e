// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
// exposition format (version 0.0.4). Pure apart from the values it holds.

type Labels = Readonly<Record<string, string>>;

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((n, i) => `${n}="${escapeValue(values[i] ?? '')}"`);
  if (extra !== '') parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

interface Metric {
  readonly name: string;
  render(): string;
}

abstract class Vec<T> implements Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly series = new Map<string, { values: string[]; v: T }>();
  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }
  protected abstract zero(): T;
  protected get(labels: Labels): T {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      s = { values, v: this.zero() };
      this.series.set(key, s);
    }
    return s.v;
  }
  /** Drops every series (for gauges recomputed from scratch). */
  reset(): void {
    this.series.clear();
  }
  abstract render(): string;
}

/** A counter series bound to its label values (no label lookup per increment). */
export interface CounterHandle {
  inc(by?: number): void;
}

/** A histogram series bound to its label values. */
export interface HistogramHandle {
  observe(v: number): void;
}

export class Counter extends Vec<{ n: number }> {
  protected zero() { return { n: 0 }; }
  /** The series for these labels, for hot paths. */
  handle(labels: Labels = {}): CounterHandle {
    const s = this.get(labels);
    return { inc: (by = 1) => { s.n += by; } };
  }
  inc(labels: Labels = {}, by = 1): void {
    this.get(labels).n += by;
  }
  value(labels: Labels = {}): number {
    return this.get(labels).n;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const s of this.series.values()) lines.push(`${this.name}${labelText(this.labelNames, s.values)} ${fmt(s.v.n)}`);
    return lines.join('\n');
  }
}

export class Gauge extends Vec<{ n: number }> {
  protected zero() { return { n: 0 }; }
  set(labels: Labels, v: number): void {
    this.get(labels).n = v;
  }
  add(labels: Labels, by: number): void {
    this.get(labels).n += by;
  }
  value(labels: Labels = {}): number {
    return this.get(labels).n;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const s of this.series.values()) lines.push(`${this.name}${labelText(this.labelNames, s.values)} ${fmt(s.v.n)}`);
    return lines.join('\n');
  }
}

export class Histogram extends Vec<{ counts: number[]; sum: number; count: number }> {
  readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    this.buckets = buckets;
  }
  protected zero() { return { counts: this.buckets.map(() => 0), sum: 0, count: 0 }; }
  observe(labels: Labels, v: number): void {
    this.add(this.get(labels), v);
  }
  /** The series for these labels, for hot paths. */
  handle(labels: Labels = {}): HistogramHandle {
    const s = this.get(labels);
    return { observe: (v) => this.add(s, v) };
  }
  private add(s: { counts: number[]; sum: number; count: number }, v: number): void {
    const b = this.buckets;
    for (let i = b.length - 1; i >= 0; i--) {
      if (v > (b[i] ?? 0)) break;
      s.counts[i] = (s.counts[i] ?? 0) + 1;
    }
    s.sum += v;
    s.count++;
  }
  count(labels: Labels = {}): number {
    return this.get(labels).count;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText(this.labelNames, s.values, `le="${fmt(b)}"`)} ${s.v.counts[i] ?? 0}`));
      lines.push(`${this.name}_bucket${labelText(this.labelNames, s.values, 'le="+Inf"')} ${s.v.count}`);
      lines.push(`${this.name}_sum${labelText(this.labelNames, s.values)} ${fmt(s.v.sum)}`);
      lines.push(`${this.name}_count${labelText(this.labelNames, s.values)} ${s.v.count}`);
    }
    return lines.join('\n');
  }
}

/** `count` buckets starting at `start`, each `factor` times the previous (Prometheus ExponentialBuckets). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  let v = start;
  for (let i = 0; i < count; i++) {
    out.push(v);
    v *= factor;
  }
  return out;
}

/** A set of metrics; a name is registered once and later calls return the same metric. */
export class Registry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors: (() => void)[] = [];

  counter(name: string, help: string, labels: readonly string[] = []): Counter {
    return this.reg(name, () => new Counter(name, help, labels), Counter);
  }
  gauge(name: string, help: string, labels: readonly string[] = []): Gauge {
    return this.reg(name, () => new Gauge(name, help, labels), Gauge);
  }
  histogram(name: string, help: string, labels: readonly string[], buckets: readonly number[]): Histogram {
    return this.reg(name, () => new Histogram(name, help, labels, buckets), Histogram);
  }
  /** Runs `fn` before each render (to refresh gauges such as cache sizes); returns its removal. */
  onCollect(fn: () => void): () => void {
    this.collectors.push(fn);
    return () => {
      const i = this.collectors.indexOf(fn);
      if (i >= 0) this.collectors.splice(i, 1);
    };
  }
  /** The exposition text, metrics in name order. */
  render(): string {
    for (const c of this.collectors) c();
    return [...this.metrics.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((m) => m.render()).join('\n') + '\n';
  }

  private reg<M extends Metric>(name: string, make: () => M, cls: abstract new (...a: never[]) => M): M {
    const old = this.metrics.get(name);
    if (old !== undefined) {
      if (!(old instanceof cls)) throw new Error(`metric ${name} registered twice with different types`);
      return old;
    }
    const m = make();
    this.metrics.set(name, m);
    return m;
  }
}
