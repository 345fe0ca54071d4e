// Semantic equality of API values, as apimachinery's equality.Semantic.DeepEqual compares decoded
// Go structs: a missing field, `null`, an empty list and an empty map are all the zero value, so
// `{labels: {}}` equals `{}`. Object key order never matters. Pure.

function isZero(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).every(isZero);
  return false;
}

/** Deep equality that treats absent, null, [] and {} alike (Go's nil-vs-empty rule). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
    for (const k of keys) if (!semanticEqual(ra[k], rb[k])) return false;
    return true;
  }
  return false;
}

/** JSON with object keys sorted at every level and undefined members dropped: a stable encoding. */
export function canonicalJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJSON(x))).join(',')}]`;
  const r = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(r).sort()) {
    const x = r[k];
    if (x === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJSON(x)}`);
  }
  return `{${parts.join(',')}}`;
}
