// JSON patch, RFC 6902 (`Content-Type: application/json-patch+json`), as sent by
// `kubectl patch --type=json`. Pure: the document passed in is never mutated.
//
// Behaviour follows the RFC, with the leniencies of the library kube-apiserver 1.32 uses
// (gopkg.in/evanphx/json-patch.v4) where clients may depend on them:
//  - `replace` of a missing object member sets it (v4 does not check the member exists);
//  - negative array indices count from the end (`/a/-1` is the last element; for `add`,
//    `-1` appends), as v4's SupportNegativeIndices does.
// Error texts follow v4's (`testing value /spec/replicas failed: test failed`, …): they name
// the operation and the path. Decode errors are 400; operations that do not apply are 422.

import { malformedPatch, patchNotApplicable, requestEntityTooLarge } from './errors.ts';
import { type JsonObject, type JsonValue, cloneJson, deleteKey, getKey, hasKey, isJsonObject, jsonEqual, setKey } from './json.ts';
import type { StatusError } from '../../machinery/status.ts';

/** kube-apiserver's limit (`maxJSONPatchOperations` in the PATCH handler). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

export interface JsonPatchOperation {
  op: string;
  path: string | undefined;
  from: string | undefined;
  /** `undefined` when the operation has no `value` member. */
  value: JsonValue | undefined;
}

/** Go's name for a JSON value's type in encoding/json errors. */
function goJsonTypeName(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/**
 * Checks the shape of a JSON patch body: an array of objects whose `op`, `path` and `from`
 * members, when present, are strings. Throws 400 otherwise, and 413 past the operation limit.
 */
export function decodeJsonPatch(body: JsonValue): JsonPatchOperation[] {
  if (!Array.isArray(body)) {
    throw malformedPatch(`json: cannot unmarshal ${goJsonTypeName(body)} into Go value of type jsonpatch.Patch`);
  }
  const ops: JsonPatchOperation[] = [];
  for (const raw of body) {
    if (!isJsonObject(raw)) {
      throw malformedPatch(`json: cannot unmarshal ${goJsonTypeName(raw)} into Go value of type jsonpatch.Operation`);
    }
    const str = (field: 'op' | 'path' | 'from'): string | undefined => {
      const v = getKey(raw, field);
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') {
        throw malformedPatch(`error decoding patch: json: cannot unmarshal ${goJsonTypeName(v)} into Go struct field jsonPatchOp.${field} of type string`);
      }
      return v;
    };
    ops.push({ op: str('op') ?? 'unknown', path: str('path'), from: str('from'), value: getKey(raw, 'value') });
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw requestEntityTooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  return ops;
}

/** RFC 6901: `""` is the whole document, otherwise `/`-separated tokens with `~1` → `/`, `~0` → `~`. */
export function parseJsonPointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~')));
}

/** Escapes one reference token (the inverse of the decoding above). */
export function escapeJsonPointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

type Container = JsonObject | JsonValue[];

interface Location {
  parent: Container;
  token: string;
}

const missing = (msg: string): StatusError => patchNotApplicable(`${msg}: missing value`);
const invalidIndex = (ctx: string, idx: number | string): StatusError =>
  patchNotApplicable(`${ctx}: Unable to access invalid index: ${idx}: invalid index referenced`);

function parseIndex(token: string): number | undefined {
  return /^-?[0-9]+$/.test(token) ? Number.parseInt(token, 10) : undefined;
}

/** Index of an existing element (negative counts from the end), or undefined when out of range. */
function existingIndex(arr: readonly JsonValue[], token: string): number | undefined {
  let idx = parseIndex(token);
  if (idx === undefined) return undefined;
  if (idx < 0) idx += arr.length;
  return idx >= 0 && idx < arr.length ? idx : undefined;
}

/** Reads one step down; undefined when there is nothing there. */
function child(c: JsonValue, token: string): JsonValue | undefined {
  if (Array.isArray(c)) {
    const idx = existingIndex(c, token);
    return idx === undefined ? undefined : c[idx];
  }
  if (isJsonObject(c)) return getKey(c, token);
  return undefined;
}

/** Finds the container holding the last token of `tokens` (which must be non-empty). */
function locate(doc: JsonValue, tokens: readonly string[]): Location | undefined {
  let cur: JsonValue | undefined = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    if (cur === undefined) return undefined;
    cur = child(cur, tokens[i] as string);
  }
  if (cur === undefined || (!Array.isArray(cur) && !isJsonObject(cur))) return undefined;
  return { parent: cur, token: tokens[tokens.length - 1] as string };
}

function getAt(loc: Location): JsonValue | undefined {
  return child(loc.parent, loc.token);
}

function addAt(loc: Location, value: JsonValue, ctx: string): void {
  const { parent, token } = loc;
  if (!Array.isArray(parent)) {
    setKey(parent, token, value);
    return;
  }
  if (token === '-') {
    parent.push(value);
    return;
  }
  let idx = parseIndex(token);
  if (idx === undefined) throw patchNotApplicable(`${ctx}: value was not a proper array index: '${token}'`);
  const size = parent.length + 1;
  if (idx >= size || idx < -size) throw invalidIndex(ctx, idx);
  if (idx < 0) idx += size;
  parent.splice(idx, 0, value);
}

function removeAt(loc: Location, ctx: string): JsonValue {
  const { parent, token } = loc;
  if (!Array.isArray(parent)) {
    if (!hasKey(parent, token)) throw missing(`${ctx}: Unable to remove nonexistent key: ${token}`);
    const v = parent[token] as JsonValue;
    deleteKey(parent, token);
    return v;
  }
  const idx = existingIndex(parent, token);
  if (idx === undefined) throw invalidIndex(ctx, token);
  return parent.splice(idx, 1)[0] as JsonValue;
}

function pointerOf(op: JsonPatchOperation, field: 'path' | 'from'): string[] {
  const p = op[field];
  if (p === undefined) {
    throw missing(field === 'path' ? `${op.op} operation failed to decode path: operation missing path field` : `${op.op} operation failed to decode from: operation, missing from field`);
  }
  const tokens = parseJsonPointer(p);
  if (tokens === undefined) {
    throw patchNotApplicable(`${op.op} operation does not apply: invalid JSON pointer ${JSON.stringify(p)} in "${field}": it must be empty or start with "/"`);
  }
  return tokens;
}

function valueOf(op: JsonPatchOperation): JsonValue {
  if (op.value === undefined) throw missing(`${op.op} operation, missing value field`);
  return op.value;
}

/** Applies one operation to `doc` in place, returning the (possibly replaced) document root. */
function applyOperation(doc: JsonValue, op: JsonPatchOperation): JsonValue {
  switch (op.op) {
    case 'add': {
      const tokens = pointerOf(op, 'path');
      const value = cloneJson(valueOf(op));
      if (tokens.length === 0) return value;
      const loc = locate(doc, tokens);
      if (loc === undefined) throw missing(`add operation does not apply: doc is missing path: "${op.path}"`);
      addAt(loc, value, `error in add for path: '${op.path}'`);
      return doc;
    }
    case 'remove': {
      const tokens = pointerOf(op, 'path');
      const loc = tokens.length === 0 ? undefined : locate(doc, tokens);
      if (loc === undefined) throw missing(`remove operation does not apply: doc is missing path: "${op.path}"`);
      removeAt(loc, `error in remove for path: '${op.path}'`);
      return doc;
    }
    case 'replace': {
      const tokens = pointerOf(op, 'path');
      const value = cloneJson(valueOf(op));
      if (tokens.length === 0) return value;
      const loc = locate(doc, tokens);
      if (loc === undefined) throw missing(`replace operation does not apply: doc is missing path: ${op.path}`);
      if (Array.isArray(loc.parent)) {
        const idx = existingIndex(loc.parent, loc.token);
        if (idx === undefined) throw missing(`replace operation does not apply: doc is missing key: ${op.path}`);
        loc.parent[idx] = value;
      } else {
        setKey(loc.parent, loc.token, value);
      }
      return doc;
    }
    case 'move': {
      const fromTokens = pointerOf(op, 'from');
      const toTokens = pointerOf(op, 'path');
      const fromLoc = fromTokens.length === 0 ? undefined : locate(doc, fromTokens);
      if (fromLoc === undefined || getAt(fromLoc) === undefined) {
        throw missing(`move operation does not apply: doc is missing from path: ${op.from}`);
      }
      if (op.from === op.path) return doc;
      const value = removeAt(fromLoc, `error in move for path: '${op.from}'`);
      if (toTokens.length === 0) return value;
      const toLoc = locate(doc, toTokens);
      if (toLoc === undefined) throw missing(`move operation does not apply: doc is missing destination path: ${op.path}`);
      addAt(toLoc, value, `error in move for path: '${op.path}'`);
      return doc;
    }
    case 'copy': {
      const fromTokens = pointerOf(op, 'from');
      const toTokens = pointerOf(op, 'path');
      let value: JsonValue | undefined;
      if (fromTokens.length === 0) value = doc;
      else {
        const fromLoc = locate(doc, fromTokens);
        value = fromLoc === undefined ? undefined : getAt(fromLoc);
      }
      if (value === undefined) throw missing(`copy operation does not apply: doc is missing from path: ${op.from}`);
      value = cloneJson(value);
      if (toTokens.length === 0) return value;
      const toLoc = locate(doc, toTokens);
      if (toLoc === undefined) throw missing(`copy operation does not apply: doc is missing destination path: ${op.path}`);
      addAt(toLoc, value, 'error while adding value during copy');
      return doc;
    }
    case 'test': {
      const tokens = pointerOf(op, 'path');
      const expected = valueOf(op);
      let actual: JsonValue | undefined;
      if (tokens.length === 0) actual = doc;
      else {
        const loc = locate(doc, tokens);
        if (loc === undefined) throw missing(`test operation does not apply: is missing path: ${op.path}`);
        actual = getAt(loc);
      }
      if (actual === undefined || !jsonEqual(actual, expected)) {
        throw patchNotApplicable(`testing value ${op.path} failed: test failed`);
      }
      return doc;
    }
    default:
      throw patchNotApplicable(`Unexpected kind: ${op.op}`);
  }
}

/**
 * Applies an RFC 6902 patch (the parsed request body) to a document and returns the new
 * document. All operations apply or none do.
 */
export function applyJsonPatch(doc: JsonValue, patch: JsonValue): JsonValue {
  const ops = decodeJsonPatch(patch);
  let out = cloneJson(doc);
  for (const op of ops) out = applyOperation(out, op);
  return out;
}
