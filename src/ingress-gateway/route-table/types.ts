import type { GatewayTable } from '../gateway/compile.ts';

// The compiled route table: what the data plane needs to answer a request, computed from Ingress,
// IngressClass, Service, EndpointSlice, Secret and ConfigMap objects by compile.ts. Pure types.

/** An object a route, certificate or diagnostic comes from. */
export interface ObjectRef {
  kind: 'Ingress' | 'ConfigMap' | 'Secret' | 'Service' | (string & {});
  namespace: string;
  name: string;
  uid?: string;
}

/** One ready endpoint of a Service port (an EndpointSlice address and port). */
export interface Endpoint {
  /** IP address (or a DNS name for ExternalName Services). */
  address: string;
  port: number;
  /** `address:port` (IPv6 in brackets): the key pools, affinity and passive health use. */
  key: string;
}

/** Why a backend cannot take traffic now; the data plane answers with `status` and says `reason`. */
export interface BackendProblem {
  status: 500 | 502 | 503;
  reason: string;
}

/** An upstream: one port of one Service and its ready endpoints. */
export interface Backend {
  /** `namespace/service:port` as written in the Ingress (port number or name). */
  key: string;
  namespace: string;
  service: string;
  /** The port as the Ingress names it (number or name). */
  port: number | string;
  endpoints: Endpoint[];
  /** Set when the backend cannot serve (no Service, no such port, no ready endpoints, ...). */
  problem?: BackendProblem;
}

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** How a location's path is compared with the request path. */
export type PathMatcher =
  | { kind: 'exact'; path: string }
  /** Ingress `Prefix`: element-wise (split on `/`, trailing slash ignored). */
  | { kind: 'prefix'; elements: readonly string[] }
  /** nginx's plain `location /path` (ImplementationSpecific without regex): a string prefix. */
  | { kind: 'string-prefix'; path: string }
  /** `location ~* "^path"` (use-regex / rewrite-target on the host): case-insensitive, anchored at the start. */
  | { kind: 'regex'; re: RegExp };

export type BackendProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'GRPCS';

export interface AffinityConfig {
  cookieName: string;
  /** Cookie Path; defaults to the location path (nginx's behaviour). */
  path: string;
  domain?: string;
  sameSite?: 'None' | 'Lax' | 'Strict';
  conditionalSameSiteNone: boolean;
  /** Expires, seconds from now. */
  expiresSeconds?: number;
  maxAgeSeconds?: number;
  /** Secure attribute; undefined = set when the request came over HTTPS. */
  secure?: boolean;
  mode: 'balanced' | 'persistent';
  changeOnFailure: boolean;
  /** `sticky` (default): a request affinitized to the canary stays there; `legacy` ignores affinity for canaries. */
  canaryBehavior: 'sticky' | 'legacy';
}

export interface RateLimitConfig {
  /** Requests per second per client IP (nginx limit_req rate), 0 = none. */
  rps: number;
  /** Requests per minute per client IP, 0 = none. */
  rpm: number;
  /** Concurrent connections per client IP, 0 = none. */
  connections: number;
  /** burst = limit × multiplier (ingress-nginx `limit-burst-multiplier`, default 5). */
  burstMultiplier: number;
  /** Clients exempt from the limits (CIDRs). */
  allowlist: readonly string[];
  /** Status for requests over a limit (default 503). */
  status: number;
}

export interface ExternalAuthConfig {
  /** The auth endpoint; may contain nginx variables (`$host`, ...). */
  url: string;
  /** Subrequest method; GET when unset. With a method, X-Original-URI and X-Scheme are also sent. */
  method?: string;
  /** Sign-in URL with the redirect parameter already added (ingress-nginx's buildAuthSignURL); may contain variables. */
  signin?: string;
  /** Auth response headers copied onto the upstream request. */
  responseHeaders: readonly string[];
  /** X-Auth-Request-Redirect value (default: the request URI); may contain variables. */
  requestRedirect?: string;
  /** Copy the auth response's Set-Cookie onto every response, not only successful ones. */
  alwaysSetCookie: boolean;
  /** The auth URL's host and port as written (the subrequest's Host header). */
  host: string;
  /**
   * When the auth URL names a cluster Service (`svc.ns.svc.cluster.local`, `svc.ns.svc`, `svc.ns`),
   * its endpoints: the subrequest goes straight to them, no cluster DNS needed on the host.
   */
  backend?: Backend;
}

export interface RedirectConfig {
  url: string;
  code: number;
}

/** Everything the ingress-nginx annotations of an Ingress say about its locations (defaults applied). */
export interface LocationConfig {
  rewriteTarget?: string;
  useRegex: boolean;
  sslRedirect: boolean;
  forceSslRedirect: boolean;
  appRoot?: string;
  permanentRedirect?: RedirectConfig;
  temporalRedirect?: RedirectConfig;
  fromToWwwRedirect: boolean;
  backendProtocol: BackendProtocol;
  connectTimeoutMs: number;
  sendTimeoutMs: number;
  readTimeoutMs: number;
  /** Tries in total (first + retries) on connection errors, nginx proxy_next_upstream_tries. */
  nextUpstreamTries: number;
  /** Largest request body in bytes; 0 = unlimited. */
  bodySizeLimit: number;
  affinity?: AffinityConfig;
  /** Allowed client CIDRs (allowlist-source-range); absent = everyone. */
  allowSourceRange?: readonly string[];
  /** Denied client CIDRs (denylist-source-range). */
  denySourceRange?: readonly string[];
  rateLimit?: RateLimitConfig;
  auth?: ExternalAuthConfig;
  /** Host header sent upstream instead of the client's (upstream-vhost). */
  upstreamVhost?: string;
  /** X-Forwarded-Prefix header value (x-forwarded-prefix). */
  xForwardedPrefix?: string;
  /** `upstream-hash-by`: nginx variable text whose value picks the endpoint consistently. */
  upstreamHashBy?: string;
  /** `enable-access-log: "false"` turns the access log off for these locations. */
  accessLog: boolean;
}

/** Canary (ingress-nginx "alternative backend") rules: header → cookie → weight. */
export interface CanaryRules {
  byHeader?: string;
  byHeaderValue?: string;
  /** A header pattern; `invalid` when it did not compile (then never canary, as ingress-nginx). */
  byHeaderPattern?: RegExp | 'invalid';
  byCookie?: string;
  /** 0..weightTotal. */
  weight: number;
  weightTotal: number;
}

export interface Canary {
  ingress: ObjectRef;
  backend: Backend;
  rules: CanaryRules;
}

/** One routable path of a host: ingress-nginx's `location`. */
export interface Location {
  /** `host` + path + pathType, unique within the table (metrics, logs, tests). */
  id: string;
  /** The server's host (`''` for the catch-all server). */
  host: string;
  /** The path as written in the Ingress (`/` for fallbacks). */
  path: string;
  pathType: PathType;
  matcher: PathMatcher;
  /** Length used for precedence (normalised path length). */
  length: number;
  /** The Ingress it comes from; absent for the controller's default backend. */
  ingress?: ObjectRef;
  backend: Backend;
  canary?: Canary;
  config: LocationConfig;
  /** Set when the location must not be served (an invalid security annotation): answered 503, as ingress-nginx's "Location denied". */
  denied?: string;
  /** True for the server's fallback (defaultBackend or the controller's default backend). */
  isDefaultBackend: boolean;
}

/** The routes of one host: ingress-nginx's `server`. */
export interface Server {
  /** Lower-case host, `*.foo.com` for wildcards, `''` for the catch-all server. */
  host: string;
  /** Exact locations by path. */
  exact: ReadonlyMap<string, Location>;
  /** Non-exact locations in match order (longest first; Prefix before ImplementationSpecific on ties). */
  ordered: readonly Location[];
  /** True when some Ingress of this host asks for regex paths (use-regex or rewrite-target). */
  regex: boolean;
  /** Used when no location matches. */
  fallback: Location;
  /** True when a `tls` entry covers this host (ssl-redirect applies). */
  tls: boolean;
}

/** A TLS certificate from a `kubernetes.io/tls` Secret, chosen by SNI for `hosts`. */
export interface Certificate {
  /** `namespace/name` of the Secret. */
  secret: string;
  /** Changes when the Secret's data changes (hot reload of a cached SecureContext). */
  version: string;
  cert: string;
  key: string;
  /** Lower-case SNI names (exact or `*.foo.com`) this certificate serves. */
  hosts: readonly string[];
}

/** An L4 port from the tcp-services / udp-services ConfigMaps. */
export interface L4Service {
  protocol: 'TCP' | 'UDP';
  /** The port the controller listens on. */
  port: number;
  backend: Backend;
  /** Decode PROXY protocol on the listening side (3rd field). */
  proxyProtocolDecode: boolean;
  /** Send PROXY protocol to the upstream (4th field). */
  proxyProtocolEncode: boolean;
}

/** A Kubernetes Event to record about an object. */
export interface Diagnostic {
  object: ObjectRef;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The whole table. Immutable once compiled; the data plane swaps tables atomically. */
export interface RouteTable {
  /** Servers by exact lower-case host. */
  hosts: ReadonlyMap<string, Server>;
  /** Wildcard servers by the suffix after `*.` (`foo.com` for `*.foo.com`). */
  wildcards: ReadonlyMap<string, Server>;
  /** Host-less rules (nginx's `_` server). */
  catchAll: Server;
  certificates: readonly Certificate[];
  l4: readonly L4Service[];
  /** from-to-www-redirect: host → the host it redirects to (308 to `www.` or back). */
  wwwRedirects: ReadonlyMap<string, string>;
  /** Gateway API routes (HTTPRoutes on our Gateways), consulted for hosts no Ingress server names. */
  gateway?: GatewayTable;
}

/** What compile() returns beside the table: events to record and the Ingresses served. */
export interface CompileResult {
  table: RouteTable;
  diagnostics: Diagnostic[];
  /** Ingresses whose routes are in the table (status.loadBalancer is written on these). */
  served: ObjectRef[];
}
