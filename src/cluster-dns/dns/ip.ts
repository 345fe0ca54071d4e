// IPv4/IPv6 text ↔ bytes, canonical IPv6 text (RFC 5952). Pure.

/** The 4 bytes of a dotted-quad IPv4 address, or undefined. Leading zeros are refused (as Go's net.ParseIP). */
export function parseIPv4(s: string): Uint8Array | undefined {
  if (s.length < 7 || s.length > 15) return undefined;
  const out = new Uint8Array(4);
  let part = 0;
  let digits = 0;
  let v = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = v;
      digits = 0;
      v = 0;
      continue;
    }
    if (c < 0x30 || c > 0x39) return undefined;
    if (digits > 0 && v === 0) return undefined; // leading zero
    v = v * 10 + (c - 0x30);
    digits++;
    if (v > 255) return undefined;
  }
  return part === 4 ? out : undefined;
}

/** The 16 bytes of an IPv6 address (with `::` and an optional trailing dotted quad), or undefined. */
export function parseIPv6(s: string): Uint8Array | undefined {
  if (s.length < 2 || s.length > 45 || s.includes('%')) return undefined;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const parseGroups = (part: string, allowV4: boolean): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] ?? '';
      if (allowV4 && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = parseGroups(head, dbl < 0);
  const t = parseGroups(tail, true);
  if (h === undefined || t === undefined) return undefined;
  const total = h.length + t.length;
  if (dbl < 0 ? total !== 8 : total > 7) return undefined;
  const words = [...h, ...new Array<number>(8 - total).fill(0), ...t];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const w = words[i] ?? 0;
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  }
  return out;
}

/** Dotted-quad text of 4 bytes. */
export function formatIPv4(b: Uint8Array, off = 0): string {
  return `${b[off] ?? 0}.${b[off + 1] ?? 0}.${b[off + 2] ?? 0}.${b[off + 3] ?? 0}`;
}

/** RFC 5952 text of 16 bytes: lower case, longest run (≥2) of zero groups as `::`, first on ties. */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[off + i * 2] ?? 0) << 8) | (b[off + i * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (x: number | undefined) => (x ?? 0).toString(16);
  if (bestStart < 0) return w.map(hex).join(':');
  return `${w.slice(0, bestStart).map(hex).join(':')}::${w.slice(bestStart + bestLen).map(hex).join(':')}`;
}

/** 4 for IPv4 text, 6 for IPv6 text, 0 otherwise. */
export function ipFamily(s: string): 0 | 4 | 6 {
  if (parseIPv4(s) !== undefined) return 4;
  if (s.includes(':') && parseIPv6(s) !== undefined) return 6;
  return 0;
}

/** The canonical text of an IP (IPv6 per RFC 5952), or undefined when `s` is not one. */
export function canonicalIP(s: string): string | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return formatIPv4(v4);
  if (!s.includes(':')) return undefined;
  const v6 = parseIPv6(s);
  return v6 === undefined ? undefined : formatIPv6(v6);
}
