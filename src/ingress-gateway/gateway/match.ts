// Request → HTTPRoute rule on a GatewayTable: the listeners whose hostname matches the host
// (exact, or a wildcard covering one or more labels, or none), then the best match over their
// routes: the longest matching non-wildcard route hostname, then the longest matching hostname,
// then the compiled precedence (Exact path > longest PathPrefix > regex; method; headers; query
// params; oldest route; name; rule order). Pure; randomness for weights comes in as a function.
import type { GatewayMatch, GatewayTable, WeightedBackend } from './compile.ts';
import { gatewayHostMatches } from './compile.ts';

export interface GatewayRequest {
  host: string;
  path: string;
  method: string;
  header(name: string): string | undefined;
  /** First value of a query parameter (names are case-sensitive). */
  query(name: string): string | undefined;
}

export type GatewayLookup = { kind: 'none' } | { kind: 'notfound' } | { kind: 'match'; match: GatewayMatch };

function elementPrefix(elements: readonly string[], path: string): boolean {
  const parts = path.split('/').filter((e) => e !== '');
  if (elements.length > parts.length) return false;
  for (let i = 0; i < elements.length; i++) if (elements[i] !== parts[i]) return false;
  return true;
}

function matchOne(m: GatewayMatch, r: GatewayRequest): boolean {
  const p = m.path;
  if (p.kind === 'exact' ? r.path !== p.value : p.kind === 'prefix' ? !elementPrefix(p.elements, r.path) : !p.re.test(r.path)) return false;
  if (m.method !== undefined && m.method !== r.method) return false;
  for (const h of m.headers) {
    const v = r.header(h.name);
    if (v === undefined || (h.exact !== undefined ? v !== h.exact : !(h.re?.test(v) ?? false))) return false;
  }
  for (const q of m.query) {
    const v = r.query(q.name);
    if (v === undefined || (q.exact !== undefined ? v !== q.exact : !(q.re?.test(v) ?? false))) return false;
  }
  return true;
}

function hostScore(m: GatewayMatch, host: string): number {
  if (m.hostnames.length === 0) return 0;
  let best = -1;
  for (const h of m.hostnames) {
    if (!gatewayHostMatches(h, host)) continue;
    const s = h.startsWith('*.') ? 1_000 + h.length : 1_000_000 + h.length;
    if (s > best) best = s;
  }
  return best;
}

/** Finds the route rule for a request on the listeners of `scheme`. */
export function matchGateway(t: GatewayTable, scheme: 'http' | 'https', r: GatewayRequest): GatewayLookup {
  const listeners = t[scheme].filter((l) => l.hostname === undefined || gatewayHostMatches(l.hostname, r.host));
  if (listeners.length === 0) return { kind: 'none' };
  let best: GatewayMatch | undefined;
  let bestScore = -1;
  for (const l of listeners) {
    for (const m of l.matches) {
      const s = hostScore(m, r.host);
      if (s < 0 || s < bestScore) continue;
      if (s === bestScore && best !== undefined && best.order <= m.order) continue;
      if (!matchOne(m, r)) continue;
      best = m;
      bestScore = s;
    }
  }
  return best === undefined ? { kind: 'notfound' } : { kind: 'match', match: best };
}

/** Picks a backendRef by weight (`random()` in [0,1)); undefined when every weight is 0. */
export function pickWeighted(backends: readonly WeightedBackend[], total: number, random: () => number): WeightedBackend | undefined {
  if (total <= 0) return undefined;
  let x = random() * total;
  for (const b of backends) {
    if (b.weight <= 0) continue;
    if (x < b.weight) return b;
    x -= b.weight;
  }
  return backends.filter((b) => b.weight > 0).at(-1);
}
