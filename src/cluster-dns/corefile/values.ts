// Values that Corefile arguments carry: zones (names or CIDRs), server block keys, Go-style
// durations, host:port addresses. Pure.
import { parseIPv4, parseIPv6 } from '../dns/ip.ts';
import { fqdn, lower } from '../dns/names.ts';

/**
 * A zone argument as a list of lower-case FQDNs. Names get their trailing dot; a CIDR becomes its
 * reverse zones (`10.96.0.0/12` → `96.10.in-addr.arpa.` ... `111.10.in-addr.arpa.`), expanded to the
 * next octet (IPv4) or nibble (IPv6) boundary as CoreDNS does. Throws on a malformed CIDR.
 */
export function normalizeZone(s: string): string[] {
  const slash = s.indexOf('/');
  if (slash < 0) return [lower(fqdn(s === '' ? '.' : s))];
  const ip = s.slice(0, slash);
  const bits = Number(s.slice(slash + 1));
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) {
    if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`invalid CIDR ${s}`);
    const whole = Math.ceil(bits / 8);
    const count = whole * 8 - bits;
    const zones: string[] = [];
    for (let k = 0; k < 1 << count; k++) {
      const octets = Array.from(v4.subarray(0, whole));
      if (whole > 0) {
        const last = octets[whole - 1] ?? 0;
        const mask = (0xff << count) & 0xff;
        octets[whole - 1] = (last & mask) + k;
      }
      zones.push(`${octets.reverse().join('.')}${whole > 0 ? '.' : ''}in-addr.arpa.`);
    }
    return zones;
  }
  const v6 = ip.includes(':') ? parseIPv6(ip) : undefined;
  if (v6 !== undefined) {
    if (!Number.isInteger(bits) || bits < 0 || bits > 128) throw new Error(`invalid CIDR ${s}`);
    const whole = Math.ceil(bits / 4);
    const count = whole * 4 - bits;
    const nibbles: number[] = [];
    for (let i = 0; i < 16; i++) nibbles.push((v6[i] ?? 0) >> 4, (v6[i] ?? 0) & 0xf);
    const zones: string[] = [];
    for (let k = 0; k < 1 << count; k++) {
      const n = nibbles.slice(0, whole);
      if (whole > 0) n[whole - 1] = ((n[whole - 1] ?? 0) & ((0xf << count) & 0xf)) + k;
      zones.push(`${n.reverse().map((x) => x.toString(16)).join('.')}${whole > 0 ? '.' : ''}ip6.arpa.`);
    }
    return zones;
  }
  throw new Error(`invalid CIDR ${s}`);
}

export interface ServerKey {
  /** As written. */
  key: string;
  /** Lower-case FQDN zones (one, or several for a CIDR key). */
  zones: string[];
  /** The port, or undefined when the key has none (the default DNS port then). */
  port: number | undefined;
}

/** Parses a server block key: `[dns://]ZONE[:PORT]`; other transports are refused. */
export function parseServerKey(key: string): ServerKey {
  let rest = key;
  const scheme = /^([a-z0-9+]+):\/\//i.exec(rest);
  if (scheme !== null) {
    const s = (scheme[1] ?? '').toLowerCase();
    if (s !== 'dns') throw new Error(`server block key ${key}: transport ${s}:// is not supported (only dns://)`);
    rest = rest.slice(scheme[0].length);
  }
  let port: number | undefined;
  const m = /^(.*):(\d+)$/.exec(rest);
  if (m !== null && !(m[1] ?? '').endsWith(':')) {
    const p = Number(m[2]);
    if (p > 65535) throw new Error(`server block key ${key}: port ${p} out of range`);
    port = p;
    rest = m[1] ?? '';
  }
  if (rest === '') rest = '.';
  return { key, zones: normalizeZone(rest), port };
}

const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration (`5s`, `1m30s`, `250ms`, `0`) into milliseconds; undefined when invalid. */
export function parseDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) return undefined;
    total += Number(m[1]) * (units[m[2] ?? ''] ?? 0);
    pos = re.lastIndex;
  }
  return pos === 0 ? undefined : total;
}

/** Go-style text of a duration in ms (`5s`, `1m30s`, `250ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 || h > 0 ? `${m}m` : ''}${s}s`;
}

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `:PORT`, `[v6]:PORT` or a bare host (with `defaultPort`). An empty host
 * means all interfaces (`0.0.0.0`), as Go's listeners do.
 */
export function parseHostPort(s: string, defaultPort: number): HostPort | undefined {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6 !== null) {
    const port = v6[2] === undefined ? defaultPort : Number(v6[2]);
    if (port > 65535) return undefined;
    return { host: v6[1] ?? '', port };
  }
  const i = s.lastIndexOf(':');
  if (i >= 0 && s.indexOf(':') === i) {
    const p = s.slice(i + 1);
    if (!/^\d+$/.test(p) || Number(p) > 65535) return undefined;
    const host = s.slice(0, i);
    return { host: host === '' ? '0.0.0.0' : host, port: Number(p) };
  }
  if (s === '') return undefined;
  return { host: s, port: defaultPort };
}
