// HTTPRoute filters (apis/v1/httproute_types.go; ../shared/reference/l7.md §3.6): header modifiers
// on a flat `[name, value, ...]` list, ReplacePrefixMatch / ReplaceFullPath, and RequestRedirect's
// Location. Pure.
import { encodePathChars } from '../route-table/rewrite.ts';
import { pathElements } from '../route-table/path.ts';
import type { HTTPHeaderFilter, HTTPPathModifier } from './api.ts';

/**
 * Applies a header modifier in place: `set` replaces every value of a name, `add` appends
 * (joined to an existing value with `,`), `remove` deletes; names compare case-insensitively.
 */
export function modifyHeaders(list: string[], f: HTTPHeaderFilter): void {
  const drop = (name: string) => {
    const ln = name.toLowerCase();
    for (let i = list.length - 2; i >= 0; i -= 2) if ((list[i] ?? '').toLowerCase() === ln) list.splice(i, 2);
  };
  for (const h of f.set ?? []) {
    drop(h.name);
    list.push(h.name, h.value);
  }
  for (const h of f.add ?? []) {
    const ln = h.name.toLowerCase();
    let done = false;
    for (let i = 0; i < list.length; i += 2) {
      if ((list[i] ?? '').toLowerCase() === ln) {
        list[i + 1] = `${list[i + 1] ?? ''},${h.value}`;
        done = true;
        break;
      }
    }
    if (!done) list.push(h.name, h.value);
  }
  for (const n of f.remove ?? []) drop(n);
}

/**
 * ReplacePrefixMatch: the matched prefix (element-wise) is replaced, the rest kept; trailing slashes
 * of prefix and replacement do not double up (the normative table in l7.md §3.6).
 */
export function replacePrefix(path: string, prefix: string, replacement: string): string {
  const n = pathElements(prefix).length;
  // The remainder after `n` elements of the request path, with its leading slash.
  let pos = 0;
  for (let k = 0; k < n; k++) {
    while (path.charCodeAt(pos) === 47) pos++;
    const next = path.indexOf('/', pos);
    pos = next < 0 ? path.length : next;
  }
  const rest = path.slice(pos);
  const repl = replacement.replace(/\/+$/, '');
  const out = repl + rest;
  return out === '' ? '/' : out.startsWith('/') ? out : `/${out}`;
}

/** The rewritten path for a path modifier; `prefix` is the rule's PathPrefix match value. */
export function rewritePath(path: string, m: HTTPPathModifier, prefix: string | undefined): string {
  if (m.type === 'ReplaceFullPath') return m.replaceFullPath ?? '/';
  if (m.type === 'ReplacePrefixMatch' && prefix !== undefined) return replacePrefix(path, prefix, m.replacePrefixMatch ?? '');
  return path;
}

/**
 * RequestRedirect's Location: scheme (default the request's), hostname (default the request's),
 * port (given; else the scheme's well-known port when a scheme is given; else the port the request
 * came in on), path (modified or the request's), the query kept; `:80` / `:443` omitted for their scheme.
 */
export function redirectLocation(
  req: { scheme: 'http' | 'https'; host: string; port: number; path: string; query: string },
  r: { scheme?: string; hostname?: string; port?: number; path?: HTTPPathModifier },
  prefix: string | undefined,
): string {
  const scheme = r.scheme ?? req.scheme;
  const host = r.hostname ?? req.host;
  let port: number;
  if (r.port !== undefined) port = r.port;
  else if (r.scheme !== undefined) port = scheme === 'https' ? 443 : 80;
  else port = req.port;
  const showPort = !((scheme === 'http' && port === 80) || (scheme === 'https' && port === 443));
  const path = r.path !== undefined ? rewritePath(req.path, r.path, prefix) : req.path;
  return `${scheme}://${host}${showPort ? `:${port}` : ''}${encodePathChars(path)}${req.query === '' ? '' : `?${req.query}`}`;
}
