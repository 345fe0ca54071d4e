// IP address and CIDR math for both families, with Go's parsing rules where Kubernetes uses them
// (k8s.io/utils/net ParseIPSloppy / ParseCIDRSloppy: IPv4 fields may carry leading zeros) and Go's
// net.IP.String() formatting (dotted IPv4, RFC 5952 IPv6). Addresses are bigints so one code path
// serves IPv4 and IPv6. Pure: no I/O.

export type IPFamilyNumber = 4 | 6;

/** A parsed address. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are IPv4, as Go's To4() makes them. */
export interface IP {
  family: IPFamilyNumber;
  value: bigint;
}

/** A parsed CIDR with its address masked to the network (`10.96.0.5/12` → `10.96.0.0/12`). */
export interface CIDR {
  family: IPFamilyNumber;
  network: bigint;
  prefix: number;
}

function bitsOf(family: IPFamilyNumber): number {
  return family === 4 ? 32 : 128;
}

/** Go's dtoi on a whole string: one or more decimal digits, no sign; undefined when not. */
function decimal(s: string, max: number): number | undefined {
  if (s.length === 0 || !/^[0-9]+$/.test(s)) return undefined;
  let n = 0;
  for (const ch of s) {
    n = n * 10 + (ch.charCodeAt(0) - 48);
    if (n > max) return undefined;
  }
  return n;
}

function parseIPv4Value(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    const n = decimal(p, 255);
    if (n === undefined) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6Value(s: string): bigint | undefined {
  if (s.includes('%')) return undefined; // zones are not IPs (net.ParseIP rejects them)
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const fields = part.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] ?? '';
      if (i === fields.length - 1 && f.includes('.')) {
        const v4 = parseIPv4Value(f);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(f)) return undefined;
      out.push(parseInt(f, 16));
    }
    return out;
  };
  // An embedded IPv4 part may only end the whole address.
  if (halves.length === 2 && (halves[0] ?? '').includes('.')) return undefined;
  const head = groups(halves[0] ?? '');
  if (head === undefined) return undefined;
  let all: number[];
  if (halves.length === 2) {
    const tail = groups(halves[1] ?? '');
    if (tail === undefined) return undefined;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    all = head;
  }
  if (all.length !== 8) return undefined;
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return v;
}

/** Parses an IPv4 or IPv6 address as ParseIPSloppy does; undefined when it is not one. */
export function parseIP(s: string): IP | undefined {
  if (s.includes(':')) {
    const v = parseIPv6Value(s);
    if (v === undefined) return undefined;
    if (v >> 32n === 0xffffn) return { family: 4, value: v & 0xffffffffn };
    return { family: 6, value: v };
  }
  const v4 = parseIPv4Value(s);
  return v4 === undefined ? undefined : { family: 4, value: v4 };
}

/** True when `s` parses as an IPv6 address that is not IPv4-mapped (netutils.IsIPv6String). */
export function isIPv6String(s: string): boolean {
  return parseIP(s)?.family === 6;
}

/** True when `s` parses as an IPv4 (or IPv4-mapped) address (netutils.IsIPv4String). */
export function isIPv4String(s: string): boolean {
  return parseIP(s)?.family === 4;
}

/** Go's net.IP.String(): dotted IPv4; IPv6 lowercase with the longest run of ≥2 zero groups as `::`. */
export function formatIP(ip: IP): string {
  if (ip.family === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number) => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(':');
  const left = groups.slice(0, bestStart).map(hex).join(':');
  const right = groups.slice(bestStart + bestLen).map(hex).join(':');
  return `${left}::${right}`;
}

/** The address `offset` after `ip` (no overflow check: callers stay inside a CIDR). */
export function addToIP(ip: IP, offset: bigint): IP {
  return { family: ip.family, value: ip.value + offset };
}

/** Parses `addr/prefix` as ParseCIDRSloppy does, masking the address to its network. */
export function parseCIDR(s: string): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  // Go decides the address length by the textual form: `::ffff:1.2.3.4/120` is a 128-bit CIDR.
  const family: IPFamilyNumber = addr.includes(':') ? 6 : 4;
  const value = family === 4 ? parseIPv4Value(addr) : parseIPv6Value(addr);
  const bits = bitsOf(family);
  const prefix = decimal(s.slice(slash + 1), bits);
  if (value === undefined || prefix === undefined) return undefined;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { family, network: value & mask, prefix };
}

/** `10.96.0.0/12`, as Go's IPNet.String() prints it. */
export function formatCIDR(c: CIDR): string {
  return `${formatIP({ family: c.family, value: c.network })}/${c.prefix}`;
}

/** Number of addresses in the CIDR (2^(bits-prefix)). */
export function cidrSize(c: CIDR): bigint {
  return 1n << BigInt(bitsOf(c.family) - c.prefix);
}

/** True when `ip` lies in `c` (same family). */
export function cidrContains(c: CIDR, ip: IP): boolean {
  if (ip.family !== c.family) return false;
  return ip.value >= c.network && ip.value < c.network + cidrSize(c);
}

/** The IP family name Kubernetes uses. */
export function familyName(f: IPFamilyNumber): 'IPv4' | 'IPv6' {
  return f === 4 ? 'IPv4' : 'IPv6';
}

// ---- Go's net.IP classification methods ----

export function isUnspecified(ip: IP): boolean {
  return ip.value === 0n;
}

export function isLoopback(ip: IP): boolean {
  return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n;
}

export function isLinkLocalUnicast(ip: IP): boolean {
  if (ip.family === 4) return ip.value >> 16n === 0xa9fen; // 169.254.0.0/16
  return ip.value >> 118n === 0x3fan; // fe80::/10
}

export function isLinkLocalMulticast(ip: IP): boolean {
  if (ip.family === 4) return ip.value >> 8n === 0xe00000n; // 224.0.0.0/24
  const top = Number(ip.value >> 112n); // first two bytes
  return top >> 8 === 0xff && (top & 0x0f) === 0x02; // ff02::/16 and other ffx2 scopes
}
