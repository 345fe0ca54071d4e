// ingress-nginx annotations (docs/user-guide/nginx-configuration/annotations.md) parsed into a
// LocationConfig and canary rules, with ingress-nginx's defaults and value syntax. Every annotation
// under the prefix is accounted for: supported, accepted without effect (nginx buffer tuning),
// unsupported (reported), access-restricting but unsupported (the Ingress's locations are denied,
// never served open), refused (nginx snippets: the Ingress is not served), or unknown (reported).
// Pure.
import { isIP } from 'node:net';
import type { AffinityConfig, CanaryRules, ExternalAuthConfig, LocationConfig, RateLimitConfig, BackendProtocol } from './types.ts';

export const defaultAnnotationPrefix = 'nginx.ingress.kubernetes.io';

/** Controller-wide defaults (ingress-nginx's ConfigMap values). */
export interface ControllerDefaults {
  sslRedirect: boolean;
  connectTimeoutMs: number;
  sendTimeoutMs: number;
  readTimeoutMs: number;
  nextUpstreamTries: number;
  bodySizeLimit: number;
  limitBurstMultiplier: number;
  limitStatus: number;
}

export const ingressNginxDefaults: ControllerDefaults = {
  sslRedirect: true,
  connectTimeoutMs: 5_000,
  sendTimeoutMs: 60_000,
  readTimeoutMs: 60_000,
  nextUpstreamTries: 3,
  bodySizeLimit: 1024 * 1024,
  limitBurstMultiplier: 5,
  limitStatus: 503,
};

/** Annotations we implement (names without the prefix). */
const supported = new Set([
  'rewrite-target', 'use-regex', 'ssl-redirect', 'force-ssl-redirect', 'app-root', 'permanent-redirect',
  'permanent-redirect-code', 'temporal-redirect', 'temporal-redirect-code', 'from-to-www-redirect', 'backend-protocol',
  'proxy-connect-timeout', 'proxy-send-timeout', 'proxy-read-timeout', 'proxy-next-upstream-tries', 'proxy-body-size',
  'affinity', 'affinity-mode', 'affinity-canary-behavior', 'session-cookie-name', 'session-cookie-path',
  'session-cookie-domain', 'session-cookie-samesite', 'session-cookie-conditional-samesite-none', 'session-cookie-expires',
  'session-cookie-max-age', 'session-cookie-secure', 'session-cookie-change-on-failure', 'whitelist-source-range',
  'allowlist-source-range', 'denylist-source-range', 'limit-rps', 'limit-rpm', 'limit-connections', 'limit-burst-multiplier',
  'limit-whitelist', 'limit-allowlist', 'auth-url', 'auth-method', 'auth-signin', 'auth-signin-redirect-param',
  'auth-response-headers', 'auth-request-redirect', 'auth-always-set-cookie', 'canary', 'canary-by-header',
  'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie', 'canary-weight', 'canary-weight-total',
  'upstream-vhost', 'x-forwarded-prefix', 'upstream-hash-by', 'load-balance', 'service-upstream', 'server-alias',
  'enable-access-log',
]);

/** nginx buffering and tuning knobs: accepted, no effect here (Node streams bodies). */
const noEffect = new Set([
  'proxy-buffering', 'proxy-buffer-size', 'proxy-buffers-number', 'proxy-request-buffering', 'proxy-max-temp-file-size',
  'client-body-buffer-size', 'proxy-http-version', 'http2-push-preload', 'enable-rewrite-log', 'preserve-trailing-slash',
  'ssl-prefer-server-ciphers', 'auth-keepalive', 'auth-keepalive-requests', 'auth-keepalive-timeout', 'auth-keepalive-share-vars',
]);

/** Snippets are raw nginx configuration: the Ingress is refused (ingress-nginx ≥ 1.9 refuses them by default too). */
const refused = new Set(['configuration-snippet', 'server-snippet', 'auth-snippet', 'stream-snippet', 'modsecurity-snippet']);

/** Access controls we do not implement: the Ingress's locations answer 503 instead of being served without them. */
const restrictingUnsupported = new Set([
  'auth-type', 'auth-secret', 'auth-secret-type', 'auth-realm', 'auth-tls-secret', 'auth-tls-verify-client',
  'auth-tls-verify-depth', 'auth-tls-match-cn', 'auth-tls-error-page', 'enable-modsecurity', 'enable-owasp-core-rules',
  'global-rate-limit', 'global-rate-limit-window', 'global-rate-limit-key', 'global-rate-limit-ignored-cidrs', 'satisfy',
]);

/** Other ingress-nginx annotations: reported as unsupported and ignored. */
const unsupportedKnown = new Set([
  'auth-cache-key', 'auth-cache-duration', 'auth-proxy-set-headers', 'auth-tls-pass-certificate-to-upstream',
  'client-max-body-size', 'connection-proxy-header', 'cors-allow-credentials', 'cors-allow-headers', 'cors-allow-methods',
  'cors-allow-origin', 'cors-expose-headers', 'cors-max-age', 'custom-headers', 'custom-http-errors', 'default-backend',
  'disable-proxy-intercept-errors', 'enable-cors', 'enable-influxdb', 'enable-opentelemetry', 'enable-opentracing',
  'fastcgi-index', 'fastcgi-params-configmap', 'influxdb-host', 'influxdb-measurement', 'influxdb-port', 'influxdb-server-name',
  'limit-rate', 'limit-rate-after', 'mirror-host', 'mirror-request-body', 'mirror-target', 'modsecurity-transaction-id',
  'opentelemetry-operation-name', 'opentelemetry-trust-incoming-span', 'opentracing-trust-incoming-span', 'proxy-cookie-domain',
  'proxy-cookie-path', 'proxy-next-upstream', 'proxy-next-upstream-timeout', 'proxy-redirect-from', 'proxy-redirect-to',
  'proxy-ssl-ciphers', 'proxy-ssl-name', 'proxy-ssl-protocols', 'proxy-ssl-secret', 'proxy-ssl-server-name', 'proxy-ssl-verify',
  'proxy-ssl-verify-depth', 'ssl-ciphers', 'ssl-passthrough', 'upstream-hash-by-subset', 'upstream-hash-by-subset-size',
  'secure-verify-ca-secret', 'grpc-backend', 'secure-backends',
]);

/** One finding about an Ingress's annotations, turned into an Event by the compiler. */
export interface AnnotationFinding {
  type: 'Normal' | 'Warning';
  reason: 'UnsupportedAnnotation' | 'UnknownAnnotation' | 'InvalidAnnotation' | 'AnnotationRefused' | 'AnnotationIgnored';
  message: string;
}

/** The parsed annotations of one Ingress. */
export interface ParsedAnnotations {
  config: LocationConfig;
  /** Present when `canary: "true"`. */
  canary?: CanaryRules;
  /** The Ingress must not be served at all (a snippet); the message says why. */
  refused?: string;
  /** Its locations answer 503 (an access control we cannot honour, or an invalid one); the message says why. */
  denied?: string;
  /** Extra host names for the Ingress's servers (server-alias). */
  serverAliases: string[];
  /** `service-upstream: "true"`: proxy to the Service's ClusterIP instead of its endpoints. */
  serviceUpstream: boolean;
  findings: AnnotationFinding[];
}

const trueWords = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const falseWords = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool, as ingress-nginx reads booleans. */
export function parseBool(v: string): boolean | undefined {
  const t = v.trim();
  if (trueWords.has(t)) return true;
  if (falseWords.has(t)) return false;
  return undefined;
}

/** A base-10 integer (strconv.Atoi). */
export function parseIntStrict(v: string): number | undefined {
  const t = v.trim();
  return /^[-+]?\d+$/.test(t) ? Number(t) : undefined;
}

/** An nginx size (`1m`, `512k`, `8M`, `1g`, bytes without unit); `0` = unlimited. */
export function parseSize(v: string): number | undefined {
  const m = /^(\d+)([kKmMgG]?)$/.exec(v.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  return n * mult;
}

/** Seconds as ingress-nginx's proxy timeouts take them (an integer; `5s` is accepted too). Returns ms. */
export function parseSeconds(v: string): number | undefined {
  const m = /^(\d+)s?$/.exec(v.trim());
  return m === null ? undefined : Number(m[1]) * 1000;
}

/** Validates a comma-separated list of IPs and CIDRs; returns the list or the first bad entry. */
export function parseCIDRList(v: string): { cidrs: string[] } | { bad: string } {
  const cidrs: string[] = [];
  for (const raw of v.split(',')) {
    const s = raw.trim();
    if (s === '') continue;
    const [ip = '', bits, extra] = s.split('/');
    const fam = isIP(ip);
    if (fam === 0 || extra !== undefined) return { bad: s };
    if (bits !== undefined) {
      if (!/^\d+$/.test(bits) || Number(bits) > (fam === 4 ? 32 : 128)) return { bad: s };
    }
    cidrs.push(s);
  }
  return { cidrs };
}

/** A URL of the form `http(s)://host[:port][/path][?query]` whose parts may hold nginx variables. */
export function parseLooseURL(v: string): { scheme: 'http' | 'https'; host: string; rest: string } | undefined {
  const m = /^(https?):\/\/([^/?#\s]+)([^\s]*)$/i.exec(v.trim());
  if (m === null) return undefined;
  return { scheme: (m[1] ?? 'http').toLowerCase() as 'http' | 'https', host: m[2] ?? '', rest: m[3] ?? '' };
}

/**
 * ingress-nginx's buildAuthSignURL: add `rd=$pass_access_scheme://$http_host$escaped_request_uri`
 * unless the URL already carries that parameter (`?` or `&` as the URL needs).
 */
export function buildAuthSignURL(signin: string, param: string): string {
  const q = signin.indexOf('?');
  if (q < 0) return `${signin}?${param}=$pass_access_scheme://$http_host$escaped_request_uri`;
  const query = signin.slice(q + 1).split('#')[0] ?? '';
  for (const kv of query.split('&')) {
    const eq = kv.indexOf('=');
    const k = eq < 0 ? kv : kv.slice(0, eq);
    const val = eq < 0 ? '' : kv.slice(eq + 1);
    if (k === param && val !== '') return signin;
  }
  if (query === '') return `${signin}${param}=$pass_access_scheme://$http_host$escaped_request_uri`;
  return `${signin}&${param}=$pass_access_scheme://$http_host$escaped_request_uri`;
}

const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses the annotations of one Ingress. `defaults` are the controller-wide values. Invalid values
 * fall back to the default with an InvalidAnnotation finding, except for access controls
 * (auth-url, source ranges), where an invalid value denies the locations (ingress-nginx: "Location denied").
 */
export function parseAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  defaults: ControllerDefaults = ingressNginxDefaults,
  prefix: string = defaultAnnotationPrefix,
): ParsedAnnotations {
  const findings: AnnotationFinding[] = [];
  const a = new Map<string, string>();
  const pfx = `${prefix}/`;
  const refusedNames: string[] = [];
  const restricting: string[] = [];
  const unsupportedNames: string[] = [];
  const unknownNames: string[] = [];
  const noEffectNames: string[] = [];
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (!k.startsWith(pfx)) continue;
    const name = k.slice(pfx.length);
    if (supported.has(name)) a.set(name, v);
    else if (refused.has(name)) refusedNames.push(name);
    else if (restrictingUnsupported.has(name)) restricting.push(name);
    else if (noEffect.has(name)) noEffectNames.push(name);
    else if (unsupportedKnown.has(name) || name.startsWith('influxdb-') || name.startsWith('global-rate-limit')) unsupportedNames.push(name);
    else unknownNames.push(name);
  }
  const full = (n: string) => `${pfx}${n}`;
  const list = (ns: string[]) => ns.sort().map(full).join(', ');
  if (unsupportedNames.length > 0) {
    findings.push({ type: 'Warning', reason: 'UnsupportedAnnotation', message: `${unsupportedNames.length === 1 ? 'annotation' : 'annotations'} ${list(unsupportedNames)} not supported by Switchboard: ignored` });
  }
  if (unknownNames.length > 0) {
    findings.push({ type: 'Warning', reason: 'UnknownAnnotation', message: `unknown ${unknownNames.length === 1 ? 'annotation' : 'annotations'} ${list(unknownNames)}: not an ingress-nginx annotation Switchboard knows (a typo?): ignored` });
  }
  if (noEffectNames.length > 0) {
    findings.push({ type: 'Normal', reason: 'AnnotationIgnored', message: `${list(noEffectNames)}: nginx tuning with no effect in Switchboard` });
  }
  let refusedMsg: string | undefined;
  if (refusedNames.length > 0) {
    refusedMsg = `${list(refusedNames)}: nginx configuration snippets are not supported (Switchboard does not run nginx); the Ingress is not served. Remove the ${refusedNames.length === 1 ? 'annotation' : 'annotations'} or express it with supported annotations`;
    findings.push({ type: 'Warning', reason: 'AnnotationRefused', message: refusedMsg });
  }
  let denied: string | undefined;
  const deny = (why: string) => { if (denied === undefined) denied = why; };
  if (restricting.length > 0) {
    const msg = `${list(restricting)}: access control not supported by Switchboard; the Ingress's paths answer 503 rather than being served without it`;
    findings.push({ type: 'Warning', reason: 'UnsupportedAnnotation', message: msg });
    deny(msg);
  }

  const invalid = (name: string, value: string, why: string, fallback: string) => {
    findings.push({ type: 'Warning', reason: 'InvalidAnnotation', message: `${full(name)}: invalid value ${JSON.stringify(value)}: ${why}; using ${fallback}` });
  };
  const bool = (name: string, def: boolean): boolean => {
    const v = a.get(name);
    if (v === undefined) return def;
    const b = parseBool(v);
    if (b === undefined) {
      invalid(name, v, 'must be "true" or "false"', String(def));
      return def;
    }
    return b;
  };
  const int = (name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const v = a.get(name);
    if (v === undefined) return def;
    const n = parseIntStrict(v);
    if (n === undefined || n < min || n > max) {
      invalid(name, v, `must be an integer${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > 0 ? ` of at least ${min}` : ''}`, String(def));
      return def;
    }
    return n;
  };
  const secs = (name: string, defMs: number): number => {
    const v = a.get(name);
    if (v === undefined) return defMs;
    const ms = parseSeconds(v);
    if (ms === undefined) {
      invalid(name, v, 'must be a number of seconds', `${defMs / 1000}`);
      return defMs;
    }
    return ms;
  };
  const str = (name: string): string | undefined => {
    const v = a.get(name)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };

  // Rewrite and regex.
  const rewriteTarget = str('rewrite-target');
  const useRegex = bool('use-regex', false);

  // Redirects.
  const sslRedirect = bool('ssl-redirect', defaults.sslRedirect);
  const forceSslRedirect = bool('force-ssl-redirect', false);
  const appRoot = str('app-root');
  let appRootOk: string | undefined;
  if (appRoot !== undefined) {
    if (appRoot.startsWith('/') || parseLooseURL(appRoot) !== undefined) appRootOk = appRoot;
    else invalid('app-root', appRoot, 'must be a path or an absolute URL', 'no app-root');
  }
  const redirect = (urlName: string, codeName: string, defCode: number, allowed: (c: number) => boolean) => {
    const url = str(urlName);
    if (url === undefined) return undefined;
    let code = defCode;
    const c = a.get(codeName);
    if (c !== undefined) {
      const n = parseIntStrict(c);
      if (n === undefined || !allowed(n)) invalid(codeName, c, 'must be a redirect status code', String(defCode));
      else code = n;
    }
    return { url, code };
  };
  const permanentRedirect = redirect('permanent-redirect', 'permanent-redirect-code', 301, (n) => n >= 300 && n <= 308);
  const temporalRedirect = redirect('temporal-redirect', 'temporal-redirect-code', 302, (n) => n >= 300 && n <= 308);
  const fromToWwwRedirect = bool('from-to-www-redirect', false);

  // Upstream protocol, timeouts, body size.
  let backendProtocol: BackendProtocol = 'HTTP';
  const bp = a.get('backend-protocol');
  if (bp !== undefined) {
    const u = bp.trim().toUpperCase();
    if (u === 'HTTP' || u === 'AUTO_HTTP') backendProtocol = 'HTTP';
    else if (u === 'HTTPS' || u === 'GRPC' || u === 'GRPCS') backendProtocol = u;
    else if (u === 'FCGI') {
      const msg = `${full('backend-protocol')}: FCGI is not supported by Switchboard; the Ingress's paths answer 503`;
      findings.push({ type: 'Warning', reason: 'UnsupportedAnnotation', message: msg });
      deny(msg);
    } else invalid('backend-protocol', bp, 'must be one of HTTP, HTTPS, AUTO_HTTP, GRPC, GRPCS, FCGI', 'HTTP');
  }
  const connectTimeoutMs = secs('proxy-connect-timeout', defaults.connectTimeoutMs);
  const sendTimeoutMs = secs('proxy-send-timeout', defaults.sendTimeoutMs);
  const readTimeoutMs = secs('proxy-read-timeout', defaults.readTimeoutMs);
  const nextUpstreamTries = int('proxy-next-upstream-tries', defaults.nextUpstreamTries, 0, 100) || 100; // nginx: 0 = unlimited
  let bodySizeLimit = defaults.bodySizeLimit;
  const bs = a.get('proxy-body-size');
  if (bs !== undefined) {
    const n = parseSize(bs);
    if (n === undefined) invalid('proxy-body-size', bs, 'must be an nginx size such as 8m, 512k or 0', `${defaults.bodySizeLimit} bytes`);
    else bodySizeLimit = n;
  }

  // Session affinity.
  let affinity: AffinityConfig | undefined;
  const aff = str('affinity');
  if (aff !== undefined) {
    if (aff !== 'cookie') invalid('affinity', aff, 'the only affinity type is "cookie"', 'no affinity');
    else {
      const mode = str('affinity-mode') ?? 'balanced';
      const canaryBehavior = str('affinity-canary-behavior') ?? 'sticky';
      const sameSite = str('session-cookie-samesite');
      const expires = str('session-cookie-expires');
      const maxAge = str('session-cookie-max-age');
      const secure = a.get('session-cookie-secure');
      affinity = {
        cookieName: str('session-cookie-name') ?? 'INGRESSCOOKIE',
        path: str('session-cookie-path') ?? '',
        conditionalSameSiteNone: bool('session-cookie-conditional-samesite-none', false),
        mode: mode === 'persistent' ? 'persistent' : 'balanced',
        changeOnFailure: bool('session-cookie-change-on-failure', false),
        canaryBehavior: canaryBehavior === 'legacy' ? 'legacy' : 'sticky',
      };
      if (mode !== 'balanced' && mode !== 'persistent') invalid('affinity-mode', mode, 'must be "balanced" or "persistent"', 'balanced');
      if (canaryBehavior !== 'sticky' && canaryBehavior !== 'legacy') invalid('affinity-canary-behavior', canaryBehavior, 'must be "sticky" or "legacy"', 'sticky');
      const domain = str('session-cookie-domain');
      if (domain !== undefined) affinity.domain = domain;
      if (sameSite !== undefined) {
        const norm = sameSite.charAt(0).toUpperCase() + sameSite.slice(1).toLowerCase();
        if (norm === 'None' || norm === 'Lax' || norm === 'Strict') affinity.sameSite = norm;
        else invalid('session-cookie-samesite', sameSite, 'must be None, Lax or Strict', 'no SameSite');
      }
      if (expires !== undefined) {
        const n = parseIntStrict(expires);
        if (n === undefined || n < 0) invalid('session-cookie-expires', expires, 'must be a number of seconds', 'a session cookie');
        else affinity.expiresSeconds = n;
      }
      if (maxAge !== undefined) {
        const n = parseIntStrict(maxAge);
        if (n === undefined || n < 0) invalid('session-cookie-max-age', maxAge, 'must be a number of seconds', 'a session cookie');
        else affinity.maxAgeSeconds = n;
      }
      if (secure !== undefined) {
        const b = parseBool(secure);
        if (b === undefined) invalid('session-cookie-secure', secure, 'must be "true" or "false"', 'Secure on HTTPS requests');
        else affinity.secure = b;
      }
    }
  }

  // Source ranges: invalid lists deny (never serve open what the author meant to restrict).
  const ranges = (name: string): string[] | undefined => {
    const v = a.get(name);
    if (v === undefined) return undefined;
    const r = parseCIDRList(v);
    if ('bad' in r) {
      const msg = `${full(name)}: invalid value ${JSON.stringify(v)}: ${JSON.stringify(r.bad)} is not an IP address or CIDR; the Ingress's paths answer 503`;
      findings.push({ type: 'Warning', reason: 'InvalidAnnotation', message: msg });
      deny(msg);
      return undefined;
    }
    return r.cidrs;
  };
  const allowNew = ranges('allowlist-source-range');
  const allowOld = ranges('whitelist-source-range');
  const allowSourceRange = allowNew ?? allowOld;
  const denySourceRange = ranges('denylist-source-range');

  // Rate limits.
  let rateLimit: RateLimitConfig | undefined;
  const rps = int('limit-rps', 0);
  const rpm = int('limit-rpm', 0);
  const conns = int('limit-connections', 0);
  if (rps > 0 || rpm > 0 || conns > 0) {
    const allowlistRaw = a.get('limit-allowlist') ?? a.get('limit-whitelist');
    let allowlist: string[] = [];
    if (allowlistRaw !== undefined) {
      const r = parseCIDRList(allowlistRaw);
      if ('bad' in r) invalid(a.has('limit-allowlist') ? 'limit-allowlist' : 'limit-whitelist', allowlistRaw, `${JSON.stringify(r.bad)} is not an IP address or CIDR`, 'no exemptions');
      else allowlist = r.cidrs;
    }
    rateLimit = { rps, rpm, connections: conns, burstMultiplier: int('limit-burst-multiplier', defaults.limitBurstMultiplier, 1), allowlist, status: defaults.limitStatus };
  }

  // External auth.
  let auth: ExternalAuthConfig | undefined;
  const authURL = str('auth-url');
  if (authURL !== undefined) {
    const u = parseLooseURL(authURL);
    if (u === undefined) {
      const msg = `${full('auth-url')}: invalid value ${JSON.stringify(authURL)}: must be an http or https URL; the Ingress's paths answer 503`;
      findings.push({ type: 'Warning', reason: 'InvalidAnnotation', message: msg });
      deny(msg);
    } else {
      const headers: string[] = [];
      for (const h of (a.get('auth-response-headers') ?? '').split(',')) {
        const t = h.trim();
        if (t === '') continue;
        if (!headerName.test(t)) invalid('auth-response-headers', t, 'not a header name', 'skipping it');
        else headers.push(t);
      }
      auth = { url: authURL, responseHeaders: headers, alwaysSetCookie: bool('auth-always-set-cookie', false), host: u.host };
      const method = str('auth-method');
      if (method !== undefined) {
        if (/^[A-Z]+$/.test(method)) auth.method = method;
        else invalid('auth-method', method, 'must be an HTTP method in capitals', 'GET');
      }
      const signin = str('auth-signin');
      if (signin !== undefined) {
        if (parseLooseURL(signin) === undefined && !signin.startsWith('/')) invalid('auth-signin', signin, 'must be an http or https URL', 'no sign-in redirect');
        else auth.signin = buildAuthSignURL(signin, str('auth-signin-redirect-param') ?? 'rd');
      }
      const rr = str('auth-request-redirect');
      if (rr !== undefined) auth.requestRedirect = rr;
    }
  }

  // Canary.
  let canary: CanaryRules | undefined;
  if (bool('canary', false)) {
    const total = int('canary-weight-total', 100, 0);
    const weightTotal = total <= 100 ? 100 : total; // values ≤ 100 are treated as 100 (ingress-nginx)
    const weight = int('canary-weight', 0, 0, weightTotal);
    canary = { weight, weightTotal };
    const byHeader = str('canary-by-header');
    if (byHeader !== undefined) {
      if (!headerName.test(byHeader)) invalid('canary-by-header', byHeader, 'not a header name', 'no header rule');
      else {
        canary.byHeader = byHeader;
        const hv = str('canary-by-header-value');
        if (hv !== undefined) canary.byHeaderValue = hv;
        const hp = str('canary-by-header-pattern');
        if (hp !== undefined && hv === undefined) {
          try {
            canary.byHeaderPattern = new RegExp(hp);
          } catch {
            canary.byHeaderPattern = 'invalid';
            findings.push({ type: 'Warning', reason: 'InvalidAnnotation', message: `${full('canary-by-header-pattern')}: ${JSON.stringify(hp)} is not a valid regular expression: requests are never sent to the canary by header` });
          }
        }
      }
    }
    const byCookie = str('canary-by-cookie');
    if (byCookie !== undefined) canary.byCookie = byCookie;
  } else {
    for (const n of ['canary-weight', 'canary-weight-total', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie']) {
      if (a.has(n)) findings.push({ type: 'Warning', reason: 'InvalidAnnotation', message: `${full(n)} has no effect without ${full('canary')}: "true"` });
    }
  }

  const lb = str('load-balance');
  if (lb !== undefined && lb !== 'round_robin') {
    findings.push({ type: 'Warning', reason: 'UnsupportedAnnotation', message: `${full('load-balance')}: ${JSON.stringify(lb)} is not supported by Switchboard: using round_robin` });
  }

  const config: LocationConfig = {
    useRegex, sslRedirect, forceSslRedirect, fromToWwwRedirect, backendProtocol,
    connectTimeoutMs, sendTimeoutMs, readTimeoutMs, nextUpstreamTries, bodySizeLimit,
    accessLog: bool('enable-access-log', true),
  };
  if (rewriteTarget !== undefined) config.rewriteTarget = rewriteTarget;
  if (appRootOk !== undefined) config.appRoot = appRootOk;
  if (permanentRedirect !== undefined) config.permanentRedirect = permanentRedirect;
  if (temporalRedirect !== undefined) config.temporalRedirect = temporalRedirect;
  if (affinity !== undefined) config.affinity = affinity;
  if (allowSourceRange !== undefined) config.allowSourceRange = allowSourceRange;
  if (denySourceRange !== undefined) config.denySourceRange = denySourceRange;
  if (rateLimit !== undefined) config.rateLimit = rateLimit;
  if (auth !== undefined) config.auth = auth;
  const headerValue = (name: string): string | undefined => {
    const v = str(name);
    if (v !== undefined && /[\r\n\0]/.test(v)) {
      invalid(name, v, 'a header value may not contain CR, LF or NUL', 'not setting it');
      return undefined;
    }
    return v;
  };
  const vhost = headerValue('upstream-vhost');
  if (vhost !== undefined) config.upstreamVhost = vhost;
  const xfp = headerValue('x-forwarded-prefix');
  if (xfp !== undefined) config.xForwardedPrefix = xfp;
  const hashBy = str('upstream-hash-by');
  if (hashBy !== undefined) config.upstreamHashBy = hashBy;

  const serverAliases = (a.get('server-alias') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const out: ParsedAnnotations = {
    config, serverAliases, findings,
    serviceUpstream: bool('service-upstream', false),
  };
  if (canary !== undefined) out.canary = canary;
  if (refusedMsg !== undefined) out.refused = refusedMsg;
  if (denied !== undefined) out.denied = denied;
  return out;
}
