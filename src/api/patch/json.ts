// JSON value types and the small helpers every patch flavour needs. Pure: no I/O.
//
// Objects built here are plain `{}` objects. A key spelled `__proto__` is stored as an own
// property (never as the prototype), so a patch cannot reach Object.prototype.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own-property read: `undefined` when the key is absent (never an inherited member). */
export function getKey(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export function hasKey(obj: JsonObject, key: string): boolean {
  return Object.hasOwn(obj, key);
}

/** Own-property write that is safe for the key `__proto__`. */
export function setKey(obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

export function deleteKey(obj: JsonObject, key: string): void {
  if (Object.hasOwn(obj, key)) delete obj[key];
}

/** Deep copy of a JSON value. */
export function cloneJson<T extends JsonValue>(v: T): T;
export function cloneJson(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map((x) => cloneJson(x));
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) setKey(out, k, cloneJson(v[k] as JsonValue));
    return out;
  }
  return v;
}

/** Structural equality: object key order is ignored, array order is not. */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) {
      if (!Object.hasOwn(b, k) || !jsonEqual(a[k], b[k])) return false;
    }
    return true;
  }
  return false;
}

/**
 * A JSON copy of an in-memory object, as JSON.stringify + JSON.parse would make it but without
 * the text round trip: `undefined` members are dropped (`undefined` array elements become
 * `null`), non-finite numbers become `null`, `toJSON()` is honoured. Throws a plain Error for
 * values JSON cannot hold (functions, symbols, bigints, cycles).
 */
export function toJsonValue(v: unknown): JsonValue | undefined {
  return normalize(v, new Set<object>());
}

function normalize(v: unknown, seen: Set<object>): JsonValue | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v === undefined) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'object') throw new Error(`a ${typeof v} cannot be represented in JSON`);
  const withToJson = v as { toJSON?: unknown };
  if (typeof withToJson.toJSON === 'function') return normalize((withToJson.toJSON as () => unknown).call(v), seen);
  if (seen.has(v)) throw new Error('cyclic object cannot be represented in JSON');
  seen.add(v);
  try {
    if (Array.isArray(v)) return v.map((x: unknown) => normalize(x, seen) ?? null);
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalize(x, seen);
      if (n !== undefined) setKey(out, k, n);
    }
    return out;
  } finally {
    seen.delete(v);
  }
}

/** The JSON kind of a value, as used in error messages. */
export function jsonKind(v: JsonValue | undefined): 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' | 'undefined' {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v as 'string' | 'number' | 'boolean';
}
