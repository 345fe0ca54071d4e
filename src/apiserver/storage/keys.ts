// Key order and prefix ranges shared by the backends. Keys sort by Unicode code point, which is the
// byte order of their UTF-8 encoding: the order SQLite's BINARY collation and etcd use. JavaScript's
// `<` compares UTF-16 code units instead, which differs for characters beyond U+FFFF.

/** Compares two keys by code point (= UTF-8 byte order); negative, zero or positive like a sort comparator. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800–DFFF, astral code points) must sort after E000–FFFF: shift both ranges.
    if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
    return x - y;
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Returns the smallest string greater than every string that starts with `prefix` (its last code
 * point incremented), or undefined when there is none (empty prefix): keys with the prefix are
 * exactly those in [prefix, prefixEnd(prefix)).
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix);
  for (let last = points.pop(); last !== undefined; last = points.pop()) {
    const cp = last.codePointAt(0) ?? 0;
    if (cp < 0x10ffff) return points.join('') + String.fromCodePoint(cp + 1 === 0xd800 ? 0xe000 : cp + 1);
  }
  return undefined;
}

/** Index of the first element of the sorted array `keys` that is >= `key` (keys.length if none). */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid] as string, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
