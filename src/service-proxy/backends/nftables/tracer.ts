// Follows a packet through an nftables model the way kube-proxy's nftables test tracer does:
// filter-prerouting-pre-dnat (stop if it decides), nat-prerouting (DNAT rewrites the destination),
// filter-forward (stop if it decides), then filter-input. It understands exactly the rule forms
// render.ts emits: address and set matches, concatenated vmap lookups, `fib saddr type local`,
// jump/goto, numgen (every endpoint is visited and collected), dnat, drop, reject. Dynamic affinity
// sets are empty here, and `ct state new` is always true. Pure.
import type { FlowResult, Packet } from '../../flows.ts';
import { cidrContains, parseCIDR, parseIP } from '../../../machinery/cidr.ts';
import type { NftModel } from './fake.ts';

/** Splits a rule into words, keeping `{ ... }` groups and quoted strings whole. */
export function ruleWords(rule: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < rule.length) {
    const ch = rule[i];
    if (ch === ' ') {
      i++;
      continue;
    }
    if (ch === '{' || ch === '"') {
      const close = ch === '{' ? '}' : '"';
      const j = rule.indexOf(close, i + 1);
      const end = j < 0 ? rule.length : j + 1;
      out.push(rule.slice(i, end));
      i = end;
      continue;
    }
    const j = rule.indexOf(' ', i);
    const end = j < 0 ? rule.length : j;
    out.push(rule.slice(i, end));
    i = end;
  }
  return out;
}

function inAny(ip: string, list: readonly string[]): boolean {
  const a = parseIP(ip);
  if (a === undefined) return false;
  return list.some((c) => {
    const p = parseCIDR(c.includes('/') ? c : `${c}/32`);
    return p !== undefined && cidrContains(p, a);
  });
}

type Verdict =
  | { kind: 'nomatch' }
  | { kind: 'continue' }
  | { kind: 'jump' | 'goto'; target: string }
  | { kind: 'numgen'; targets: string[] }
  | { kind: 'drop' | 'reject' | 'accept' | 'return' }
  | { kind: 'dnat'; to: string };

class Tracer {
  readonly outputs: string[] = [];
  readonly matches: string[] = [];
  masq = false;
  readonly #m: NftModel;
  readonly #local: (ip: string) => boolean;
  #depth = 0;

  constructor(m: NftModel, nodeIPs: readonly string[]) {
    this.#m = m;
    this.#local = (ip) => ip.startsWith('127.') || nodeIPs.includes(ip);
  }

  #lookup(set: string, key: string): string | undefined {
    const e = this.#m.sets.get(set.replace(/^@/, ''))?.elements.get(key);
    if (e === undefined) return undefined;
    const i = e.lastIndexOf(' : ');
    return i < 0 ? '' : e.slice(i + 3);
  }

  #verdictFrom(text: string): Verdict {
    const [w, t] = text.split(' ');
    if ((w === 'goto' || w === 'jump') && t !== undefined) return { kind: w, target: t };
    if (w === 'drop' || w === 'reject' || w === 'accept' || w === 'return') return { kind: w };
    return { kind: 'continue' };
  }

  evalRule(rule: string, p: Packet): Verdict {
    const w = ruleWords(rule);
    const proto = p.protocol.toLowerCase();
    for (let i = 0; i < w.length; ) {
      const t = w[i];
      if (t === 'ip' && (w[i + 1] === 'saddr' || w[i + 1] === 'daddr')) {
        const addr = w[i + 1] === 'saddr' ? p.sourceIP : p.destIP;
        if (w[i + 2] === '.') {
          // ip daddr . meta l4proto . th dport vmap @map
          const v = this.#lookup(w[i + 9] ?? '', `${addr} . ${proto} . ${p.destPort}`);
          if (v === undefined) return { kind: 'nomatch' };
          return this.#verdictFrom(v);
        }
        const neg = w[i + 2] === '!=';
        const val = w[i + (neg ? 3 : 2)] ?? '';
        let hit: boolean;
        if (val.startsWith('@')) hit = this.#m.sets.get(val.slice(1))?.elements.has(addr) ?? false;
        else if (val.startsWith('{')) hit = inAny(addr, val.slice(1, -1).split(',').map((s) => s.trim()).filter((s) => s !== ''));
        else hit = inAny(addr, [val]);
        if (hit === neg) return { kind: 'nomatch' };
        i += neg ? 4 : 3;
        continue;
      }
      if (t === 'meta' && w[i + 1] === 'l4proto') {
        if (w[i + 2] === '.') {
          const v = this.#lookup(w[i + 6] ?? '', `${proto} . ${p.destPort}`);
          if (v === undefined) return { kind: 'nomatch' };
          return this.#verdictFrom(v);
        }
        if (w[i + 2] !== proto) return { kind: 'nomatch' };
        i += 3;
        continue;
      }
      if ((t === 'tcp' || t === 'udp' || t === 'sctp') && w[i + 1] === 'dport') {
        if (t !== proto || Number(w[i + 2]) !== p.destPort) return { kind: 'nomatch' };
        i += 3;
        continue;
      }
      if (t === 'fib') {
        const addr = w[i + 1] === 'saddr' ? p.sourceIP : p.destIP;
        if (!this.#local(addr)) return { kind: 'nomatch' };
        i += 4;
        continue;
      }
      if (t === 'ct') { i += 3; continue; }
      if (t === 'comment') { i += 2; continue; }
      if (t === 'update') { i += 3; continue; }
      if (t === 'mark') return w[i + 1] === 'and' ? { kind: 'nomatch' } : { kind: 'continue' };
      if (t === 'masquerade') return { kind: 'continue' };
      if (t === 'numgen') {
        const body = w[i + 5] ?? '';
        return { kind: 'numgen', targets: [...body.matchAll(/goto (\S+)/g)].map((m) => m[1] ?? '') };
      }
      if (t === 'dnat') return { kind: 'dnat', to: w[i + 2] ?? '?' };
      if (t === 'jump' || t === 'goto') return { kind: t, target: w[i + 1] ?? '' };
      if (t === 'drop' || t === 'reject' || t === 'accept' || t === 'return') return { kind: t };
      i++;
    }
    return { kind: 'continue' };
  }

  /** Runs `chain`; true when a terminal verdict was reached. */
  runChain(chain: string, p: Packet): boolean {
    const c = this.#m.chains.get(chain);
    if (c === undefined || this.#depth > 50) return false;
    this.#depth++;
    try {
      for (const rule of c.rules) {
        const v = this.evalRule(rule, p);
        if (v.kind === 'nomatch') continue;
        this.matches.push(`${chain}: ${rule}`);
        switch (v.kind) {
          case 'continue':
            continue;
          case 'jump':
            if (v.target === 'mark-for-masquerade') {
              this.masq = true;
              continue;
            }
            if (this.runChain(v.target, p)) return true;
            continue;
          case 'goto':
            return this.runChain(v.target, p);
          case 'numgen':
            for (const t of v.targets) this.runChain(t, p);
            return true;
          case 'dnat':
            this.outputs.push(v.to);
            return true;
          case 'return':
            return false;
          default:
            this.outputs.push(v.kind.toUpperCase());
            return true;
        }
      }
      return false;
    } finally {
      this.#depth--;
    }
  }
}

/** Traces `p` through the table model (node addresses count as local). */
export function traceNft(m: NftModel, p: Packet, nodeIPs: readonly string[]): FlowResult & { matches: string[] } {
  const t = new Tracer(m, nodeIPs);
  const done = () => ({ output: t.outputs.join(', '), masq: t.masq, matches: t.matches });
  if (t.runChain('filter-prerouting-pre-dnat', p)) return done();
  t.runChain('nat-prerouting', p);
  let destIP = p.destIP;
  const first = t.outputs[0];
  if (first !== undefined && first.includes(':')) destIP = first.split(':')[0] ?? destIP;
  const after = { ...p, destIP };
  if (t.runChain('filter-forward', after)) return done();
  t.runChain('filter-input', after);
  return done();
}
