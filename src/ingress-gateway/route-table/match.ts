// Request-time lookups on a compiled RouteTable: host → server (exact, then one-label wildcard,
// then the catch-all), path → location (Exact, then longest; regex hosts: first regex in length
// order), and the canary decision (ingress-nginx balancer.lua route_to_alternative_balancer:
// header → cookie → weight). Pure; randomness comes in as a function.
import { matchPath, wildcardSuffix } from './path.ts';
import type { CanaryRules, Location, RouteTable, Server } from './types.ts';

/** The server for a normalised host. */
export function findServer(table: RouteTable, host: string): Server {
  if (host !== '') {
    const exact = table.hosts.get(host);
    if (exact !== undefined) return exact;
    const suffix = wildcardSuffix(host);
    if (suffix !== undefined) {
      const wild = table.wildcards.get(suffix);
      if (wild !== undefined) return wild;
    }
  }
  return table.catchAll;
}

/** A location and, for regex locations, the match (capture groups for rewrite-target). */
export interface LocationMatch {
  location: Location;
  captures: RegExpExecArray | null;
}

/** The location of a normalised path within a server; the server's fallback when none matches. */
export function findLocation(server: Server, path: string): LocationMatch {
  const exact = server.exact.get(path);
  if (exact !== undefined) return { location: exact, captures: null };
  for (const loc of server.ordered) {
    const m = matchPath(loc.matcher, path);
    if (m !== null) return { location: loc, captures: m === true ? null : m };
  }
  return { location: server.fallback, captures: null };
}

/** Host and path in one call. */
export function route(table: RouteTable, host: string, path: string): LocationMatch & { server: Server } {
  const server = findServer(table, host);
  return { server, ...findLocation(server, path) };
}

/** Parses a Cookie header into name → first value. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined || header === '') return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || out.has(name)) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out.set(name, v);
  }
  return out;
}

/**
 * Decides whether a request goes to the canary, exactly as ingress-nginx: the header rule first
 * (with a value: equal → canary, else fall through; with a pattern: match → canary, else fall
 * through; otherwise `always`/`never`), then the cookie (`always`/`never`), then the weight:
 * canary iff a random integer in [1, total] ≤ weight. `random()` returns [0, 1).
 */
export function chooseCanary(
  rules: CanaryRules,
  header: (name: string) => string | undefined,
  cookie: (name: string) => string | undefined,
  random: () => number,
): boolean {
  if (rules.byHeader !== undefined) {
    const v = header(rules.byHeader);
    if (v !== undefined) {
      if (rules.byHeaderValue !== undefined) {
        if (v === rules.byHeaderValue) return true;
      } else if (rules.byHeaderPattern !== undefined) {
        if (rules.byHeaderPattern === 'invalid') return false;
        if (rules.byHeaderPattern.test(v)) return true;
      } else if (v === 'always') return true;
      else if (v === 'never') return false;
    }
  }
  if (rules.byCookie !== undefined) {
    const c = cookie(rules.byCookie);
    if (c === 'always') return true;
    if (c === 'never') return false;
  }
  if (rules.weight <= 0) return false;
  const r = Math.floor(random() * rules.weightTotal) + 1;
  return r <= rules.weight;
}
