// The cache plugin (CoreDNS plugin/cache): keeps answers from the plugins after it for
// min(message TTL, cap) seconds, clamped below by a minimum TTL — success and denial (NXDOMAIN,
// NODATA) separately, SERVFAIL for a short fixed time — and serves them with TTLs counting down.
// Prefetch refreshes popular items before they expire; serve_stale answers from expired items.
// The clock is injected, so TTL rules are tested without waiting.
import type { CacheMetrics } from '../../metrics/coredns.ts';
import type { CounterHandle } from '../../metrics/registry.ts';
import type { Handler, Next, Reply, Request } from '../../plugin/plugin.ts';
import { isSubdomain, lower, matchZone } from '../../dns/names.ts';
import { minimalTTL, typify } from '../../dns/response.ts';
import { Rcode, type Message, type RR } from '../../dns/types.ts';

export interface CacheClass {
  capacity: number;
  /** Cap in seconds. */
  maxTTL: number;
  /** Floor in seconds. */
  minTTL: number;
}

export interface CacheOptions {
  zones: string[];
  success: CacheClass;
  denial: CacheClass;
  /** Seconds a SERVFAIL is kept (0: never). */
  servfailTTL: number;
  prefetch: { amount: number; windowMs: number; percentage: number } | undefined;
  serveStale: { durationMs: number; verify: boolean } | undefined;
  /** Zones where success / denial answers are not cached (kubeadm: cluster.local). */
  disable: { success: string[]; denial: string[] };
  keepTTL: boolean;
}

/** CoreDNS's defaults (`cache` with no arguments). */
export function defaultCacheOptions(zones: string[]): CacheOptions {
  return {
    zones,
    success: { capacity: 9984, maxTTL: 3600, minTTL: 5 },
    denial: { capacity: 9984, maxTTL: 1800, minTTL: 5 },
    servfailTTL: 5,
    prefetch: undefined,
    serveStale: undefined,
    disable: { success: [], denial: [] },
    keepTTL: false,
  };
}

type Kind = 'success' | 'denial';

interface Item {
  key: CacheKey;
  msg: Message;
  kind: Kind;
  storedAt: number;
  /** Seconds the item is fresh. */
  ttl: number;
  /** Times of the latest hits (at most the prefetch amount), for prefetch's frequency. */
  hits: number[];
  prefetching: boolean;
}

/** The cache key: type, DO and CD (the bucket) and the lower-case name — the fields CoreDNS hashes. */
export interface CacheKey {
  bucket: number;
  name: string;
}

export function cacheKey(req: Pick<Request, 'qtype' | 'do' | 'name' | 'msg'>): CacheKey {
  // Kept apart rather than joined into one string: req.name is looked up as it is, so its hash is
  // computed once, and no new key string is built per query.
  return { bucket: req.qtype * 4 + (req.do ? 2 : 0) + (req.msg.cd ? 1 : 0), name: req.name };
}

function clamp(ttl: number, c: CacheClass): number {
  if (ttl < c.minTTL) return c.minTTL;
  if (ttl > c.maxTTL) return c.maxTTL;
  return ttl;
}

function withTTL(rrs: RR[], ttl: number, keep: boolean): RR[] {
  return keep ? rrs.slice() : rrs.map((r) => ({ ...r, ttl }));
}

export class Cache implements Handler {
  readonly name = 'cache';
  readonly opts: CacheOptions;
  private readonly now: () => number;
  private readonly m: CacheMetrics;
  private readonly labels: { server: string; zones: string; view: string };
  private readonly c: { requests: CounterHandle; misses: CounterHandle; hitSuccess: CounterHandle; hitDenial: CounterHandle };
  private readonly allZones: boolean;
  /** bucket → name → entry. */
  private readonly index = new Map<number, Map<string, Item>>();
  /** Entries per kind in age order: eviction takes the first. */
  private readonly order = { success: new Set<Item>(), denial: new Set<Item>() };

  constructor(opts: CacheOptions, now: () => number, metrics: CacheMetrics, server: string) {
    this.opts = opts;
    this.now = now;
    this.m = metrics;
    this.labels = { server, zones: opts.zones.join(','), view: '' };
    this.c = {
      requests: metrics.requests.handle(this.labels),
      misses: metrics.misses.handle(this.labels),
      hitSuccess: metrics.hits.handle({ ...this.labels, type: 'success' }),
      hitDenial: metrics.hits.handle({ ...this.labels, type: 'denial' }),
    };
    this.allZones = opts.zones.includes('.');
  }

  /** Entries per kind (for the coredns_cache_entries gauge). */
  size(kind: Kind): number {
    return this.order[kind].size;
  }

  async serve(req: Request, next: Next): Promise<Reply> {
    if (!this.allZones && matchZone(this.opts.zones, req.name) === undefined) return next(req);
    this.c.requests.inc();
    const key = cacheKey(req);
    const now = this.now();
    const item = this.index.get(key.bucket)?.get(key.name);
    if (item !== undefined) {
      const age = Math.floor((now - item.storedAt) / 1000);
      if (age < item.ttl) {
        (item.kind === 'success' ? this.c.hitSuccess : this.c.hitDenial).inc();
        this.maybePrefetch(req, next, key, item, now, item.ttl - age);
        return { msg: this.toMsg(req, item, item.ttl - age), plugin: this.name };
      }
      const stale = this.opts.serveStale;
      if (stale !== undefined && (now - item.storedAt) < item.ttl * 1000 + stale.durationMs) {
        if (!stale.verify) {
          this.m.servedStale.inc(this.labels);
          this.refresh(req, next, key);
          return { msg: this.toMsg(req, item, 0), plugin: this.name };
        }
        const fresh = await next(req);
        if (fresh.msg.rcode === Rcode.SERVFAIL || fresh.error !== undefined) {
          this.m.servedStale.inc(this.labels);
          return { msg: this.toMsg(req, item, 0), plugin: this.name };
        }
        return { ...fresh, msg: this.store(key, req, fresh.msg) };
      }
      this.delete(key);
    }
    this.c.misses.inc();
    const r = await next(req);
    return { ...r, msg: this.store(key, req, r.msg) };
  }

  /** Stores a reply when it may be cached; returns the reply with TTLs capped as served. */
  store(key: CacheKey, req: Pick<Request, 'name'>, msg: Message): Message {
    if (msg.tc) return msg;
    const t = typify(msg);
    let kind: Kind;
    let ttl: number;
    if (t === 'NoError' || t === 'Delegation') {
      if (this.opts.disable.success.some((z) => isSubdomain(req.name, z))) return msg;
      kind = 'success';
      ttl = clamp(minimalTTL(msg, t), this.opts.success);
    } else if (t === 'NameError' || t === 'NoData') {
      if (this.opts.disable.denial.some((z) => isSubdomain(req.name, z))) return msg;
      kind = 'denial';
      ttl = clamp(minimalTTL(msg, t), this.opts.denial);
    } else if (t === 'ServerError' && msg.rcode === Rcode.SERVFAIL && this.opts.servfailTTL > 0) {
      kind = 'denial';
      ttl = this.opts.servfailTTL;
    } else {
      return msg;
    }
    if (ttl <= 0) return msg;
    const cap = kind === 'success' ? this.opts.success.capacity : this.opts.denial.capacity;
    this.delete(key);
    const order = this.order[kind];
    if (order.size >= cap) {
      const oldest = order.values().next();
      if (oldest.done !== true) {
        this.delete(oldest.value.key);
        this.m.evictions.inc({ ...this.labels, type: kind });
      }
    }
    const served: Message = {
      ...msg,
      answer: withTTL(msg.answer, ttl, this.opts.keepTTL),
      authority: withTTL(msg.authority, ttl, this.opts.keepTTL),
      additional: withTTL(msg.additional, ttl, this.opts.keepTTL),
    };
    const item: Item = { key, msg: served, kind, storedAt: this.now(), ttl, hits: [], prefetching: false };
    let names = this.index.get(key.bucket);
    if (names === undefined) {
      names = new Map();
      this.index.set(key.bucket, names);
    }
    names.set(key.name, item);
    order.add(item);
    return served;
  }

  private delete(key: CacheKey): void {
    const names = this.index.get(key.bucket);
    const it = names?.get(key.name);
    if (it === undefined) return;
    names?.delete(key.name);
    this.order[it.kind].delete(it);
  }

  /** The cached message for this request: its id and question, TTLs counted down, owner case restored. */
  private toMsg(req: Request, item: Item, ttl: number): Message {
    const q = item.msg;
    const fix = (rrs: RR[]): RR[] => rrs.map((r) => {
      const name = lower(r.name) === req.name ? req.qname : r.name;
      return { ...r, name, ttl: this.opts.keepTTL ? r.ttl : ttl };
    });
    return {
      ...q,
      id: req.msg.id,
      rd: req.msg.rd,
      question: req.msg.question.slice(0, 1),
      answer: fix(q.answer),
      authority: fix(q.authority),
      additional: fix(q.additional),
      edns: req.msg.edns === undefined ? undefined : { udpSize: Math.max(512, req.msg.edns.udpSize), version: 0, do: req.msg.edns.do, options: [] },
    };
  }

  private maybePrefetch(req: Request, next: Next, key: CacheKey, item: Item, now: number, remaining: number): void {
    const p = this.opts.prefetch;
    if (p === undefined || item.prefetching) return;
    item.hits.push(now);
    if (item.hits.length > p.amount) item.hits.shift();
    // AMOUNT hits within the last DURATION make the item popular.
    if (item.hits.length < p.amount || now - (item.hits[0] ?? 0) > p.windowMs) return;
    if (remaining > (item.ttl * p.percentage) / 100) return;
    item.prefetching = true;
    this.m.prefetch.inc(this.labels);
    this.refresh(req, next, key);
  }

  /** Re-asks the next plugin in the background and stores the answer. */
  private refresh(req: Request, next: Next, key: CacheKey): void {
    const bg: Request = { ...req, internal: true, onWritten: [] };
    next(bg).then((r) => {
      if (r.msg.rcode === Rcode.SERVFAIL && this.opts.serveStale !== undefined) return;
      this.store(key, req, r.msg);
    }, () => undefined);
  }
}
