// PATCH bodies: dispatch on Content-Type to JSON merge patch, JSON patch or strategic merge
// patch, and return the patched object. Pure: no I/O, inputs never mutated.

import { type StatusError, internalError } from '../../machinery/status.ts';
import { malformedPatch, patchNotApplicable, unsupportedPatchMediaType } from './errors.ts';
import { applyJsonMergePatch } from './json-merge-patch.ts';
import { applyJsonPatch } from './json-patch.ts';
import { type JsonObject, type JsonValue, cloneJson, isJsonObject, toJsonValue } from './json.ts';
import { schemaFor } from './merge-keys.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

export { applyJsonMergePatch, mergePatchValue } from './json-merge-patch.ts';
export { applyJsonPatch, decodeJsonPatch, escapeJsonPointerToken, parseJsonPointer, MAX_JSON_PATCH_OPERATIONS } from './json-patch.ts';
export type { JsonPatchOperation } from './json-patch.ts';
export { applyStrategicMergePatch } from './strategic-merge-patch.ts';
export { schemaFor, supportsStrategicMergePatch, fieldMeta, fieldSchema, GENERIC_SCHEMA } from './merge-keys.ts';
export type { FieldPatchMeta, PatchSchema } from './merge-keys.ts';
export type { JsonObject, JsonPrimitive, JsonValue } from './json.ts';
export { cloneJson, isJsonObject, jsonEqual, toJsonValue } from './json.ts';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH_YAML = 'application/apply-patch+yaml';
export const APPLY_PATCH_CBOR = 'application/apply-patch+cbor';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** The media type without parameters (`; charset=utf-8`), lower-cased. */
export function patchMediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** The patch content types this kind accepts, in the order kube-apiserver lists them. */
export function acceptedPatchTypes(apiVersion: string, kind: string): string[] {
  return schemaFor(apiVersion, kind) === undefined ? [JSON_PATCH, MERGE_PATCH] : [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH];
}

function unknownFormat(apiVersion: string, kind: string): StatusError {
  return unsupportedPatchMediaType(
    `the body of the request was in an unknown format - accepted media types include: ${acceptedPatchTypes(apiVersion, kind).join(', ')}`,
  );
}

/**
 * Which patch flavour a Content-Type names, or a 415 StatusError: for unknown types, for
 * strategic merge patch on kinds without a schema (custom resources, as upstream), and for
 * server-side apply, which Switchboard does not implement.
 */
export function patchTypeFor(contentType: string, apiVersion: string, kind: string): Exclude<PatchType, 'apply'> {
  switch (patchMediaType(contentType)) {
    case JSON_PATCH:
      return 'json';
    case MERGE_PATCH:
      return 'merge';
    case STRATEGIC_MERGE_PATCH:
      if (schemaFor(apiVersion, kind) === undefined) throw unknownFormat(apiVersion, kind);
      return 'strategic';
    case APPLY_PATCH_YAML:
    case APPLY_PATCH_CBOR:
      throw unsupportedPatchMediaType(
        'server-side apply (application/apply-patch+yaml) is not supported yet by this server; use client-side apply (kubectl apply without --server-side)',
      );
    default:
      throw unknownFormat(apiVersion, kind);
  }
}

/**
 * The patch body as a JSON value. Accepts the raw body (a string or bytes, parsed here; a
 * syntax error is 400) or an already-parsed JSON value (a parsed body that is itself a JSON
 * string is not a valid patch of any type anyway).
 */
export function decodePatchBody(body: unknown): JsonValue {
  let value: unknown = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : new TextDecoder('utf-8').decode(body);
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw malformedPatch(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  let json: JsonValue | undefined;
  try {
    json = toJsonValue(value);
  } catch (err) {
    throw malformedPatch(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (json === undefined) throw malformedPatch('error decoding patch: the request body is empty');
  return json;
}

/**
 * Applies a PATCH body to `original` according to `contentType` and returns the new object.
 * `patchBody` is the raw body (string/bytes) or its parsed JSON. `original` is any JSON-shaped
 * object (members set to `undefined` count as absent); it is not modified. The result is typed
 * like the input for the caller's convenience, but it is whatever the patch made of it: callers
 * validate it as they would a PUT body.
 *
 * Throws StatusError: 415 for unsupported content types (including server-side apply and
 * strategic merge patch on custom resources), 400 for malformed patches, 422 for patches that
 * do not apply or do not leave an object, 413 for oversized JSON patches.
 */
export function applyPatch<T extends object>(contentType: string, original: T, patchBody: unknown, apiVersion: string, kind: string): T {
  const type = patchTypeFor(contentType, apiVersion, kind);
  const patch = decodePatchBody(patchBody);
  let base: JsonValue | undefined;
  try {
    base = toJsonValue(original);
  } catch (err) {
    throw internalError(err);
  }
  if (!isJsonObject(base)) throw internalError(new Error('the object to patch is not a JSON object'));
  // The boundary between the caller's static type and JSON: the patched value has the JSON
  // shape the patch gave it, which the caller validates.
  return applyPatchToJson(type, base, patch, apiVersion, kind) as unknown as T;
}

/** `applyPatch` for a JSON object and an already-decoded patch of a known type. */
export function applyPatchToJson(type: Exclude<PatchType, 'apply'>, original: JsonObject, patch: JsonValue, apiVersion: string, kind: string): JsonObject {
  switch (type) {
    case 'merge':
      return applyJsonMergePatch(original, patch);
    case 'json': {
      const out = applyJsonPatch(original, patch);
      if (!isJsonObject(out)) {
        throw patchNotApplicable(`the patched document is ${Array.isArray(out) ? 'an array' : 'not an object'}: a JSON patch must leave an object at the document root`);
      }
      return out;
    }
    case 'strategic': {
      // Go decodes a `null` body into an empty map: a no-op patch.
      if (patch === null) return cloneJson(original);
      if (!isJsonObject(patch)) {
        throw malformedPatch(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
      }
      const schema = schemaFor(apiVersion, kind);
      if (schema === undefined) throw unknownFormat(apiVersion, kind);
      return applyStrategicMergePatch(original, patch, schema);
    }
  }
}
