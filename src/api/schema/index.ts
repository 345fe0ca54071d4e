/**
 * Unknown-field detection for `?fieldValidation=Strict|Warn`, reproducing kube-apiserver:
 *
 * - built-in kinds: the strict JSON decoder (sigs.k8s.io/json UnmarshalStrict) run against the Go
 *   types, here replaced by the generated field table (types.generated.ts);
 * - custom resources: apiextensions-apiserver's ObjectMeta check plus structural-schema pruning.
 *
 * Paths use upstream's format: `spec.ports[0].prot`, map values as `.key`
 * (`metadata.labels` values are strings, so map keys themselves are never unknown).
 */
import type { SchemaTable, TypeRef } from './table.ts';
import { TABLE } from './types.generated.ts';

export type { SchemaTable, StructType, TypeRef } from './table.ts';

/** Anything carrying a group, version and kind (e.g. a ResourceInfo). */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** The generated table (read-only), for tests and diagnostics. */
export const schemaTable: SchemaTable = TABLE;

// ---------------------------------------------------------------------------------------------
// Compiled type graph

type Node =
  | { readonly k: 'leaf' }
  | { readonly k: 'list'; readonly elem: Node }
  | { readonly k: 'map'; readonly elem: Node }
  | { readonly k: 'struct'; readonly fields: Map<string, Node> };

const LEAF: Node = { k: 'leaf' };
const LEAVES: ReadonlySet<string> = new Set(['string', 'integer', 'number', 'boolean', 'any']);
const LIST = '[]';
const MAP = 'map[string]';

const compiled = new Map<TypeRef, Node>();

function compile(ref: TypeRef): Node {
  const done = compiled.get(ref);
  if (done !== undefined) return done;
  let node: Node;
  if (LEAVES.has(ref)) {
    node = LEAF;
  } else if (ref.startsWith(LIST)) {
    node = { k: 'list', elem: compile(ref.slice(LIST.length)) };
  } else if (ref.startsWith(MAP)) {
    node = { k: 'map', elem: compile(ref.slice(MAP.length)) };
  } else {
    const def = Object.hasOwn(TABLE.types, ref) ? TABLE.types[ref] : undefined;
    // An unknown name cannot happen with a consistent table (a test checks it); be permissive if it does.
    if (def === undefined) return LEAF;
    const fields = new Map<string, Node>();
    node = { k: 'struct', fields };
    compiled.set(ref, node); // before the fields: types can be recursive (JSONSchemaProps)
    for (const [name, fieldRef] of Object.entries(def.fields)) fields.set(name, compile(fieldRef));
  }
  compiled.set(ref, node);
  return node;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function indexPath(parent: string, i: number): string {
  return `${parent}[${i}]`;
}

/** Go's string order (bytewise UTF-8), which upstream uses for map keys and when sorting paths. */
function goCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function keysOf(o: Record<string, unknown>, sorted: boolean): string[] {
  const keys = Object.keys(o);
  return sorted ? keys.sort(goCompare) : keys;
}

/** The strict decoder's walk: every key of a struct-typed object that the struct lacks is unknown. */
function walk(node: Node, value: unknown, path: string, out: string[], sorted: boolean): void {
  switch (node.k) {
    case 'leaf':
      return;
    case 'list':
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) walk(node.elem, value[i], indexPath(path, i), out, sorted);
      }
      return;
    case 'map':
      if (node.elem.k !== 'leaf' && isObject(value)) {
        for (const key of keysOf(value, sorted)) walk(node.elem, value[key], childPath(path, key), out, sorted);
      }
      return;
    case 'struct':
      if (!isObject(value)) return;
      for (const key of keysOf(value, sorted)) {
        const field = node.fields.get(key);
        if (field === undefined) out.push(childPath(path, key));
        else walk(field, value[key], childPath(path, key), out, sorted);
      }
      return;
  }
}

function lookupKind(gvk: GroupVersionKind): string | undefined {
  const { group, version, kind } = gvk;
  for (const key of [`${group}/${version}/${kind}`, `*/${version}/${kind}`, `${group}/*/${kind}`, `*/*/${kind}`]) {
    if (Object.hasOwn(TABLE.kinds, key)) return TABLE.kinds[key];
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds

/** Whether the built-in table knows this group/version/kind. */
export function hasSchema(gvk: GroupVersionKind): boolean {
  return lookupKind(gvk) !== undefined;
}

/**
 * Paths of the fields of `obj` that the built-in type of `gvk` does not have, in document order,
 * formatted as kube-apiserver's strict decoder does (`spec.ports[0].prot`). `apiVersion` and
 * `kind` are always allowed at the top. Kinds not in the table yield [].
 *
 * Upstream stops collecting after 100 errors; this returns them all.
 */
export function unknownFieldPaths(gvk: GroupVersionKind, obj: unknown): string[] {
  const type = lookupKind(gvk);
  if (type === undefined) return [];
  const out: string[] = [];
  walk(compile(type), obj, '', out, false);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Custom resources (structural schema pruning, apiextensions-apiserver pkg/apiserver/schema)

const META_FIELDS: ReadonlySet<string> = new Set(['apiVersion', 'kind', 'metadata']);
const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const EMBEDDED = 'x-kubernetes-embedded-resource';

/** A JSONSchemaProps as sent in a CRD, or undefined for "no schema" (Go's nil *Structural). */
type Schema = Record<string, unknown> | undefined;

function propertySchema(s: Record<string, unknown>, key: string): { found: boolean; schema: Schema } {
  const props = s['properties'];
  if (isObject(props) && Object.hasOwn(props, key)) {
    const p = props[key];
    return { found: true, schema: isObject(p) ? p : {} };
  }
  return { found: false, schema: undefined };
}

/** additionalProperties: a schema, or `true`/`false` (present, but no schema for the values). */
function additionalSchema(s: Record<string, unknown>): { found: boolean; schema: Schema } {
  const ap = s['additionalProperties'];
  if (isObject(ap)) return { found: true, schema: ap };
  if (typeof ap === 'boolean') return { found: true, schema: undefined };
  return { found: false, schema: undefined };
}

function itemsSchema(s: Schema): Schema {
  const items = s?.['items'];
  return isObject(items) ? items : undefined; // an array of schemas is not structural: no item schema
}

function isEmbedded(s: Record<string, unknown>, root: boolean): boolean {
  return root || s[EMBEDDED] === true;
}

/** pruning.prune: records fields the schema does not specify. */
function prune(x: unknown, s: Schema, path: string, out: string[], root: boolean): void {
  if (s !== undefined && s[PRESERVE] === true) {
    skipPrune(x, s, path, out, root);
    return;
  }
  if (Array.isArray(x)) {
    const items = itemsSchema(s);
    for (let i = 0; i < x.length; i++) prune(x[i], items, indexPath(path, i), out, false);
    return;
  }
  if (!isObject(x)) return;
  if (s === undefined) {
    for (const k of Object.keys(x)) out.push(childPath(path, k));
    return;
  }
  const embedded = isEmbedded(s, root);
  for (const k of Object.keys(x)) {
    if (embedded && META_FIELDS.has(k)) continue;
    const prop = propertySchema(s, k);
    if (prop.found) {
      prune(x[k], prop.schema, childPath(path, k), out, false);
      continue;
    }
    const ap = additionalSchema(s);
    if (ap.found) {
      prune(x[k], ap.schema, childPath(path, k), out, false);
      continue;
    }
    if (!META_FIELDS.has(k) || path !== '') out.push(childPath(path, k));
  }
}

/** pruning.skipPrune: under x-kubernetes-preserve-unknown-fields only declared children are checked. */
function skipPrune(x: unknown, s: Schema, path: string, out: string[], root: boolean): void {
  if (s === undefined) return;
  if (Array.isArray(x)) {
    const items = itemsSchema(s);
    for (let i = 0; i < x.length; i++) skipPrune(x[i], items, indexPath(path, i), out, false);
    return;
  }
  if (!isObject(x)) return;
  const embedded = isEmbedded(s, root);
  for (const k of Object.keys(x)) {
    if (embedded && META_FIELDS.has(k)) continue;
    const prop = propertySchema(s, k);
    if (prop.found) {
      prune(x[k], prop.schema, childPath(path, k), out, false);
      continue;
    }
    const ap = additionalSchema(s);
    if (ap.found) prune(x[k], ap.schema, childPath(path, k), out, false);
  }
}

/** ObjectMeta strict check as upstream does it: the metadata map is re-marshalled (sorted keys). */
function objectMetaUnknown(metadata: unknown, prefix: string, out: string[]): void {
  walk(compile('meta.v1.ObjectMeta'), metadata, prefix, out, true);
}

/** objectmeta.Coerce: metadata of x-kubernetes-embedded-resource objects below the root. */
function coerce(x: unknown, s: Schema, path: string, out: string[]): void {
  if (s === undefined) return;
  if (Array.isArray(x)) {
    const items = itemsSchema(s);
    for (let i = 0; i < x.length; i++) coerce(x[i], items, indexPath(path, i), out);
    return;
  }
  if (!isObject(x)) return;
  for (const k of Object.keys(x)) {
    if (k === 'metadata' && s[EMBEDDED] === true) objectMetaUnknown(x[k], childPath(path, 'metadata'), out);
    const prop = propertySchema(s, k);
    if (prop.found) {
      coerce(x[k], prop.schema, childPath(path, k), out);
      continue;
    }
    const ap = additionalSchema(s);
    // field.Path.Key: map entries are written `[key]` here (unlike the pruning paths).
    if (ap.found) coerce(x[k], ap.schema, `${path}[${k}]`, out);
  }
}

/**
 * Unknown fields of a custom resource `obj` against its CRD version's `openAPIV3Schema`, as
 * kube-apiserver reports them: first unknown `metadata.*` fields (checked as ObjectMeta), then the
 * fields structural pruning would drop (sorted, as upstream sorts them), then unknown fields in the
 * metadata of embedded resources (sorted). `apiVersion`, `kind` and `metadata` are never pruned at
 * the top. Properties not declared are unknown unless `x-kubernetes-preserve-unknown-fields: true`
 * is set at that level; `additionalProperties` makes an object a map; `items` is the element schema.
 * A schema that is not an object yields only the metadata check.
 */
export function unknownFieldPathsForSchema(schema: unknown, obj: unknown): string[] {
  if (!isObject(obj)) return [];
  const out: string[] = [];
  if (Object.hasOwn(obj, 'metadata')) objectMetaUnknown(obj['metadata'], 'metadata', out);
  if (!isObject(schema)) return out;
  const pruned: string[] = [];
  prune(obj, schema, '', pruned, true);
  out.push(...pruned.sort(goCompare));
  const coerced: string[] = [];
  coerce(obj, schema, '', coerced);
  out.push(...coerced.sort(goCompare));
  return out;
}
