// Gateway API → a GatewayTable the data plane consults beside the Ingress route table, plus the
// status every GatewayClass, Gateway and HTTPRoute of ours should show (conditions without
// timestamps; the writer adds them). Pure. Semantics from apis/v1 field docs and
// ../shared/reference/l7.md §3 (hostname intersection, precedence, ReferenceGrant, failure codes).
//
// All HTTP listeners of our Gateways are served on the controller's HTTP port and all HTTPS
// listeners on its HTTPS port (one machine: the listener `port` is validated and reported, not
// bound). Listener isolation is not implemented: a request is matched against the routes of every
// listener whose hostname matches it.
import type { Condition, KubeObject, Namespace, Secret } from '../../api/types.ts';
import { matches as labelsMatch, selectorFromLabelSelector } from '../../machinery/labels.ts';
import { certificateCovers, certificateFromSecret } from '../route-table/certificates.ts';
import { defaultLocationConfig } from '../route-table/compile.ts';
import { resolveBackend, type ServiceIndex } from '../route-table/endpoints.ts';
import { pathElements } from '../route-table/path.ts';
import type { Backend, Certificate, Diagnostic, Location, ObjectRef } from '../route-table/types.ts';
import {
  gatewayGroup, type Gateway, type GatewayClass, type HTTPHeaderFilter, type HTTPPathModifier, type HTTPRoute, type HTTPRouteMatch,
  type Listener, type ListenerStatus, type ParentReference, type ReferenceGrant, type RouteGroupKind, type RouteParentStatus,
} from './api.ts';

export const gatewayController = 'switchboard.dev/gateway-controller';

export interface GatewayState {
  gatewayClasses: readonly GatewayClass[];
  gateways: readonly Gateway[];
  httpRoutes: readonly HTTPRoute[];
  referenceGrants: readonly ReferenceGrant[];
  namespaces: readonly Namespace[];
}

/** One backendRef of a rule: a resolved Backend, or why it is invalid (its share answers 500). */
export interface WeightedBackend {
  backend: Backend | undefined;
  weight: number;
  invalid?: string;
}

export interface GatewayRule {
  id: string;
  route: ObjectRef;
  /** A Location carrying default proxy settings (timeouts, tries) and metric labels for this rule. */
  location: Location;
  backends: WeightedBackend[];
  totalWeight: number;
  requestHeaders?: HTTPHeaderFilter;
  responseHeaders?: HTTPHeaderFilter;
  redirect?: { scheme?: string; hostname?: string; port?: number; path?: HTTPPathModifier; statusCode: number };
  rewrite?: { hostname?: string; path?: HTTPPathModifier };
}

export type GatewayPathMatch =
  | { kind: 'exact'; value: string }
  | { kind: 'prefix'; value: string; elements: readonly string[] }
  | { kind: 'regex'; value: string; re: RegExp };

export interface GatewayMatch {
  /** Effective route hostnames on this listener (lower case); empty = any host of the listener. */
  hostnames: readonly string[];
  path: GatewayPathMatch;
  headers: readonly { name: string; exact?: string; re?: RegExp }[];
  query: readonly { name: string; exact?: string; re?: RegExp }[];
  method?: string;
  rule: GatewayRule;
  /** Precedence rank among the matches of its scheme (lower wins). */
  order: number;
}

export interface GatewayListenerEntry {
  /** Listener hostname (lower case), undefined for none. */
  hostname: string | undefined;
  matches: readonly GatewayMatch[];
}

export interface GatewayTable {
  http: readonly GatewayListenerEntry[];
  https: readonly GatewayListenerEntry[];
}

export interface GatewayStatuses {
  gatewayClasses: { ref: ObjectRef; generation: number; conditions: Condition[] }[];
  gateways: { ref: ObjectRef; generation: number; status: { addresses: { type: string; value: string }[]; conditions: Condition[]; listeners: ListenerStatus[] } }[];
  httpRoutes: { ref: ObjectRef; generation: number; parents: RouteParentStatus[] }[];
}

export interface GatewayCompileResult {
  table: GatewayTable;
  certificates: Certificate[];
  statuses: GatewayStatuses;
  diagnostics: Diagnostic[];
}

export interface GatewayCompileOptions {
  controllerName?: string;
  /** The address published in Gateway status. */
  address: string;
}

const refOf = (o: KubeObject, kind: string): ObjectRef => {
  const r: ObjectRef = { kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' };
  if (o.metadata.uid !== undefined) r.uid = o.metadata.uid;
  return r;
};

function cond(type: string, ok: boolean, reason: string, message: string, generation: number): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message, observedGeneration: generation };
}

/** Gateway API hostname wildcards cover one or more labels (`*.example.com` ⊇ `a.b.example.com`, not `example.com`). */
export function gatewayHostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/** The intersection of a route hostname and a listener hostname, or undefined. */
export function intersectHostname(route: string, listener: string | undefined): string | undefined {
  if (listener === undefined) return route;
  if (route === listener) return route;
  if (!route.startsWith('*.') && gatewayHostMatches(listener, route)) return route;
  if (route.startsWith('*.') && !listener.startsWith('*.') && gatewayHostMatches(route, listener)) return listener;
  if (route.startsWith('*.') && listener.startsWith('*.')) {
    if (gatewayHostMatches(listener, route.slice(2)) || route.endsWith(listener.slice(1))) return route.length >= listener.length ? route : listener;
    if (listener.endsWith(route.slice(1))) return listener;
  }
  return undefined;
}

function granted(grants: readonly ReferenceGrant[], fromKind: string, fromNs: string, toGroup: string, toKind: string, toNs: string, toName: string): boolean {
  return grants.some((g) => g.metadata.namespace === toNs
    && (g.spec?.from ?? []).some((f) => f.group === gatewayGroup && f.kind === fromKind && f.namespace === fromNs)
    && (g.spec?.to ?? []).some((t) => (t.group ?? '') === toGroup && t.kind === toKind && (t.name === undefined || t.name === '' || t.name === toName)));
}

const supportedKind: RouteGroupKind = { group: gatewayGroup, kind: 'HTTPRoute' };

interface CompiledListener {
  gw: Gateway;
  l: Listener;
  hostname: string | undefined;
  scheme: 'http' | 'https' | undefined;
  valid: boolean;
  allowedNs: (ns: string) => boolean;
  status: ListenerStatus;
}

function compileListeners(gw: Gateway, st: GatewayState, idx: Secret[], certs: Certificate[], diagnostics: Diagnostic[]): CompiledListener[] {
  const gen = gw.metadata.generation ?? 0;
  const gwNs = gw.metadata.namespace ?? '';
  const listeners = gw.spec?.listeners ?? [];
  const byPort = new Map<number, Listener[]>();
  for (const l of listeners) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);
  return listeners.map((l): CompiledListener => {
    const conditions: Condition[] = [];
    const hostname = l.hostname === undefined || l.hostname === '' ? undefined : l.hostname.toLowerCase();
    let scheme: 'http' | 'https' | undefined;
    let valid = true;
    let supportedKinds: RouteGroupKind[] = [supportedKind];
    let refsOk = true;
    let refsReason = 'ResolvedRefs';
    let refsMsg = 'all references resolved';
    if (l.protocol === 'HTTP') scheme = 'http';
    else if (l.protocol === 'HTTPS') scheme = 'https';
    if (scheme === undefined) {
      valid = false;
      supportedKinds = [];
      conditions.push(cond('Accepted', false, 'UnsupportedProtocol', `protocol ${l.protocol} is not supported (HTTP and HTTPS are)`, gen));
    }
    const kinds = l.allowedRoutes?.kinds;
    if (kinds !== undefined && kinds.length > 0 && scheme !== undefined) {
      supportedKinds = kinds.filter((k) => (k.group ?? gatewayGroup) === gatewayGroup && k.kind === 'HTTPRoute').map(() => supportedKind);
      if (supportedKinds.length !== kinds.length) {
        refsOk = false;
        refsReason = 'InvalidRouteKinds';
        refsMsg = 'only HTTPRoute (gateway.networking.k8s.io) is supported';
      }
    }
    // Conflicts on the same port: mixed protocols, or the same hostname twice.
    const samePort = byPort.get(l.port) ?? [];
    let conflict: string | undefined;
    if (samePort.some((o) => o.protocol !== l.protocol)) conflict = 'ProtocolConflict';
    else if (samePort.filter((o) => (o.hostname ?? '').toLowerCase() === (hostname ?? '')).length > 1) conflict = 'HostnameConflict';
    if (scheme === 'https' && valid) {
      const mode = l.tls?.mode ?? 'Terminate';
      const refs = l.tls?.certificateRefs ?? [];
      if (mode !== 'Terminate') {
        valid = false;
        conditions.push(cond('Accepted', false, 'UnsupportedValue', `TLS mode ${mode} is not supported on HTTPS listeners (Terminate is)`, gen));
      } else if (refs.length === 0) {
        refsOk = false;
        refsReason = 'InvalidCertificateRef';
        refsMsg = 'an HTTPS listener needs tls.certificateRefs';
      }
      for (const ref of refs) {
        if (!refsOk) break;
        const ns = ref.namespace ?? gwNs;
        if ((ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret') {
          refsOk = false;
          refsReason = 'InvalidCertificateRef';
          refsMsg = `certificateRef ${ref.kind ?? ''} ${ref.name} is not a Secret`;
          break;
        }
        if (ns !== gwNs && !granted(st.referenceGrants, 'Gateway', gwNs, '', 'Secret', ns, ref.name)) {
          refsOk = false;
          refsReason = 'RefNotPermitted';
          refsMsg = `secret ${ns}/${ref.name} is in another namespace and no ReferenceGrant allows it`;
          break;
        }
        const secret = idx.find((s) => s.metadata.namespace === ns && s.metadata.name === ref.name);
        const c = certificateFromSecret(secret, `${ns}/${ref.name}`);
        if ('error' in c) {
          refsOk = false;
          refsReason = 'InvalidCertificateRef';
          refsMsg = c.error;
          break;
        }
        if (hostname !== undefined && !hostname.startsWith('*.') && !certificateCovers(c.x509, hostname)) {
          diagnostics.push({ object: refOf(gw, 'Gateway'), type: 'Warning', reason: 'InvalidTLS', message: `listener ${l.name}: the certificate in secret ${ns}/${ref.name} does not name ${hostname}` });
        }
        certs.push({ secret: `${ns}/${ref.name}`, version: c.version, cert: c.cert, key: c.key, hosts: [hostname ?? '*'] });
      }
    }
    if (valid && conditions.length === 0) conditions.push(cond('Accepted', true, 'Accepted', 'listener accepted', gen));
    conditions.push(cond('ResolvedRefs', refsOk, refsReason, refsMsg, gen));
    conditions.push(cond('Conflicted', conflict !== undefined, conflict ?? 'NoConflicts', conflict === undefined ? 'no conflicts' : `another listener on port ${l.port} conflicts (${conflict})`, gen));
    const programmed = valid && refsOk && conflict === undefined;
    conditions.push(cond('Programmed', programmed, programmed ? 'Programmed' : 'Invalid', programmed ? 'listener programmed' : 'listener is not served', gen));
    const from = l.allowedRoutes?.namespaces?.from ?? 'Same';
    const sel = l.allowedRoutes?.namespaces?.selector;
    const allowedNs = (ns: string): boolean => {
      if (from === 'All') return true;
      if (from === 'Same') return ns === gwNs;
      if (from === 'Selector' && sel !== undefined) {
        const n = st.namespaces.find((x) => x.metadata.name === ns);
        try {
          return n !== undefined && labelsMatch(selectorFromLabelSelector(sel), n.metadata.labels ?? {});
        } catch {
          return false;
        }
      }
      return false;
    };
    return {
      gw, l, hostname, scheme, valid: programmed || (valid && refsReason === 'InvalidRouteKinds' && supportedKinds.length > 0 && conflict === undefined), allowedNs,
      status: { name: l.name, supportedKinds, attachedRoutes: 0, conditions },
    };
  });
}

function compilePath(m: HTTPRouteMatch | undefined): GatewayPathMatch | string {
  const type = m?.path?.type ?? 'PathPrefix';
  const value = m?.path?.value ?? '/';
  if (!value.startsWith('/') && type !== 'RegularExpression') return `path ${JSON.stringify(value)} must start with "/"`;
  if (type === 'Exact') return { kind: 'exact', value };
  if (type === 'PathPrefix') return { kind: 'prefix', value, elements: pathElements(value) };
  if (type === 'RegularExpression') {
    try {
      return { kind: 'regex', value, re: new RegExp(`^(?:${value})$`) };
    } catch {
      return `path regular expression ${JSON.stringify(value)} does not compile`;
    }
  }
  return `path match type ${type} is not supported`;
}

/** Compiles the Gateway API objects of our GatewayClasses. */
export function compileGateway(st: GatewayState, idx: ServiceIndex, secrets: readonly Secret[], opts: GatewayCompileOptions): GatewayCompileResult {
  const controller = opts.controllerName ?? gatewayController;
  const diagnostics: Diagnostic[] = [];
  const certificates: Certificate[] = [];
  const statuses: GatewayStatuses = { gatewayClasses: [], gateways: [], httpRoutes: [] };
  const accepted = new Set<string>();
  for (const gc of st.gatewayClasses) {
    if (gc.spec?.controllerName !== controller) continue;
    const gen = gc.metadata.generation ?? 0;
    const params = gc.spec.parametersRef;
    const ok = params === undefined || params === null;
    if (ok) accepted.add(gc.metadata.name ?? '');
    statuses.gatewayClasses.push({
      ref: refOf(gc, 'GatewayClass'), generation: gen,
      conditions: [cond('Accepted', ok, ok ? 'Accepted' : 'InvalidParameters', ok ? 'accepted by Switchboard' : 'parametersRef is not supported by Switchboard', gen)],
    });
  }
  const gateways = st.gateways.filter((g) => accepted.has(g.spec?.gatewayClassName ?? '') && g.metadata.deletionTimestamp === undefined);
  const listenersByGw = new Map<string, CompiledListener[]>();
  for (const gw of gateways) listenersByGw.set(`${gw.metadata.namespace ?? ''}/${gw.metadata.name ?? ''}`, compileListeners(gw, st, [...secrets], certificates, diagnostics));

  // Routes, oldest first (precedence ties go to the older route).
  const routes = [...st.httpRoutes].filter((r) => r.metadata.deletionTimestamp === undefined).sort((a, b) => {
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
    const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const perListener = new Map<CompiledListener, { match: Omit<GatewayMatch, 'order'>; key: (string | number)[] }[]>();
  routes.forEach((route, routeIndex) => {
    const ns = route.metadata.namespace ?? '';
    const gen = route.metadata.generation ?? 0;
    const ref = refOf(route, 'HTTPRoute');
    const parents: RouteParentStatus[] = [];
    const rules = compileRules(route, idx, st.referenceGrants);
    for (const pr of route.spec?.parentRefs ?? []) {
      if ((pr.group ?? gatewayGroup) !== gatewayGroup || (pr.kind ?? 'Gateway') !== 'Gateway') continue;
      const gwKey = `${pr.namespace ?? ns}/${pr.name}`;
      const ls = listenersByGw.get(gwKey);
      if (ls === undefined) continue; // not one of ours
      const parentRef: ParentReference = { group: gatewayGroup, kind: 'Gateway', namespace: pr.namespace ?? ns, name: pr.name };
      if (pr.sectionName !== undefined) parentRef.sectionName = pr.sectionName;
      if (pr.port !== undefined) parentRef.port = pr.port;
      const candidates = ls.filter((c) => (pr.sectionName === undefined || c.l.name === pr.sectionName) && (pr.port === undefined || c.l.port === pr.port));
      let reason = 'Accepted';
      let message = 'route accepted';
      let attached = 0;
      if (candidates.length === 0) {
        reason = 'NoMatchingParent';
        message = pr.sectionName !== undefined ? `the Gateway has no listener named ${pr.sectionName}` : `the Gateway has no listener on port ${pr.port ?? ''}`;
      } else {
        const allowed = candidates.filter((c) => c.valid && c.scheme !== undefined && c.allowedNs(ns) && c.status.supportedKinds.length > 0);
        if (allowed.length === 0) {
          reason = 'NotAllowedByListeners';
          message = 'no listener of the Gateway admits routes from this namespace or of this kind';
        } else {
          for (const c of allowed) {
            const rh = (route.spec?.hostnames ?? []).map((h) => h.toLowerCase());
            let hostnames: string[] = [];
            if (rh.length > 0) {
              hostnames = rh.map((h) => intersectHostname(h, c.hostname)).filter((h): h is string => h !== undefined);
              if (hostnames.length === 0) continue;
            }
            attached++;
            c.status.attachedRoutes++;
            const list = perListener.get(c) ?? [];
            for (const r of rules.compiled) {
              for (const m of r.matches) {
                list.push({
                  match: { hostnames, path: m.path, headers: m.headers, query: m.query, ...(m.method !== undefined ? { method: m.method } : {}), rule: r.rule },
                  key: [m.path.kind === 'exact' ? 0 : m.path.kind === 'prefix' ? 1 : 2, -m.path.value.length, m.method !== undefined ? 0 : 1, -m.headers.length, -m.query.length, routeIndex, r.index, m.index],
                });
              }
            }
            perListener.set(c, list);
          }
          if (attached === 0) {
            reason = 'NoMatchingListenerHostname';
            message = 'no listener hostname intersects the route hostnames';
          }
        }
      }
      const conds: Condition[] = [cond('Accepted', attached > 0, attached > 0 ? 'Accepted' : reason, attached > 0 ? 'route accepted' : message, gen)];
      conds.push(cond('ResolvedRefs', rules.refsOk, rules.refsReason, rules.refsMessage, gen));
      parents.push({ parentRef, controllerName: controller, conditions: conds });
    }
    if (parents.length > 0) statuses.httpRoutes.push({ ref, generation: gen, parents });
  });

  const table: { http: GatewayListenerEntry[]; https: GatewayListenerEntry[] } = { http: [], https: [] };
  for (const scheme of ['http', 'https'] as const) {
    const entries: { hostname: string | undefined; items: { match: Omit<GatewayMatch, 'order'>; key: (string | number)[] }[] }[] = [];
    for (const [c, items] of perListener) if (c.scheme === scheme) entries.push({ hostname: c.hostname, items });
    const all = entries.flatMap((e) => e.items);
    const sorted = [...all].sort((a, b) => {
      for (let i = 0; i < a.key.length; i++) {
        const x = a.key[i] ?? 0;
        const y = b.key[i] ?? 0;
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    });
    const rank = new Map(sorted.map((it, i) => [it, i]));
    for (const e of entries) {
      table[scheme].push({ hostname: e.hostname, matches: e.items.map((it) => ({ ...it.match, order: rank.get(it) ?? 0 })).sort((a, b) => a.order - b.order) });
    }
  }

  for (const gw of gateways) {
    const gen = gw.metadata.generation ?? 0;
    const ls = listenersByGw.get(`${gw.metadata.namespace ?? ''}/${gw.metadata.name ?? ''}`) ?? [];
    const anyValid = ls.some((l) => l.valid);
    const allValid = ls.every((l) => l.valid);
    const wantsAddresses = (gw.spec?.addresses ?? []).length > 0;
    const conditions: Condition[] = wantsAddresses
      ? [cond('Accepted', false, 'UnsupportedAddress', 'spec.addresses (static addresses) are not supported by Switchboard', gen), cond('Programmed', false, 'AddressNotUsable', 'spec.addresses cannot be assigned', gen)]
      : [
        cond('Accepted', anyValid, allValid ? 'Accepted' : 'ListenersNotValid', allValid ? 'accepted by Switchboard' : 'one or more listeners are not valid', gen),
        cond('Programmed', anyValid, anyValid ? 'Programmed' : 'Invalid', anyValid ? 'served by the Switchboard ingress data plane' : 'no listener can be served', gen),
      ];
    statuses.gateways.push({
      ref: refOf(gw, 'Gateway'), generation: gen,
      status: { addresses: anyValid && !wantsAddresses ? [{ type: 'IPAddress', value: opts.address }] : [], conditions, listeners: ls.map((l) => l.status) },
    });
  }
  return { table, certificates, statuses, diagnostics };
}

interface CompiledRules {
  compiled: { rule: GatewayRule; index: number; matches: { path: GatewayPathMatch; headers: GatewayMatch['headers']; query: GatewayMatch['query']; method?: string; index: number }[] }[];
  refsOk: boolean;
  refsReason: string;
  refsMessage: string;
}

function compileRules(route: HTTPRoute, idx: ServiceIndex, grants: readonly ReferenceGrant[]): CompiledRules {
  const ns = route.metadata.namespace ?? '';
  const name = route.metadata.name ?? '';
  const out: CompiledRules = { compiled: [], refsOk: true, refsReason: 'ResolvedRefs', refsMessage: 'all references resolved' };
  const refFail = (reason: string, message: string) => {
    if (!out.refsOk) return;
    out.refsOk = false;
    out.refsReason = reason;
    out.refsMessage = message;
  };
  (route.spec?.rules ?? []).forEach((r, ri) => {
    const id = `${ns}/${name}#${ri}`;
    const routeRef: ObjectRef = { kind: 'HTTPRoute', namespace: ns, name };
    const backends: WeightedBackend[] = [];
    for (const b of r.backendRefs ?? []) {
      const weight = b.weight ?? 1;
      const group = b.group ?? '';
      const kind = b.kind ?? 'Service';
      if (group !== '' || kind !== 'Service') {
        refFail('InvalidKind', `backendRef ${group === '' ? '' : `${group}/`}${kind} ${b.name}: only Services are supported`);
        backends.push({ backend: undefined, weight, invalid: 'unsupported backend kind' });
        continue;
      }
      const bns = b.namespace ?? ns;
      if (bns !== ns && !granted(grants, 'HTTPRoute', ns, '', 'Service', bns, b.name)) {
        refFail('RefNotPermitted', `backendRef ${bns}/${b.name} is in another namespace and no ReferenceGrant allows it`);
        backends.push({ backend: undefined, weight, invalid: 'reference not permitted' });
        continue;
      }
      if (b.port === undefined) {
        refFail('UnsupportedValue', `backendRef ${bns}/${b.name} needs a port`);
        backends.push({ backend: undefined, weight, invalid: 'no port' });
        continue;
      }
      if (idx.service(bns, b.name) === undefined) {
        refFail('BackendNotFound', `service ${bns}/${b.name} not found`);
        backends.push({ backend: undefined, weight, invalid: 'service not found' });
        continue;
      }
      backends.push({ backend: resolveBackend(idx, bns, b.name, b.port), weight });
    }
    const firstBackend = backends.find((b) => b.backend !== undefined)?.backend;
    const loc: Location = {
      id: `gw:${id}`, host: '', path: '/', pathType: 'Prefix', matcher: { kind: 'prefix', elements: [] }, length: 0,
      ingress: routeRef, backend: firstBackend ?? { key: `${id}:none`, namespace: ns, service: '', port: 0, endpoints: [] },
      config: defaultLocationConfig(), isDefaultBackend: false,
    };
    const rule: GatewayRule = { id, route: routeRef, location: loc, backends, totalWeight: backends.reduce((s, b) => s + b.weight, 0) };
    for (const f of r.filters ?? []) {
      if (f.type === 'RequestHeaderModifier' && f.requestHeaderModifier !== undefined) rule.requestHeaders = f.requestHeaderModifier;
      else if (f.type === 'ResponseHeaderModifier' && f.responseHeaderModifier !== undefined) rule.responseHeaders = f.responseHeaderModifier;
      else if (f.type === 'RequestRedirect' && f.requestRedirect !== undefined) {
        const rr = f.requestRedirect;
        const red: NonNullable<GatewayRule['redirect']> = { statusCode: rr.statusCode ?? 302 };
        if (rr.scheme !== undefined) red.scheme = rr.scheme;
        if (rr.hostname !== undefined) red.hostname = rr.hostname;
        if (rr.port !== undefined) red.port = rr.port;
        if (rr.path !== undefined) red.path = rr.path;
        rule.redirect = red;
      } else if (f.type === 'URLRewrite' && f.urlRewrite !== undefined) {
        const rw: NonNullable<GatewayRule['rewrite']> = {};
        if (f.urlRewrite.hostname !== undefined) rw.hostname = f.urlRewrite.hostname;
        if (f.urlRewrite.path !== undefined) rw.path = f.urlRewrite.path;
        rule.rewrite = rw;
      }
    }
    const matches = (r.matches !== undefined && r.matches.length > 0 ? r.matches : [undefined]).map((m, mi) => {
      const path = compilePath(m);
      if (typeof path === 'string') return undefined;
      const headers = (m?.headers ?? []).map((h) => (h.type === 'RegularExpression' ? { name: h.name.toLowerCase(), re: safeRegex(h.value) } : { name: h.name.toLowerCase(), exact: h.value }));
      const query = (m?.queryParams ?? []).map((q) => (q.type === 'RegularExpression' ? { name: q.name, re: safeRegex(q.value) } : { name: q.name, exact: q.value }));
      const out2: CompiledRules['compiled'][number]['matches'][number] = { path, headers, query, index: mi };
      if (m?.method !== undefined) out2.method = m.method;
      return out2;
    }).filter((m): m is NonNullable<typeof m> => m !== undefined);
    out.compiled.push({ rule, index: ri, matches });
  });
  return out;
}

/** A regex that never matches when the pattern does not compile. */
function safeRegex(p: string): RegExp {
  try {
    return new RegExp(`^(?:${p})$`);
  } catch {
    return /(?!)/;
  }
}
