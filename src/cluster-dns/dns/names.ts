// Domain names in presentation form (RFC 1035 §5.1): splitting with escapes, case folding,
// subdomain tests, reverse (in-addr.arpa / ip6.arpa) names. Pure.
//
// Names are strings with a trailing dot. Bytes outside printable ASCII and the characters `.`
// `\` `"` `(` `)` `;` `@` `$` and space inside a label are written `\DDD` or `\c`, so case folding
// only ever touches ASCII letters.
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.ts';

/** Lower-cases ASCII letters only (DNS comparisons are ASCII case-insensitive, RFC 4343). */
export function lower(name: string): string {
  return name.toLowerCase();
}

/** Adds the trailing dot when missing. */
export function fqdn(name: string): string {
  return name.endsWith('.') && !name.endsWith('\\.') ? name : `${name}.`;
}

/** Raw labels (one char per byte) of a presentation name; the root gives []. Throws on bad escapes. */
export function splitName(name: string): string[] {
  if (name === '.' || name === '') return [];
  if (!name.includes('\\')) {
    const s = name.endsWith('.') ? name.slice(0, -1) : name;
    return s.split('.');
  }
  const labels: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i] ?? '';
    if (c === '\\') {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const n = Number(d);
        if (n > 255) throw new Error(`bad escape \\${d} in ${name}`);
        cur += String.fromCharCode(n);
        i += 3;
      } else {
        const e = name[i + 1];
        if (e === undefined) throw new Error(`trailing backslash in ${name}`);
        cur += e;
        i += 1;
      }
    } else if (c === '.') {
      labels.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur !== '') labels.push(cur);
  return labels;
}

const special = new Set(['.', '\\', '"', '(', ')', ';', '@', '$', ' ']);

/** Presentation text of one raw label. */
export function escapeLabel(raw: string): string {
  let plain = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || special.has(raw[i] ?? '')) { plain = false; break; }
  }
  if (plain) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    const ch = raw[i] ?? '';
    if (special.has(ch) && c > 0x20) out += `\\${ch}`;
    else if (c <= 0x20 || c >= 0x7f) out += `\\${String(c).padStart(3, '0')}`;
    else out += ch;
  }
  return out;
}

/** The presentation name of raw labels, with the trailing dot (`.` for none). */
export function joinLabels(labels: readonly string[]): string {
  if (labels.length === 0) return '.';
  return `${labels.map(escapeLabel).join('.')}.`;
}

/** Number of labels (the root has 0). */
export function countLabels(name: string): number {
  return splitName(name).length;
}

/**
 * True when `child` equals `parent` or lies below it (label-aligned, case-insensitive). Both
 * names in presentation form with trailing dots.
 */
export function isSubdomain(child: string, parent: string): boolean {
  if (parent === '.') return true;
  const c = lower(child);
  const p = lower(parent);
  if (c === p) return true;
  if (!c.endsWith(p)) return false;
  const i = c.length - p.length - 1;
  if (c[i] !== '.') return false;
  // `a\.cluster.local.` is not below `cluster.local.`: the dot must not be escaped.
  let bs = 0;
  for (let j = i - 1; j >= 0 && c[j] === '\\'; j--) bs++;
  return bs % 2 === 0;
}

/** The most specific zone of `zones` containing `name` (zones in lower case), or undefined. */
export function matchZone(zones: readonly string[], name: string): string | undefined {
  let best: string | undefined;
  for (const z of zones) {
    if (isSubdomain(name, z) && (best === undefined || z.length > best.length)) best = z;
  }
  return best;
}

/** The part of `name` left of `zone` (no trailing dot); '' for the apex. Assumes isSubdomain. */
export function trimZone(name: string, zone: string): string {
  if (zone === '.') return name === '.' ? '' : name.slice(0, -1);
  if (name.length === zone.length) return '';
  return name.slice(0, name.length - zone.length - 1);
}

/** Joins a relative part and a zone (`web.default.svc` + `cluster.local.`). */
export function joinName(rel: string, zone: string): string {
  if (rel === '') return zone;
  return zone === '.' ? `${rel}.` : `${rel}.${zone}`;
}

/** The reverse name of an IP (`1.0.96.10.in-addr.arpa.`, 32 nibbles under `ip6.arpa.`), or undefined. */
export function reverseName(ip: string): string | undefined {
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) return `${v4[3]}.${v4[2]}.${v4[1]}.${v4[0]}.in-addr.arpa.`;
  const v6 = ip.includes(':') ? parseIPv6(ip) : undefined;
  if (v6 === undefined) return undefined;
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) {
    const b = v6[i] ?? 0;
    nibbles.push((b & 0xf).toString(16), (b >> 4).toString(16));
  }
  return `${nibbles.join('.')}.ip6.arpa.`;
}

/** 1 when `name` is under in-addr.arpa., 2 when under ip6.arpa., else 0. */
export function isReverse(name: string): 0 | 1 | 2 {
  const n = lower(name);
  if (n.endsWith('.in-addr.arpa.') || n === 'in-addr.arpa.') return 1;
  if (n.endsWith('.ip6.arpa.') || n === 'ip6.arpa.') return 2;
  return 0;
}

/** The IP a full reverse name stands for (canonical text), or '' when it is not a full one. */
export function addressFromReverse(name: string): string {
  const n = lower(name);
  if (n.endsWith('.in-addr.arpa.')) {
    const parts = n.slice(0, -'.in-addr.arpa.'.length).split('.');
    if (parts.length !== 4) return '';
    const ip = parts.reverse().join('.');
    const b = parseIPv4(ip);
    return b === undefined ? '' : formatIPv4(b);
  }
  if (n.endsWith('.ip6.arpa.')) {
    const parts = n.slice(0, -'.ip6.arpa.'.length).split('.');
    if (parts.length !== 32 || !parts.every((p) => /^[0-9a-f]$/.test(p))) return '';
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) {
      const lo = parseInt(parts[30 - i * 2] ?? '0', 16);
      const hi = parseInt(parts[31 - i * 2] ?? '0', 16);
      bytes[i] = (hi << 4) | lo;
    }
    return formatIPv6(bytes);
  }
  return '';
}
