// nginx variables in annotation values (`auth-signin: https://auth/start?rd=$scheme://$host$request_uri`,
// `rewrite-target: /$2`, `upstream-hash-by: $arg_user`): parsed once into parts, expanded per
// request from a RequestVars. Pure.

/** The request facts variables are taken from. */
export interface RequestVars {
  scheme: 'http' | 'https';
  /** Host header as sent (`$http_host`). */
  httpHost: string;
  /** Normalised host (`$host`). */
  host: string;
  method: string;
  /** Request target as received, path and query (`$request_uri`). */
  requestURI: string;
  /** Normalised path (`$uri`). */
  uri: string;
  /** Query without `?` (`$args`). */
  args: string;
  remoteAddr: string;
  serverPort: number;
  requestId: string;
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  /** Regex captures of the location match (`$1`..`$9`). */
  captures?: RegExpExecArray | null;
}

type Part = string | { v: string } | { n: number };

const cache = new Map<string, Part[]>();

/** Variables this expander knows (prefixes `http_`, `cookie_`, `arg_` take any suffix). */
const known = new Set([
  'scheme', 'pass_access_scheme', 'host', 'http_host', 'best_http_host', 'server_name', 'request_uri', 'escaped_request_uri',
  'uri', 'document_uri', 'args', 'query_string', 'is_args', 'request_method', 'remote_addr', 'server_port', 'pass_port',
  'pass_server_port', 'request_id', 'req_id',
]);

/** Splits a template into literal text, variables and capture references. */
export function parseTemplate(text: string): Part[] {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$') {
      lit += c;
      continue;
    }
    let name = '';
    let j = i + 1;
    if (text[j] === '{') {
      const end = text.indexOf('}', j);
      if (end < 0) {
        lit += c;
        continue;
      }
      name = text.slice(j + 1, end);
      j = end + 1;
    } else if (/[0-9]/.test(text[j] ?? '')) {
      name = text[j] ?? '';
      j++;
    } else {
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j] ?? '')) name += text[j++];
    }
    if (name === '') {
      lit += c;
      continue;
    }
    if (lit !== '') parts.push(lit);
    lit = '';
    parts.push(/^\d$/.test(name) ? { n: Number(name) } : { v: name });
    i = j - 1;
  }
  if (lit !== '') parts.push(lit);
  if (cache.size > 10_000) cache.clear();
  cache.set(text, parts);
  return parts;
}

/** Variables in `text` that this expander does not know (reported at compile time). */
export function unknownVariables(text: string): string[] {
  const out: string[] = [];
  for (const p of parseTemplate(text)) {
    if (typeof p === 'object' && 'v' in p && !known.has(p.v) && !/^(http|cookie|arg)_./.test(p.v)) out.push(`$${p.v}`);
  }
  return out;
}

/** set-misc's set_escape_uri: everything but unreserved characters is percent-encoded. */
export function escapeURIComponentStrict(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function variable(name: string, r: RequestVars): string {
  switch (name) {
    case 'scheme':
    case 'pass_access_scheme': return r.scheme;
    case 'host':
    case 'server_name': return r.host;
    case 'http_host':
    case 'best_http_host': return r.httpHost;
    case 'request_uri': return r.requestURI;
    case 'escaped_request_uri': return escapeURIComponentStrict(r.requestURI);
    case 'uri':
    case 'document_uri': return r.uri;
    case 'args':
    case 'query_string': return r.args;
    case 'is_args': return r.args === '' ? '' : '?';
    case 'request_method': return r.method;
    case 'remote_addr': return r.remoteAddr;
    case 'server_port':
    case 'pass_port':
    case 'pass_server_port': return String(r.serverPort);
    case 'request_id':
    case 'req_id': return r.requestId;
  }
  if (name.startsWith('http_')) return r.header(name.slice(5).replaceAll('_', '-')) ?? '';
  if (name.startsWith('cookie_')) return r.cookie(name.slice(7)) ?? '';
  if (name.startsWith('arg_')) {
    const want = name.slice(4);
    for (const kv of r.args.split('&')) {
      const eq = kv.indexOf('=');
      if ((eq < 0 ? kv : kv.slice(0, eq)) === want) return eq < 0 ? '' : kv.slice(eq + 1);
    }
    return '';
  }
  return '';
}

/** Expands a template; unknown variables and missing captures expand to ''. */
export function expand(text: string, r: RequestVars): string {
  if (!text.includes('$')) return text;
  let out = '';
  for (const p of parseTemplate(text)) {
    if (typeof p === 'string') out += p;
    else if ('n' in p) out += r.captures?.[p.n] ?? '';
    else out += variable(p.v, r);
  }
  return out;
}
