// Follows a packet through iptables rules the way kube-proxy's test tracer does, so packet-flow
// tables can be checked against rendered rules without a kernel: nat KUBE-SERVICES first (what
// PREROUTING/OUTPUT jump to), then, with the destination rewritten by a DNAT, the filter chains
// KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS and KUBE-PROXY-FIREWALL. Rules that depend
// on history (recent --rcheck, mark, ctstate) never match; a --probability jump does not end its
// chain, so every endpoint a packet could reach is collected. Pure.
import type { FlowResult, Packet } from '../../flows.ts';
import { parseCIDR, parseIP, cidrContains } from '../../../machinery/cidr.ts';
import { applyRestore, emptyTables, ruleTarget, type Tables } from './ruleset.ts';
import { chains } from './render.ts';

function inCIDR(ip: string, cidrOrIP: string): boolean {
  const c = parseCIDR(cidrOrIP.includes('/') ? cidrOrIP : `${cidrOrIP}/32`);
  const a = parseIP(ip);
  return c !== undefined && a !== undefined && cidrContains(c, a);
}

class Tracer {
  readonly outputs: string[] = [];
  readonly matches: string[] = [];
  masq = false;
  readonly #tables: Tables;
  readonly #local: (ip: string) => boolean;
  #depth = 0;

  constructor(tables: Tables, localIPs: readonly string[]) {
    this.#tables = tables;
    this.#local = (ip) => ip.startsWith('127.') || ip === '::1' || localIPs.includes(ip);
  }

  matchesRule(rule: readonly string[], p: Packet): boolean {
    let neg = false;
    for (let i = 0; i < rule.length; i++) {
      const w = rule[i] ?? '';
      const v = rule[i + 1] ?? '';
      if (w === '!') {
        neg = true;
        continue;
      }
      let ok: boolean | undefined;
      switch (w) {
        case '-s': ok = inCIDR(p.sourceIP, v); i++; break;
        case '-d': ok = inCIDR(p.destIP, v); i++; break;
        case '-p': ok = v === p.protocol.toLowerCase(); i++; break;
        case '--dport': ok = Number(v) === p.destPort; i++; break;
        case '--src-type': ok = (v === 'LOCAL') === this.#local(p.sourceIP); i++; break;
        case '--dst-type': ok = (v === 'LOCAL') === this.#local(p.destIP); i++; break;
        case '--rcheck': case '--mark': case '--ctstate': return false;
        case '-j': case '-g': return true;
        default: break;
      }
      if (ok !== undefined && ok === neg) return false;
      neg = false;
    }
    return true;
  }

  runChain(table: string, chain: string, p: Packet): boolean {
    const rules = this.#tables.get(table)?.get(chain);
    if (rules === undefined || this.#depth > 50) return false;
    this.#depth++;
    try {
      for (const rule of rules) {
        const target = ruleTarget(rule);
        if (target === undefined || !this.matchesRule(rule, p)) continue;
        this.matches.push(`${table}/${chain}: ${rule.join(' ')}`);
        switch (target) {
          case chains.markMasq:
            this.masq = true;
            continue;
          case 'ACCEPT': case 'REJECT': case 'DROP':
            this.outputs.push(target);
            return true;
          case 'DNAT': {
            const i = rule.indexOf('--to-destination');
            this.outputs.push(rule[i + 1] ?? '?');
            return true;
          }
          case 'RETURN':
            return false;
          case 'MARK': case 'MASQUERADE':
            continue;
          default: {
            const done = this.runChain(table, target, p);
            if (done && !rule.includes('--probability')) return true;
          }
        }
      }
      return false;
    } finally {
      this.#depth--;
    }
  }
}

/** Traces `p` through `tables` (node addresses count as LOCAL). */
export function traceIptables(tables: Tables, p: Packet, nodeIPs: readonly string[]): FlowResult & { matches: string[] } {
  const t = new Tracer(tables, nodeIPs);
  t.runChain('nat', chains.services, p);
  let destIP = p.destIP;
  const first = t.outputs[0];
  if (first !== undefined && first.includes(':')) destIP = first.split(':')[0] ?? destIP;
  const after = { ...p, destIP };
  for (const ch of [chains.services, chains.externalServices, chains.nodePorts, chains.proxyFirewall]) t.runChain('filter', ch, after);
  return { output: t.outputs.join(', '), masq: t.masq, matches: t.matches };
}

/** Tables from restore text alone (as if applied to an empty kernel). */
export function tablesFromRestore(text: string): Tables {
  const t = emptyTables();
  applyRestore(t, text);
  return t;
}
