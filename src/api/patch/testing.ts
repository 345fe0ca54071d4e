// Helpers for this folder's tests: a seeded random generator, random JSON objects, and a JSON
// merge patch generator (the diff that turns one object into another). Not used by the server.

import { type JsonObject, type JsonValue, hasKey, isJsonObject, jsonEqual, setKey } from './json.ts';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'b', 'c', 'd', 'name', 'spec', 'x-y', 'a/b', 'm~n'];

/** A random scalar (never null: merge patches cannot set a member to null). */
function randomScalar(rand: () => number): JsonValue {
  const r = rand();
  if (r < 0.4) return `s${Math.floor(rand() * 5)}`;
  if (r < 0.8) return Math.floor(rand() * 10);
  return rand() < 0.5;
}

function randomValue(rand: () => number, depth: number): JsonValue {
  const r = rand();
  if (depth <= 0 || r < 0.5) return randomScalar(rand);
  if (r < 0.75) return randomObject(rand, depth - 1);
  const n = Math.floor(rand() * 4);
  const out: JsonValue[] = [];
  // Arrays may hold anything, nulls included: they are replaced whole.
  for (let i = 0; i < n; i++) out.push(rand() < 0.1 ? null : randomValue(rand, depth - 1));
  return out;
}

/** A random object of bounded depth whose member values are never null. */
export function randomObject(rand: () => number, depth: number): JsonObject {
  const out: JsonObject = {};
  const n = Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) {
    const k = KEYS[Math.floor(rand() * KEYS.length)] ?? 'a';
    setKey(out, k, randomValue(rand, depth));
  }
  return out;
}

/** The RFC 7386 merge patch turning `from` into `to` (both without null members). */
export function createMergePatch(from: JsonObject, to: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const k of Object.keys(from)) {
    if (!hasKey(to, k)) setKey(patch, k, null);
  }
  for (const k of Object.keys(to)) {
    const t = to[k] as JsonValue;
    const f = hasKey(from, k) ? (from[k] as JsonValue) : undefined;
    if (isJsonObject(f) && isJsonObject(t)) {
      const sub = createMergePatch(f, t);
      if (Object.keys(sub).length > 0) setKey(patch, k, sub);
    } else if (f === undefined || !jsonEqual(f, t)) {
      setKey(patch, k, t);
    }
  }
  return patch;
}
