// JSON merge patch, RFC 7386 (`Content-Type: application/merge-patch+json`).
// Used by `kubectl patch --type=merge`, `kubectl label`/`annotate`, `kubectl scale`, and by
// `kubectl apply` for kinds it has no Go types for (CRDs). Pure: inputs are never mutated.

import { malformedPatch } from './errors.ts';
import { type JsonObject, type JsonValue, cloneJson, hasKey, isJsonObject, setKey } from './json.ts';

/**
 * RFC 7386 MergePatch(target, patch) for any JSON values: an object patch merges member by
 * member (`null` removes a member, a non-object target is first replaced by `{}`); any other
 * patch value (array, string, number, boolean, null) replaces the target as a whole.
 * `target` may be `undefined` (the member is absent).
 */
export function mergePatchValue(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const base: JsonObject = isJsonObject(target) ? target : {};
  const out: JsonObject = {};
  // Existing members keep their position; new members are appended in patch order.
  for (const key of Object.keys(base)) {
    const bv = base[key] as JsonValue;
    if (!hasKey(patch, key)) setKey(out, key, cloneJson(bv));
    else if (patch[key] !== null) setKey(out, key, mergePatchValue(bv, patch[key] as JsonValue));
  }
  for (const key of Object.keys(patch)) {
    const pv = patch[key] as JsonValue;
    if (!hasKey(base, key) && pv !== null) setKey(out, key, mergePatchValue(undefined, pv));
  }
  return out;
}

/**
 * Applies a merge patch to an API object. The patch must be a JSON object, as kube-apiserver
 * requires (`null`, scalars and arrays are rejected with 400 `Invalid JSON Patch`, the text of
 * evanphx/json-patch's ErrBadJSONPatch).
 */
export function applyJsonMergePatch(original: JsonObject, patch: JsonValue): JsonObject {
  if (!isJsonObject(patch)) throw malformedPatch('Invalid JSON Patch');
  return mergePatchValue(original, patch) as JsonObject;
}
