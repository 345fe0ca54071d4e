// Per-client limits: source ranges (allowlist/denylist-source-range → 403) and ingress-nginx's
// limit-rps / limit-rpm / limit-connections (nginx limit_req with burst = limit × multiplier and
// nodelay, limit_conn → 503). Limits are per location and client IP, per controller process (as
// ingress-nginx's are per replica). Takes a clock so tests need no waiting.
import { BlockList, isIP } from 'node:net';
import type { RateLimitConfig } from '../route-table/types.ts';

/** Client IPs as nginx sees them: IPv4-mapped IPv6 addresses become IPv4. */
export function normalizeClientIP(ip: string | undefined): string {
  if (ip === undefined) return '';
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) return ip.slice(7);
  return ip;
}

const blockLists = new WeakMap<readonly string[], BlockList>();

/** A BlockList for a CIDR list (cached per list object; lists come from the immutable route table). */
export function blockListOf(cidrs: readonly string[]): BlockList {
  let bl = blockLists.get(cidrs);
  if (bl === undefined) {
    bl = new BlockList();
    for (const c of cidrs) {
      const [ip = '', bits] = c.split('/');
      const fam = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) bl.addAddress(ip, fam);
      else bl.addSubnet(ip, Number(bits), fam);
    }
    blockLists.set(cidrs, bl);
  }
  return bl;
}

/** True when `ip` is in one of the CIDRs. */
export function inRanges(cidrs: readonly string[], ip: string): boolean {
  const fam = isIP(ip);
  if (fam === 0) return false;
  return blockListOf(cidrs).check(ip, fam === 6 ? 'ipv6' : 'ipv4');
}

/** allow/deny as nginx's access module: deny wins, then an allowlist admits only its ranges. */
export function sourceAllowed(ip: string, allow: readonly string[] | undefined, deny: readonly string[] | undefined): boolean {
  if (deny !== undefined && deny.length > 0 && inRanges(deny, ip)) return false;
  if (allow !== undefined && !inRanges(allow, ip)) return false;
  return true;
}

interface Bucket {
  /** Theoretical arrival time (GCRA), ms. */
  tat: number;
}

/**
 * One limit_req zone: `rate` requests per `periodMs`, `burst` extra requests admitted at once
 * (nodelay). Generic cell rate algorithm: each request moves the client's theoretical arrival
 * time on by one interval; a request is refused when that time is more than `burst` intervals ahead.
 */
export class RequestRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly interval: number;
  private readonly tolerance: number;
  private readonly now: () => number;
  constructor(rate: number, periodMs: number, burst: number, now: () => number = Date.now) {
    this.interval = periodMs / rate;
    this.tolerance = burst * this.interval;
    this.now = now;
  }
  /** True when the request is admitted. */
  take(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size > 100_000) this.sweep(t);
      b = { tat: t };
      this.buckets.set(key, b);
    }
    const tat = Math.max(b.tat, t);
    if (tat - t > this.tolerance) return false;
    b.tat = tat + this.interval;
    return true;
  }
  private sweep(t: number): void {
    for (const [k, b] of this.buckets) if (b.tat <= t) this.buckets.delete(k);
  }
}

/** The limits of one location (rate zones and concurrent requests per client). */
export class LocationLimiter {
  private readonly rps: RequestRateLimiter | undefined;
  private readonly rpm: RequestRateLimiter | undefined;
  private readonly active = new Map<string, number>();
  readonly config: RateLimitConfig;
  constructor(cfg: RateLimitConfig, now: () => number = Date.now) {
    this.config = cfg;
    if (cfg.rps > 0) this.rps = new RequestRateLimiter(cfg.rps, 1000, cfg.rps * cfg.burstMultiplier, now);
    if (cfg.rpm > 0) this.rpm = new RequestRateLimiter(cfg.rpm, 60_000, cfg.rpm * cfg.burstMultiplier, now);
  }
  /**
   * Admits a request from `ip` or says which limit refused it. On admission with a connection
   * limit, call the returned release function when the request ends.
   */
  admit(ip: string): { ok: true; release: () => void } | { ok: false; limit: 'limit-connections' | 'limit-rpm' | 'limit-rps' } {
    const noop = () => {};
    if (this.config.allowlist.length > 0 && inRanges(this.config.allowlist, ip)) return { ok: true, release: noop };
    // nginx order in the template: conn, then rps, then rpm.
    if (this.config.connections > 0 && (this.active.get(ip) ?? 0) >= this.config.connections) return { ok: false, limit: 'limit-connections' };
    if (this.rps !== undefined && !this.rps.take(ip)) return { ok: false, limit: 'limit-rps' };
    if (this.rpm !== undefined && !this.rpm.take(ip)) return { ok: false, limit: 'limit-rpm' };
    if (this.config.connections <= 0) return { ok: true, release: noop };
    this.active.set(ip, (this.active.get(ip) ?? 0) + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.active.get(ip) ?? 1) - 1;
        if (n <= 0) this.active.delete(ip);
        else this.active.set(ip, n);
      },
    };
  }
}
