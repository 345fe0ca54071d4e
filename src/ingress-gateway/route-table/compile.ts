// Compiles the cluster objects into a RouteTable the way ingress-nginx builds its servers and
// locations (internal/ingress/controller/controller.go createServers/createUpstreams/
// mergeAlternativeBackends), with the Ingress v1 path semantics of the Kubernetes docs. Pure:
// objects in, table and diagnostics out.
//
// Steps, each a named function below:
//   1. selectIngresses   our class, not being deleted, oldest first (older wins conflicts)
//   2. addMainIngress    servers per host (host-less rules → catch-all), locations per path
//   3. attachCanaries    canary Ingresses become the alternative backend of the same host+path
//   4. finishServer      matchers (regex mode per host), order, affinity cookie paths
//   5. addCertificates   spec.tls → SNI certificates, TLS flag for ssl-redirect
//   6. aliases, www redirects, tcp/udp-services
import type { ConfigMap, EndpointSlice, Ingress, IngressBackend, IngressClass, Secret, Service } from '../../api/types.ts';
import { parseAnnotations, ingressNginxDefaults, defaultAnnotationPrefix, type ControllerDefaults, type ParsedAnnotations } from './annotations.ts';
import { certificateCovers, certificateFromSecret } from './certificates.ts';
import { ServiceIndex, resolveBackend } from './endpoints.ts';
import { isOurIngress, selectClasses, switchboardController } from './ingress-class.ts';
import { compileL4 } from './l4.ts';
import { buildMatcher, precedenceLength, validateRulePath } from './path.ts';
import type {
  Backend, Certificate, CompileResult, Diagnostic, Location, LocationConfig, ObjectRef, PathType, RouteTable, Server,
} from './types.ts';

/** The Kubernetes objects the ingress controller reads: the narrow interface to the cluster. */
export interface ClusterState {
  ingresses: readonly Ingress[];
  ingressClasses: readonly IngressClass[];
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  secrets: readonly Secret[];
  configMaps: readonly ConfigMap[];
}

export interface CompileOptions {
  /** IngressClass `spec.controller` value that is ours. */
  controller?: string;
  annotationPrefix?: string;
  defaults?: ControllerDefaults;
  /** `namespace/service:port` answering unmatched requests (ingress-nginx --default-backend-service); a built-in 404 otherwise. */
  defaultBackendService?: string;
  /** `namespace/name` of the tcp-services ConfigMap (default ingress-nginx/tcp-services). */
  tcpServicesConfigMap?: string;
  /** `namespace/name` of the udp-services ConfigMap (default ingress-nginx/udp-services). */
  udpServicesConfigMap?: string;
  /** Ports the controller itself listens on (refused in tcp/udp-services). */
  reservedPorts?: readonly number[];
}

/** The backend of the built-in default server (answered 404 "default backend - 404"). */
export const builtinDefaultBackend: Backend = { key: 'default-backend', namespace: '', service: '', port: 0, endpoints: [] };

const pathTypeRank: Record<PathType, number> = { Exact: 0, Prefix: 1, ImplementationSpecific: 2 };

interface ServerBuilder {
  host: string;
  locations: Location[];
  /** `path|pathType` → location. */
  byKey: Map<string, Location>;
  regex: boolean;
  fallback: Location;
  tls: boolean;
}

interface Context {
  idx: ServiceIndex;
  opts: CompileOptions;
  defaults: ControllerDefaults;
  prefix: string;
  servers: Map<string, ServerBuilder>;
  diagnostics: Diagnostic[];
  parsed: Map<Ingress, ParsedAnnotations>;
  aliases: { alias: string; host: string }[];
  certs: Map<string, { secret: string; cert: string; key: string; version: string; hosts: string[] }>;
  defaultBackend: Backend;
}

function refOf(ing: Ingress): ObjectRef {
  const r: ObjectRef = { kind: 'Ingress', namespace: ing.metadata.namespace ?? '', name: ing.metadata.name ?? '' };
  if (ing.metadata.uid !== undefined) r.uid = ing.metadata.uid;
  return r;
}

function warn(ctx: Context, ing: Ingress, reason: string, message: string): void {
  ctx.diagnostics.push({ object: refOf(ing), type: 'Warning', reason, message });
}

/** The LocationConfig of the built-in default backend and of places without annotations. */
export function defaultLocationConfig(d: ControllerDefaults = ingressNginxDefaults): LocationConfig {
  return {
    useRegex: false, sslRedirect: d.sslRedirect, forceSslRedirect: false, fromToWwwRedirect: false, backendProtocol: 'HTTP',
    connectTimeoutMs: d.connectTimeoutMs, sendTimeoutMs: d.sendTimeoutMs, readTimeoutMs: d.readTimeoutMs,
    nextUpstreamTries: d.nextUpstreamTries, bodySizeLimit: d.bodySizeLimit, accessLog: true,
  };
}

function fallbackLocation(host: string, backend: Backend, config: LocationConfig, ingress?: ObjectRef, denied?: string): Location {
  const loc: Location = {
    id: `${host === '' ? '_' : host}/|default`, host, path: '/', pathType: 'Prefix', matcher: { kind: 'prefix', elements: [] },
    length: 0, backend, config, isDefaultBackend: true,
  };
  if (ingress !== undefined) loc.ingress = ingress;
  if (denied !== undefined) loc.denied = denied;
  return loc;
}

function newServer(ctx: Context, host: string): ServerBuilder {
  const s: ServerBuilder = {
    host, locations: [], byKey: new Map(), regex: false, tls: false,
    fallback: fallbackLocation(host, ctx.defaultBackend, defaultLocationConfig(ctx.defaults)),
  };
  ctx.servers.set(host, s);
  return s;
}

/** Validates a rule host as kube-apiserver does: not an IP; `*` only as the whole first label. */
export function validateRuleHost(host: string): string | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':')) return `host: Invalid value: ${JSON.stringify(host)}: must be a DNS name, not an IP address`;
  const label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
  const re = new RegExp(`^(\\*\\.)?${label}(\\.${label})*$`);
  if (!re.test(host.toLowerCase())) return `host: Invalid value: ${JSON.stringify(host)}: a lowercase RFC 1123 subdomain, optionally with "*." as the whole first label`;
  return undefined;
}

/** Resolves an IngressBackend; resource backends are refused (undefined + a diagnostic). */
function resolveIngressBackend(ctx: Context, ing: Ingress, b: IngressBackend, field: string, serviceUpstream: boolean): Backend | undefined {
  if (b.resource !== undefined) {
    warn(ctx, ing, 'UnsupportedBackend', `${field}.resource: resource backends (${b.resource.apiGroup ?? 'core'}/${b.resource.kind} ${b.resource.name}) are not supported by Switchboard: only Service backends are served; this path is not served`);
    return undefined;
  }
  const svc = b.service;
  if (svc === undefined || svc.name === '') {
    warn(ctx, ing, 'InvalidBackend', `${field}.service: Required value: a Service backend is needed; this path is not served`);
    return undefined;
  }
  const port = svc.port?.number ?? svc.port?.name;
  if (port === undefined || port === '' || port === 0) {
    warn(ctx, ing, 'InvalidBackend', `${field}.service.port: Required value: a port name or number is needed; this path is not served`);
    return undefined;
  }
  return resolveBackend(ctx.idx, ing.metadata.namespace ?? '', svc.name, port, { serviceUpstream });
}

/**
 * An auth-url naming a cluster Service gets that Service's endpoints (the ingress process may not
 * use the cluster DNS). URLs with variables in the host or naming no Service are left to DNS.
 */
function resolveAuthService(ctx: Context, p: ParsedAnnotations): void {
  const auth = p.config.auth;
  if (auth === undefined || auth.host.includes('$')) return;
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.svc(\.cluster\.local)?)?(:(\d+))?$/i.exec(auth.host);
  if (m === null) return;
  const service = (m[1] ?? '').toLowerCase();
  const namespace = (m[3] ?? '').toLowerCase();
  const svc = ctx.idx.service(namespace, service);
  if (svc === undefined) return;
  const port = m[8] !== undefined ? Number(m[8]) : auth.url.toLowerCase().startsWith('https:') ? 443 : 80;
  p.config = { ...p.config, auth: { ...auth, backend: resolveBackend(ctx.idx, namespace, service, port) } };
}

/** Step 1: our Ingresses, live, oldest first (creationTimestamp, then namespace/name). */
export function selectIngresses(state: ClusterState, controller: string): Ingress[] {
  const sel = selectClasses(state.ingressClasses, controller);
  const ours = state.ingresses.filter((i) => i.metadata.deletionTimestamp === undefined && isOurIngress(i, sel));
  return ours.sort((x, y) => {
    const tx = x.metadata.creationTimestamp ?? '';
    const ty = y.metadata.creationTimestamp ?? '';
    if (tx !== ty) return tx < ty ? -1 : 1;
    const kx = `${x.metadata.namespace ?? ''}/${x.metadata.name ?? ''}`;
    const ky = `${y.metadata.namespace ?? ''}/${y.metadata.name ?? ''}`;
    return kx < ky ? -1 : kx > ky ? 1 : 0;
  });
}

/** Step 2: the servers and locations of one non-canary Ingress. */
function addMainIngress(ctx: Context, ing: Ingress, p: ParsedAnnotations): void {
  const ref = refOf(ing);
  let ingDefault: Backend | undefined;
  if (ing.spec?.defaultBackend !== undefined) {
    ingDefault = resolveIngressBackend(ctx, ing, ing.spec.defaultBackend, 'spec.defaultBackend', p.serviceUpstream);
  }
  const rules = ing.spec?.rules ?? [];
  // An Ingress with a defaultBackend and no rules configures the catch-all server (first one wins).
  if (ingDefault !== undefined && rules.length === 0) {
    const cs = ctx.servers.get('') ?? newServer(ctx, '');
    if (cs.fallback.ingress === undefined) cs.fallback = fallbackLocation('', ingDefault, p.config, ref, p.denied);
    else warn(ctx, ing, 'Conflict', `spec.defaultBackend: the catch-all default backend is already set by Ingress ${cs.fallback.ingress.namespace}/${cs.fallback.ingress.name}: ignored`);
  }
  rules.forEach((rule, ri) => {
    const host = (rule.host ?? '').toLowerCase();
    if (host !== '') {
      const bad = validateRuleHost(host);
      if (bad !== undefined) {
        warn(ctx, ing, 'InvalidRule', `spec.rules[${ri}].${bad}: rule not served`);
        return;
      }
    }
    let server = ctx.servers.get(host);
    if (server === undefined) {
      server = newServer(ctx, host);
      // The first Ingress to define a host gives it its defaultBackend for unmatched paths.
      if (ingDefault !== undefined && host !== '') server.fallback = fallbackLocation(host, ingDefault, p.config, ref, p.denied);
    }
    for (const alias of p.serverAliases) ctx.aliases.push({ alias, host });
    (rule.http?.paths ?? []).forEach((hp, pi) => {
      const field = `spec.rules[${ri}].http.paths[${pi}]`;
      const bad = validateRulePath(hp.path, hp.pathType);
      if (bad !== undefined) {
        warn(ctx, ing, 'InvalidPath', `${field}.${bad}: path not served`);
        return;
      }
      const pathType = hp.pathType as PathType;
      const path = hp.path === undefined || hp.path === '' ? '/' : hp.path;
      const backend = resolveIngressBackend(ctx, ing, hp.backend, `${field}.backend`, p.serviceUpstream);
      if (backend === undefined) return;
      const key = `${path}|${pathType}`;
      const existing = server.byKey.get(key);
      if (existing !== undefined) {
        const owner = existing.ingress;
        warn(ctx, ing, 'Conflict', `${field}: path ${JSON.stringify(path)} (${pathType}) of host ${JSON.stringify(host === '' ? '*' : host)} is already served by Ingress ${owner?.namespace ?? ''}/${owner?.name ?? ''}: ignored`);
        return;
      }
      if (p.config.useRegex || (p.config.rewriteTarget !== undefined && p.config.rewriteTarget !== path)) server.regex = true;
      const loc: Location = {
        id: `${host === '' ? '_' : host}${path}|${pathType}`, host, path, pathType,
        matcher: { kind: 'exact', path }, // replaced in finishServer once the host's regex mode is known
        length: precedenceLength(path, pathType), ingress: ref, backend, config: p.config, isDefaultBackend: false,
      };
      if (p.denied !== undefined) loc.denied = p.denied;
      server.byKey.set(key, loc);
      server.locations.push(loc);
    });
  });
}

/** Step 3: a canary Ingress's paths become the alternative backend of the same host and path. */
function attachCanary(ctx: Context, ing: Ingress, p: ParsedAnnotations): void {
  const rules = p.canary;
  if (rules === undefined) return;
  const ref = refOf(ing);
  const attach = (loc: Location, backend: Backend) => {
    if (loc.canary !== undefined) {
      warn(ctx, ing, 'Conflict', `canary for ${JSON.stringify(loc.host === '' ? '*' : loc.host)} ${JSON.stringify(loc.path)} is already Ingress ${loc.canary.ingress.namespace}/${loc.canary.ingress.name} (at most one canary per path): ignored`);
      return;
    }
    if (loc.backend.key === backend.key) {
      warn(ctx, ing, 'Conflict', `canary backend ${backend.key} is the main backend of ${JSON.stringify(loc.host === '' ? '*' : loc.host)} ${JSON.stringify(loc.path)}: ignored`);
      return;
    }
    loc.canary = { ingress: ref, backend, rules };
  };
  if (ing.spec?.defaultBackend !== undefined) {
    const b = resolveIngressBackend(ctx, ing, ing.spec.defaultBackend, 'spec.defaultBackend', p.serviceUpstream);
    const cs = ctx.servers.get('');
    if (b !== undefined && cs?.fallback.ingress !== undefined) attach(cs.fallback, b);
  }
  (ing.spec?.rules ?? []).forEach((rule, ri) => {
    const host = (rule.host ?? '').toLowerCase();
    const server = ctx.servers.get(host);
    (rule.http?.paths ?? []).forEach((hp, pi) => {
      const field = `spec.rules[${ri}].http.paths[${pi}]`;
      const path = hp.path === undefined || hp.path === '' ? '/' : hp.path;
      const main = server === undefined ? undefined
        : server.byKey.get(`${path}|${hp.pathType ?? ''}`) ?? server.locations.find((l) => l.path === path);
      if (main === undefined) {
        warn(ctx, ing, 'NoMainIngress', `${field}: canary for host ${JSON.stringify(host === '' ? '*' : host)} path ${JSON.stringify(path)} has no main (non-canary) Ingress serving the same host and path: ignored`);
        return;
      }
      const b = resolveIngressBackend(ctx, ing, hp.backend, `${field}.backend`, p.serviceUpstream);
      if (b !== undefined) attach(main, b);
    });
  });
}

/** Step 4: matchers (regex mode per host), match order, cookie paths; returns the immutable Server. */
function finishServer(ctx: Context, s: ServerBuilder): Server {
  const exact = new Map<string, Location>();
  const ordered: Location[] = [];
  for (const loc of s.locations) {
    try {
      loc.matcher = buildMatcher(loc.path, loc.pathType, s.regex);
    } catch (err) {
      ctx.diagnostics.push({
        object: loc.ingress ?? { kind: 'Ingress', namespace: '', name: '' }, type: 'Warning', reason: 'InvalidPath',
        message: `path ${JSON.stringify(loc.path)} of host ${JSON.stringify(s.host === '' ? '*' : s.host)} is not a valid regular expression (use-regex or rewrite-target is set on this host): ${err instanceof Error ? err.message : String(err)}; path not served`,
      });
      continue;
    }
    if (loc.config.affinity !== undefined && loc.config.affinity.path === '') {
      loc.config = { ...loc.config, affinity: { ...loc.config.affinity, path: s.regex ? '/' : loc.path } };
    }
    if (loc.matcher.kind === 'exact') exact.set(loc.path, loc);
    else ordered.push(loc);
  }
  // Longest first; on equal length Prefix before ImplementationSpecific; then definition order (stable sort).
  ordered.sort((x, y) => y.length - x.length || pathTypeRank[x.pathType] - pathTypeRank[y.pathType]);
  const fb = s.fallback;
  if (fb.config.affinity !== undefined && fb.config.affinity.path === '') fb.config = { ...fb.config, affinity: { ...fb.config.affinity, path: '/' } };
  return { host: s.host, exact, ordered, regex: s.regex, fallback: fb, tls: s.tls };
}

/** Step 5: certificates from spec.tls of the served (non-canary) Ingresses; the first Ingress to claim a host wins. */
function addCertificates(ctx: Context, ing: Ingress, secrets: ReadonlyMap<string, Secret>): void {
  const ns = ing.metadata.namespace ?? '';
  const ruleHosts = (ing.spec?.rules ?? []).map((r) => (r.host ?? '').toLowerCase()).filter((h) => h !== '');
  (ing.spec?.tls ?? []).forEach((t, ti) => {
    const hosts = (t.hosts ?? []).length > 0 ? (t.hosts ?? []).map((h) => h.toLowerCase()) : ruleHosts;
    for (const h of hosts) {
      const server = ctx.servers.get(h);
      if (server !== undefined) server.tls = true;
    }
    if (t.secretName === undefined || t.secretName === '') {
      warn(ctx, ing, 'InvalidTLS', `spec.tls[${ti}].secretName: not set: hosts ${hosts.join(', ')} get the default certificate`);
      return;
    }
    const ref = `${ns}/${t.secretName}`;
    const c = certificateFromSecret(secrets.get(ref), ref);
    if ('error' in c) {
      warn(ctx, ing, 'InvalidTLS', `spec.tls[${ti}]: ${c.error}: hosts ${hosts.join(', ')} get the default certificate`);
      return;
    }
    let entry = ctx.certs.get(ref);
    if (entry === undefined) {
      entry = { secret: ref, cert: c.cert, key: c.key, version: c.version, hosts: [] };
      ctx.certs.set(ref, entry);
    }
    for (const h of hosts) {
      if (!certificateCovers(c.x509, h)) {
        warn(ctx, ing, 'InvalidTLS', `spec.tls[${ti}]: the certificate in secret ${ref} does not name host ${JSON.stringify(h)}: it gets the default certificate`);
        continue;
      }
      const owner = [...ctx.certs.values()].find((e) => e.hosts.includes(h));
      if (owner !== undefined) {
        if (owner.secret !== ref) warn(ctx, ing, 'Conflict', `spec.tls[${ti}]: host ${JSON.stringify(h)} already uses the certificate of secret ${owner.secret}: ignored`);
        continue;
      }
      entry.hosts.push(h);
    }
  });
}

function parseBackendRef(s: string): { namespace: string; service: string; port: number | string } | undefined {
  const m = /^([^/]+)\/([^:]+):(.+)$/.exec(s);
  if (m === null) return undefined;
  const port = m[3] ?? '';
  return { namespace: m[1] ?? '', service: m[2] ?? '', port: /^\d+$/.test(port) ? Number(port) : port };
}

function configMap(state: ClusterState, ref: string): ConfigMap | undefined {
  const [ns, name] = ref.split('/');
  return state.configMaps.find((c) => c.metadata.namespace === ns && c.metadata.name === name);
}

/** Compiles the cluster state into a route table, the events to record, and the Ingresses served. */
export function compile(state: ClusterState, opts: CompileOptions = {}): CompileResult {
  const idx = new ServiceIndex(state.services, state.endpointSlices);
  let defaultBackend = builtinDefaultBackend;
  if (opts.defaultBackendService !== undefined && opts.defaultBackendService !== '') {
    const r = parseBackendRef(opts.defaultBackendService);
    if (r !== undefined) defaultBackend = resolveBackend(idx, r.namespace, r.service, r.port);
  }
  const ctx: Context = {
    idx, opts, defaults: opts.defaults ?? ingressNginxDefaults, prefix: opts.annotationPrefix ?? defaultAnnotationPrefix,
    servers: new Map(), diagnostics: [], parsed: new Map(), aliases: [], certs: new Map(), defaultBackend,
  };
  newServer(ctx, '');
  const ingresses = selectIngresses(state, opts.controller ?? switchboardController);
  const served: ObjectRef[] = [];
  const mains: Ingress[] = [];
  const canaries: Ingress[] = [];
  for (const ing of ingresses) {
    const p = parseAnnotations(ing.metadata.annotations, ctx.defaults, ctx.prefix);
    ctx.parsed.set(ing, p);
    for (const f of p.findings) ctx.diagnostics.push({ object: refOf(ing), type: f.type, reason: f.reason, message: f.message });
    if (p.refused !== undefined) continue;
    if ((ing.spec?.rules ?? []).length === 0 && ing.spec?.defaultBackend === undefined) {
      warn(ctx, ing, 'InvalidIngress', 'spec: either rules or defaultBackend must be set: nothing to serve');
      continue;
    }
    served.push(refOf(ing));
    if (p.canary !== undefined) canaries.push(ing);
    else mains.push(ing);
  }
  for (const ing of mains) {
    const p = ctx.parsed.get(ing) as ParsedAnnotations;
    resolveAuthService(ctx, p);
    addMainIngress(ctx, ing, p);
  }
  for (const ing of canaries) attachCanary(ctx, ing, ctx.parsed.get(ing) as ParsedAnnotations);
  const secrets = new Map<string, Secret>();
  for (const s of state.secrets) secrets.set(`${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`, s);
  for (const ing of mains) addCertificates(ctx, ing, secrets);

  const hosts = new Map<string, Server>();
  const wildcards = new Map<string, Server>();
  let catchAll: Server | undefined;
  for (const [host, b] of ctx.servers) {
    const s = finishServer(ctx, b);
    if (host === '') catchAll = s;
    else if (host.startsWith('*.')) wildcards.set(host.slice(2), s);
    else hosts.set(host, s);
  }
  for (const { alias, host } of ctx.aliases) {
    const target = host.startsWith('*.') ? wildcards.get(host.slice(2)) : hosts.get(host);
    if (target === undefined || alias === host) continue;
    if (alias.startsWith('*.')) {
      if (!wildcards.has(alias.slice(2))) wildcards.set(alias.slice(2), target);
    } else if (!hosts.has(alias)) hosts.set(alias, target);
  }
  const wwwRedirects = new Map<string, string>();
  for (const [host, s] of hosts) {
    const wants = [...s.exact.values(), ...s.ordered].some((l) => l.config.fromToWwwRedirect);
    if (!wants) continue;
    const other = host.startsWith('www.') ? host.slice(4) : `www.${host}`;
    if (!hosts.has(other)) wwwRedirects.set(other, host);
  }

  const reserved = new Set(opts.reservedPorts ?? []);
  const tcp = compileL4(configMap(state, opts.tcpServicesConfigMap ?? 'ingress-nginx/tcp-services'), 'TCP', idx, reserved);
  const udp = compileL4(configMap(state, opts.udpServicesConfigMap ?? 'ingress-nginx/udp-services'), 'UDP', idx, reserved);
  ctx.diagnostics.push(...tcp.diagnostics, ...udp.diagnostics);

  const certificates: Certificate[] = [...ctx.certs.values()].filter((c) => c.hosts.length > 0)
    .map((c) => ({ secret: c.secret, version: c.version, cert: c.cert, key: c.key, hosts: c.hosts }));
  const table: RouteTable = {
    hosts, wildcards, catchAll: catchAll as Server, certificates, l4: [...tcp.services, ...udp.services], wwwRedirects,
  };
  return { table, diagnostics: ctx.diagnostics, served };
}
