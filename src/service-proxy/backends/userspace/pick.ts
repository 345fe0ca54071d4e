// Endpoint scheduling for the userspace proxy, after IPVS's schedulers (the names `ipvsadm` and the
// kube-proxy ConfigMap's `ipvs.scheduler` use): rr (default), wrr, lc, wlc, sed, nq, sh, dh, mh,
// random; plus ClientIP persistence with a timeout, refreshed on each use as IPVS's persistence
// templates are. `exclude` lets the proxy retry the next endpoint after a failed connect. Pure
// except for the clock and Math.random (both injectable).
import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.ts';

export const schedulers = ['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'sh', 'dh', 'mh', 'random'] as const;
export type Scheduler = (typeof schedulers)[number];

/** Accepts the IPVS names; unknown or empty → rr (with the reason for the log). */
export function parseScheduler(name: string): { scheduler: Scheduler; note?: string } {
  if (name === '') return { scheduler: 'rr' };
  if ((schedulers as readonly string[]).includes(name)) return { scheduler: name as Scheduler };
  if (name === 'lblc' || name === 'lblcr') return { scheduler: 'sh', note: `scheduler ${name} is served as sh (one node: locality is the client address)` };
  return { scheduler: 'rr', note: `unknown scheduler ${JSON.stringify(name)}, using rr` };
}

export interface Candidate {
  readonly endpoint: string;
  readonly weight: number;
  /** Open connections (for lc/wlc/sed/nq). */
  readonly active: number;
}

function hashIndex(s: string, n: number): number {
  const h = createHash('sha1').update(s).digest();
  return h.readUInt32BE(0) % n;
}

/** One service port's scheduler state and ClientIP persistence table. */
export class Picker {
  readonly scheduler: Scheduler;
  readonly affinityTimeoutMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  #rr = 0;
  readonly #wrrCurrent = new Map<string, number>();
  readonly #affinity = new Map<string, { endpoint: string; until: number }>();

  constructor(o: { scheduler: Scheduler; affinityTimeoutSeconds: number; clock: Clock; random?: () => number }) {
    this.scheduler = o.scheduler;
    this.affinityTimeoutMs = o.affinityTimeoutSeconds * 1000;
    this.#clock = o.clock;
    this.#random = o.random ?? Math.random;
  }

  /** Picks an endpoint for `clientIP` from `candidates` (in a stable order), skipping `exclude`. */
  pick(clientIP: string, candidates: readonly Candidate[], exclude: ReadonlySet<string> = new Set()): Candidate | undefined {
    const usable = candidates.filter((c) => !exclude.has(c.endpoint) && c.weight > 0);
    if (usable.length === 0) return undefined;
    const now = this.#clock.now();
    if (this.affinityTimeoutMs > 0) {
      const a = this.#affinity.get(clientIP);
      if (a !== undefined && a.until > now) {
        const c = usable.find((x) => x.endpoint === a.endpoint);
        if (c !== undefined) {
          a.until = now + this.affinityTimeoutMs;
          return c;
        }
      }
    }
    const chosen = this.#schedule(clientIP, usable);
    if (this.affinityTimeoutMs > 0 && chosen !== undefined) {
      this.#affinity.set(clientIP, { endpoint: chosen.endpoint, until: now + this.affinityTimeoutMs });
      if (this.#affinity.size > 65536) this.expire();
    }
    return chosen;
  }

  /** Drops expired persistence entries. */
  expire(): void {
    const now = this.#clock.now();
    for (const [k, v] of this.#affinity) if (v.until <= now) this.#affinity.delete(k);
  }

  /** Forgets persistence to endpoints that are gone. */
  forget(endpoints: ReadonlySet<string>): void {
    for (const [k, v] of this.#affinity) if (!endpoints.has(v.endpoint)) this.#affinity.delete(k);
  }

  /** Persistence entries (client → endpoint) that are still valid. */
  affinityEntries(): number {
    this.expire();
    return this.#affinity.size;
  }

  #schedule(clientIP: string, c: readonly Candidate[]): Candidate | undefined {
    switch (this.scheduler) {
      case 'rr': {
        const x = c[this.#rr % c.length];
        this.#rr = (this.#rr + 1) % 1_000_000_007;
        return x;
      }
      case 'wrr': {
        // Smooth weighted round-robin: each pick adds weights, takes the largest, subtracts the total.
        let total = 0;
        let best: Candidate | undefined;
        let bestScore = -Infinity;
        for (const x of c) {
          const cur = (this.#wrrCurrent.get(x.endpoint) ?? 0) + x.weight;
          this.#wrrCurrent.set(x.endpoint, cur);
          total += x.weight;
          if (cur > bestScore) {
            bestScore = cur;
            best = x;
          }
        }
        if (best !== undefined) this.#wrrCurrent.set(best.endpoint, bestScore - total);
        return best;
      }
      case 'lc': case 'wlc': case 'sed': case 'nq': {
        const cost = (x: Candidate) => {
          if (this.scheduler === 'lc') return x.active;
          if (this.scheduler === 'wlc') return x.active / x.weight;
          if (this.scheduler === 'nq' && x.active === 0) return -1;
          return (x.active + 1) / x.weight;
        };
        let best = c[0];
        for (const x of c) if (best === undefined || cost(x) < cost(best)) best = x;
        return best;
      }
      case 'sh': case 'dh': case 'mh':
        return c[hashIndex(clientIP, c.length)];
      case 'random':
        return c[Math.floor(this.#random() * c.length)];
    }
  }
}
