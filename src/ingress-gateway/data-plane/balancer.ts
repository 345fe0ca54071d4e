// Endpoint choice: round robin over ready endpoints (ingress-nginx's default `load-balance`),
// skipping endpoints that failed a connection in the last `failTimeoutMs` (nginx max_fails=1
// fail_timeout=10s) unless every endpoint did; consistent choice by key (rendezvous hashing) for
// `upstream-hash-by` and cookie affinity; and the affinity cookie itself. State (counters, failure
// marks) outlives route table swaps because it is keyed by backend and endpoint keys.
import { randomBytes } from 'node:crypto';
import type { AffinityConfig, Backend, Endpoint } from '../route-table/types.ts';

/** FNV-1a 32-bit. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A short stable tag of a backend, the second half of the affinity cookie value. */
export function backendTag(backendKey: string): string {
  return fnv1a(backendKey).toString(16).padStart(8, '0');
}

export class Balancer {
  private readonly rr = new Map<string, number>();
  private readonly down = new Map<string, number>();
  private readonly now: () => number;
  private readonly failTimeoutMs: number;
  constructor(opts: { now?: () => number; failTimeoutMs?: number } = {}) {
    this.now = opts.now ?? Date.now;
    this.failTimeoutMs = opts.failTimeoutMs ?? 10_000;
  }

  private healthy(ep: Endpoint, t: number): boolean {
    const until = this.down.get(ep.key);
    if (until === undefined) return true;
    if (until <= t) {
      this.down.delete(ep.key);
      return true;
    }
    return false;
  }

  /** Candidates: not excluded and healthy; all not-excluded ones when none is healthy. */
  private candidates(b: Backend, exclude: ReadonlySet<string> | undefined): readonly Endpoint[] {
    if ((exclude === undefined || exclude.size === 0) && this.down.size === 0) return b.endpoints;
    const t = this.now();
    const open: Endpoint[] = [];
    const ok: Endpoint[] = [];
    for (const ep of b.endpoints) {
      if (exclude?.has(ep.key) === true) continue;
      open.push(ep);
      if (this.healthy(ep, t)) ok.push(ep);
    }
    return ok.length > 0 ? ok : open;
  }

  /** Round robin. */
  pick(b: Backend, exclude?: ReadonlySet<string>): Endpoint | undefined {
    const c = this.candidates(b, exclude);
    if (c.length === 0) return undefined;
    if (c.length === 1) return c[0];
    const n = this.rr.get(b.key) ?? Math.floor(Math.random() * c.length);
    this.rr.set(b.key, (n + 1) % 1_000_000_007);
    return c[n % c.length];
  }

  /** Rendezvous (highest random weight) hashing: the same key keeps its endpoint while it exists; removing one endpoint moves only its keys. */
  pickHashed(b: Backend, key: string, exclude?: ReadonlySet<string>): Endpoint | undefined {
    const c = this.candidates(b, exclude);
    let best: Endpoint | undefined;
    let bestW = -1;
    for (const ep of c) {
      const w = fnv1a(`${key}\0${ep.key}`);
      if (w > bestW) {
        bestW = w;
        best = ep;
      }
    }
    return best;
  }

  /** The endpoint whose key hashes to `tag` (persistent affinity), if it is still a candidate. */
  pickByTag(b: Backend, tag: string, exclude?: ReadonlySet<string>): Endpoint | undefined {
    for (const ep of this.candidates(b, exclude)) if (endpointTag(ep) === tag) return ep;
    return undefined;
  }

  /** Marks an endpoint as failed (connection refused, reset or timed out). */
  markFailed(ep: Endpoint): void {
    this.down.set(ep.key, this.now() + this.failTimeoutMs);
  }

  /** Forgets failure marks of endpoints that are gone (called on table swaps). */
  retain(keys: ReadonlySet<string>): void {
    for (const k of this.down.keys()) if (!keys.has(k)) this.down.delete(k);
  }
}

/** The persistent-mode cookie id of an endpoint. */
export function endpointTag(ep: Endpoint): string {
  return fnv1a(ep.key).toString(16).padStart(8, '0');
}

/** A parsed affinity cookie: `<id>|<backend tag>`. */
export interface AffinityCookie {
  id: string;
  backend: string;
}

export function parseAffinityCookie(v: string | undefined): AffinityCookie | undefined {
  if (v === undefined) return undefined;
  const bar = v.indexOf('|');
  if (bar <= 0 || bar === v.length - 1) return undefined;
  return { id: v.slice(0, bar), backend: v.slice(bar + 1) };
}

/** A new random id for balanced mode. */
export function newAffinityId(): string {
  return randomBytes(8).toString('hex');
}

/** The Set-Cookie value for an affinity cookie (HttpOnly, as ingress-nginx sets it). */
export function affinitySetCookie(cfg: AffinityConfig, value: string, https: boolean, userAgent: string, now: number): string {
  let c = `${cfg.cookieName}=${value}; Path=${cfg.path === '' ? '/' : cfg.path}`;
  if (cfg.domain !== undefined) c += `; Domain=${cfg.domain}`;
  if (cfg.expiresSeconds !== undefined) c += `; Expires=${new Date(now + cfg.expiresSeconds * 1000).toUTCString()}`;
  if (cfg.maxAgeSeconds !== undefined) c += `; Max-Age=${cfg.maxAgeSeconds}`;
  if (cfg.secure ?? https) c += '; Secure';
  c += '; HttpOnly';
  if (cfg.sameSite !== undefined) {
    // conditional-samesite-none: omit SameSite=None for clients known to mishandle it.
    const skip = cfg.sameSite === 'None' && cfg.conditionalSameSiteNone && /Chrom(e|ium)\/(5[1-9]|6[0-6])|iP.+; CPU .*OS 12[_\d]*.*\) AppleWebKit|Macintosh;.*Mac OS X 10_14[_\d]*.*Version\/.*Safari/.test(userAgent);
    if (!skip) c += `; SameSite=${cfg.sameSite}`;
  }
  return c;
}
