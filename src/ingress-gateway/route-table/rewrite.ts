// rewrite-target (ingress-nginx docs/examples/rewrite): nginx `rewrite "(?i)<path>" <target> break;`
// replaces the whole URI with the target, `$1`..`$9` taken from the location's regex match; the
// original query string is kept (appended after `&` when the target has its own, dropped when the
// target ends with `?`). Pure.
import { expand, type RequestVars } from './nginx-vars.ts';

/** Percent-encodes what may not appear in a path (spaces, controls, non-ASCII, `"<>\^`{|}`); `%` is left alone. */
export function encodePathChars(p: string): string {
  let out = '';
  for (const ch of p) {
    const c = ch.codePointAt(0) ?? 0;
    if (c > 0x20 && c < 0x7f && !'"<>\\^`{|}#'.includes(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The request target sent upstream after rewrite-target. */
export function rewriteTarget(target: string, vars: RequestVars): string {
  let result = expand(target, vars);
  if (result === '') result = '/';
  const q = result.indexOf('?');
  if (q < 0) return encodePathChars(result) + (vars.args === '' ? '' : `?${vars.args}`);
  const path = encodePathChars(result.slice(0, q));
  const own = result.slice(q + 1);
  if (own === '') return path; // trailing `?`: original args dropped
  return `${path}?${own}${vars.args === '' ? '' : `&${vars.args}`}`;
}
