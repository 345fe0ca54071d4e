// Ingress v1 path and host matching (kubernetes.io "Ingress" concept page, "Path types",
// "Examples", "Hostname wildcards"), and request path normalisation as nginx does it before
// choosing a location. Pure.
import type { PathMatcher, PathType } from './types.ts';

/** The `/`-separated elements of a path, empty elements dropped (so a trailing slash is ignored). */
export function pathElements(path: string): string[] {
  const out: string[] = [];
  for (const e of path.split('/')) if (e !== '') out.push(e);
  return out;
}

/** The precedence length of a rule path: its length without a trailing slash (`/` stays 1). */
export function precedenceLength(path: string, pathType: PathType): number {
  if (pathType === 'Exact') return path.length;
  if (path.length > 1 && path.endsWith('/')) return path.length - 1;
  return path.length;
}

/**
 * Builds the matcher for a rule path. With `regex` (use-regex or rewrite-target on the host),
 * Prefix and ImplementationSpecific paths become case-insensitive regexes anchored at the start,
 * as ingress-nginx's `location ~* "^path"`; Exact stays exact (ingress-nginx makes it a regex too;
 * we keep the Ingress spec). Throws a SyntaxError for a regex that does not compile.
 */
export function buildMatcher(path: string, pathType: PathType, regex: boolean): PathMatcher {
  if (pathType === 'Exact') return { kind: 'exact', path };
  if (regex) return { kind: 'regex', re: new RegExp(`^${path}`, 'i') };
  if (pathType === 'Prefix') return { kind: 'prefix', elements: pathElements(path) };
  return { kind: 'string-prefix', path };
}

/** Element-wise prefix test: every rule element equals the request element at the same index. */
function elementPrefix(rule: readonly string[], request: string): boolean {
  if (rule.length === 0) return true;
  let pos = 0;
  const n = request.length;
  for (const el of rule) {
    while (pos < n && request.charCodeAt(pos) === 47) pos++; // skip '/'
    if (!request.startsWith(el, pos)) return false;
    pos += el.length;
    if (pos < n && request.charCodeAt(pos) !== 47) return false; // element continues: /aaa/bbbxyz
  }
  return true;
}

/**
 * Tests a normalised request path against a matcher. Returns the regex match (capture groups for
 * rewrite-target) for regex matchers, `true` for others, `null` when it does not match.
 */
export function matchPath(m: PathMatcher, path: string): RegExpExecArray | true | null {
  switch (m.kind) {
    case 'exact': return path === m.path ? true : null;
    case 'prefix': return elementPrefix(m.elements, path) ? true : null;
    case 'string-prefix': return path.startsWith(m.path) ? true : null;
    case 'regex': return m.re.exec(path);
  }
}

/**
 * Normalises a Host header value for matching: lower case, no port, no trailing dot. IPv6 literals
 * keep their brackets. Returns '' for an empty host.
 */
export function normalizeHost(host: string | undefined): string {
  if (host === undefined || host === '') return '';
  let h = host;
  if (h.charCodeAt(0) === 91) { // '[' IPv6 literal
    const end = h.indexOf(']');
    h = end >= 0 ? h.slice(0, end + 1) : h;
  } else {
    const colon = h.indexOf(':');
    if (colon >= 0) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}

/** The wildcard key of a host (`foo.com` for `bar.foo.com`), or undefined when it has one label. */
export function wildcardSuffix(host: string): string | undefined {
  const dot = host.indexOf('.');
  if (dot <= 0 || dot === host.length - 1) return undefined;
  return host.slice(dot + 1);
}

/** True when a rule host (exact or `*.foo.com`) matches a normalised request host: a wildcard covers exactly one label. */
export function hostMatches(ruleHost: string, host: string): boolean {
  const r = ruleHost.toLowerCase();
  if (r.startsWith('*.')) return wildcardSuffix(host) === r.slice(2);
  return r === host;
}

/** Why a request target cannot be routed (answered 400). */
export class BadPathError extends Error {
  readonly code = 'ERR_BAD_PATH';
}

const hexVal = (c: number): number => {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
};

/**
 * Normalises the path of a request target the way nginx builds `$uri` before choosing a location:
 * percent-decoding (invalid escapes and NUL are refused), merging repeated slashes, resolving `.`
 * and `..` (going above the root is refused). Matching on the decoded path means `/%61dmin` meets
 * the rules of `/admin`. Returns the input itself when nothing needs to change (the common case).
 * Throws BadPathError.
 */
export function normalizePath(raw: string): string {
  if (raw.length === 0 || raw.charCodeAt(0) !== 47) throw new BadPathError(`request path must start with "/": ${JSON.stringify(raw.slice(0, 64))}`);
  let simple = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37 /* % */ || (c === 47 && i + 1 < raw.length && (raw.charCodeAt(i + 1) === 47 || raw.charCodeAt(i + 1) === 46))) {
      simple = false;
      break;
    }
  }
  if (simple) return raw;
  let decoded = raw;
  if (raw.includes('%')) {
    const bytes: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c === 37) {
        const h = hexVal(raw.charCodeAt(i + 1));
        const l = hexVal(raw.charCodeAt(i + 2));
        if (h < 0 || l < 0) throw new BadPathError('invalid percent-encoding in request path');
        const b = h * 16 + l;
        if (b === 0) throw new BadPathError('NUL in request path');
        bytes.push(b);
        i += 2;
      } else if (c < 128) {
        bytes.push(c);
      } else {
        for (const b of Buffer.from(raw[i] ?? '', 'utf8')) bytes.push(b);
      }
    }
    decoded = Buffer.from(bytes).toString('utf8');
  }
  const out: string[] = [];
  const parts = decoded.split('/');
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] ?? '';
    const last = i === parts.length - 1;
    if (p === '' && !last) continue; // merge slashes
    if (p === '.') {
      if (last) out.push('');
      continue;
    }
    if (p === '..') {
      if (out.length === 0) throw new BadPathError('request path goes above the root');
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(p);
  }
  return '/' + out.join('/');
}

/**
 * Validates a rule path as kube-apiserver does (pkg/apis/networking/validation): returns an error
 * message or undefined. Objects from a real API server are valid already; this guards other sources.
 */
export function validateRulePath(path: string | undefined, pathType: string | undefined): string | undefined {
  if (pathType !== 'Exact' && pathType !== 'Prefix' && pathType !== 'ImplementationSpecific') {
    return `pathType: Unsupported value: ${JSON.stringify(pathType ?? '')}: supported values: "Exact", "ImplementationSpecific", "Prefix"`;
  }
  const p = path ?? '';
  if (pathType === 'ImplementationSpecific') {
    if (p !== '' && !p.startsWith('/')) return `path: Invalid value: ${JSON.stringify(p)}: must be an absolute path`;
    return undefined;
  }
  if (!p.startsWith('/')) return `path: Invalid value: ${JSON.stringify(p)}: must be an absolute path`;
  for (const bad of ['//', '/./', '/../', '%2f', '%2F']) {
    if (p.includes(bad)) return `path: Invalid value: ${JSON.stringify(p)}: must not contain '${bad}'`;
  }
  for (const bad of ['/..', '/.']) {
    if (p.endsWith(bad)) return `path: Invalid value: ${JSON.stringify(p)}: cannot end with '${bad}'`;
  }
  return undefined;
}
