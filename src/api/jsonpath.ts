// The "simple JSON path" subset that CRDs use for additionalPrinterColumns, selectableFields and
// the scale subresource: `.a.b`, `.a[0].b`, `.a['x.y']`, `.metadata.annotations.example\.com/k`,
// optionally wrapped in `{}`. Plus how upstream renders a found value as a Table cell. Pure.

export type PathStep = { kind: 'field'; name: string } | { kind: 'index'; index: number };

/** Parses a simple JSON path; undefined when it uses anything beyond fields and indexes. */
export function parseSimpleJSONPath(path: string): PathStep[] | undefined {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  if (p === '' || p === '.') return [];
  const steps: PathStep[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === '.') {
      i++;
      let name = '';
      while (i < p.length && p[i] !== '.' && p[i] !== '[') {
        if (p[i] === '\\' && i + 1 < p.length) {
          name += p[i + 1];
          i += 2;
        } else {
          name += p[i];
          i++;
        }
      }
      if (name === '') return undefined;
      steps.push({ kind: 'field', name });
    } else if (c === '[') {
      const close = p.indexOf(']', i);
      if (close < 0) return undefined;
      const inner = p.slice(i + 1, close).trim();
      i = close + 1;
      const quoted = /^'(.*)'$|^"(.*)"$/.exec(inner);
      if (quoted !== null) steps.push({ kind: 'field', name: quoted[1] ?? quoted[2] ?? '' });
      else if (/^-?[0-9]+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else return undefined;
    } else {
      return undefined;
    }
  }
  return steps;
}

/** Follows a path into a JSON value; `found: false` when a step is missing (upstream: AllowMissingKeys). */
export function evalSimpleJSONPath(root: unknown, path: string | PathStep[]): { found: boolean; value: unknown } {
  const steps = typeof path === 'string' ? parseSimpleJSONPath(path) : path;
  if (steps === undefined) return { found: false, value: undefined };
  let cur: unknown = root;
  for (const s of steps) {
    if (s.kind === 'field') {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, s.name)) return { found: false, value: undefined };
      cur = (cur as Record<string, unknown>)[s.name];
    } else {
      if (!Array.isArray(cur)) return { found: false, value: undefined };
      const idx = s.index < 0 ? cur.length + s.index : s.index;
      if (idx < 0 || idx >= cur.length) return { found: false, value: undefined };
      cur = cur[idx];
    }
  }
  return { found: true, value: cur };
}

/** Go's json.Marshal of a decoded JSON value: compact, map keys sorted. */
export function goJSON(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(goJSON).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${goJSON(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Go's %v of a JSON number as unstructured decoding yields it: integers as int64, others as %g float64. */
export function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const [mant = '', expStr = '0'] = n.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    const abs = Math.abs(exp);
    return `${mant}e${sign}${abs < 10 ? `0${abs}` : abs}`;
  }
  return String(n);
}

/** How the JSONPath printer writes a found value: strings raw, maps/slices as JSON, numbers/bools with %v. */
export function jsonPathText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  return goJSON(v);
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A CRD printer column cell as apiextensions' convertor builds it: `string` columns print the
 * value, `integer`/`number`/`boolean` keep typed values, `date` becomes an age; anything that
 * does not fit is null (an empty cell).
 */
export function cellForColumn(type: string, found: { found: boolean; value: unknown }, humanAge: (ts: string) => string): unknown {
  if (!found.found) return null;
  const value = found.value;
  if (type === 'string') return jsonPathText(value);
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      if (!rfc3339.test(value) || Number.isNaN(Date.parse(value))) return '<invalid>';
      return humanAge(value);
    default:
      return null;
  }
}
