// Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into the JSON
// object the same client would have sent as JSON. Layout of a body
// (k8s.io/apimachinery/pkg/runtime/serializer/protobuf):
//
//   "k8s\0" ++ runtime.Unknown{ 1: typeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType }
//
// `raw` is the gogo-protobuf encoding of the typed object; schema.ts describes the messages.
// JSON shaping rules (see README.md): scalars present on the wire are kept unless they are zero and
// the Go field is a non-pointer with `omitempty`; embedded messages present on the wire are kept
// even when empty (Go's encoding/json never omits structs); zero Time/MicroTime become absent (Go
// writes `null`); empty lists and maps are absent; `json:",inline"` messages are flattened.

import { badRequest, type StatusError } from '../../machinery/status.ts';
import { KINDS, MESSAGES } from './schema.ts';
import { Reader, WireError, WireType, type Tag } from './wire.ts';

export const PROTOBUF_MAGIC: Uint8Array = Uint8Array.of(0x6b, 0x38, 0x73, 0x00); // "k8s\0"

export interface DecodeResult {
  /** The object as JSON would carry it, with `kind` and `apiVersion` set. */
  object: Record<string, unknown>;
  /**
   * Paths of fields the schema does not know (skipped), e.g. `spec.template.spec.containers[0].#99`
   * (`#` + field number, as protobuf carries no names). Distinct paths, at most MAX_UNKNOWN_FIELDS.
   */
  unknownFields: string[];
}

// ---- schema ----

type ScalarType = 'string' | 'int32' | 'int64' | 'bool' | 'double' | 'bytes';
type SpecialType = 'Time' | 'MicroTime' | 'Duration' | 'IntOrString' | 'Quantity' | 'RawExtension' | 'FieldsV1';

const SCALARS: ReadonlySet<string> = new Set<ScalarType>(['string', 'int32', 'int64', 'bool', 'double', 'bytes']);
const SPECIALS: ReadonlySet<string> = new Set<SpecialType>(['Time', 'MicroTime', 'Duration', 'IntOrString', 'Quantity', 'RawExtension', 'FieldsV1']);

type ValueType =
  | { kind: 'scalar'; name: ScalarType }
  | { kind: 'special'; name: SpecialType }
  | { kind: 'message'; name: string };

export interface FieldDef {
  no: number;
  /** JSON name; for an inlined message, the proto name (used only in diagnostics). */
  json: string;
  value: ValueType;
  repeated: boolean;
  map: boolean;
  inline: boolean;
  /** Keep a zero scalar (Go pointer, or a field without `omitempty`). */
  keepZero: boolean;
}

export interface MessageDef {
  name: string;
  fields: readonly FieldDef[];
  byNo: ReadonlyMap<number, FieldDef>;
}

const FIELD_TOKEN = /^(\.\.\.)?(\w*)=(\d+):(\[\]|\{\})?([\w.]+?)(!)?$/;

function valueType(name: string): ValueType {
  if (SCALARS.has(name)) return { kind: 'scalar', name: name as ScalarType };
  if (SPECIALS.has(name)) return { kind: 'special', name: name as SpecialType };
  if (name.includes('.')) return { kind: 'message', name };
  throw new Error(`protobuf schema: unknown type ${name}`);
}

/** Parses one message's field list from schema.ts. Throws on a malformed schema (a bug, not input). */
export function parseMessage(name: string, spec: string): MessageDef {
  const fields: FieldDef[] = [];
  for (const tok of spec.split(/\s+/)) {
    if (tok === '') continue;
    const m = FIELD_TOKEN.exec(tok);
    if (m === null) throw new Error(`protobuf schema: bad field ${tok} in ${name}`);
    const value = valueType(m[5] ?? '');
    const inline = m[1] !== undefined;
    if (inline && (value.kind !== 'message' || m[4] !== undefined)) throw new Error(`protobuf schema: inline ${tok} in ${name} must be a single message`);
    fields.push({ no: Number(m[3]), json: m[2] ?? '', value, repeated: m[4] === '[]', map: m[4] === '{}', inline, keepZero: m[6] === '!' });
  }
  return { name, fields, byNo: new Map(fields.map((f) => [f.no, f])) };
}

const messageCache = new Map<string, MessageDef>();

export function messageDef(name: string): MessageDef {
  let def = messageCache.get(name);
  if (def === undefined) {
    const spec = MESSAGES[name];
    if (spec === undefined) throw new Error(`protobuf schema: no message ${name}`);
    def = parseMessage(name, spec);
    messageCache.set(name, def);
  }
  return def;
}

/** `apiVersion kind` pairs the decoder understands, sorted. */
export function supportedKinds(): string[] {
  return Object.keys(KINDS).sort();
}

// ---- value conversion ----

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const MAX_DEPTH = 100;
/** Unix seconds of Go's zero time.Time (0001-01-01T00:00:00Z). */
const GO_ZERO_UNIX = -62135596800n;

/** At most this many distinct unknown-field paths are reported (a hostile body could carry millions). */
export const MAX_UNKNOWN_FIELDS = 100;

interface Ctx {
  unknown: Set<string>;
}

function noteUnknown(ctx: Ctx, path: string): void {
  if (ctx.unknown.size < MAX_UNKNOWN_FIELDS) ctx.unknown.add(path);
}

function joinPath(base: string, name: string): string {
  return base === '' ? name : `${base}.${name}`;
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function expectWire(tag: Tag, want: WireType, what: string): void {
  if (tag.wire !== want) throw new WireError(`wrong wireType = ${tag.wire} for field ${what}`);
}

function readScalar(r: Reader, type: ScalarType): string | number | boolean {
  switch (type) {
    case 'string': return utf8.decode(r.bytes());
    case 'bytes': return Buffer.from(r.bytes()).toString('base64');
    case 'int32': return r.int32();
    case 'int64': return r.int64();
    case 'bool': return r.bool();
    case 'double': {
      const d = r.double();
      if (!Number.isFinite(d)) throw new WireError(`unsupported value: ${d}`);
      return d;
    }
  }
}

function scalarWire(type: ScalarType): WireType {
  return type === 'string' || type === 'bytes' ? WireType.Len : type === 'double' ? WireType.Fixed64 : WireType.Varint;
}

function scalarZero(type: ScalarType): string | number | boolean {
  return type === 'string' || type === 'bytes' ? '' : type === 'bool' ? false : 0;
}

/** Go's time.Time as metav1.Time / MicroTime marshal it; undefined for the zero time (JSON null). */
function formatTime(data: Uint8Array, micro: boolean): string | undefined {
  if (data.length === 0) return undefined;
  let seconds = 0n;
  let nanos = 0n;
  const r = new Reader(data);
  while (!r.done()) {
    const tag = r.tag();
    if (tag.field === 1) { expectWire(tag, WireType.Varint, 'seconds'); seconds = BigInt.asIntN(64, r.varint()); }
    else if (tag.field === 2) { expectWire(tag, WireType.Varint, 'nanos'); nanos = BigInt(r.int32()); }
    else r.skip(tag);
  }
  // metav1.Time drops the nanoseconds on decode; MicroTime keeps microseconds.
  if (!micro) nanos = 0n;
  const total = seconds * 1_000_000_000n + (nanos / 1000n) * 1000n;
  let secs = total / 1_000_000_000n;
  let frac = total % 1_000_000_000n;
  if (frac < 0n) { frac += 1_000_000_000n; secs -= 1n; }
  if (secs === GO_ZERO_UNIX && frac === 0n) return undefined;
  // Years 0000..9999 only (what RFC 3339 can express).
  if (secs < -62167219200n || secs > 253402300799n) throw new WireError(`time out of range: ${String(seconds)}s`);
  const iso = new Date(Number(secs) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const base = iso.slice(0, 19);
  return micro ? `${base}.${String(frac / 1000n).padStart(6, '0')}Z` : `${base}Z`;
}

/** Go's time.Duration.String(). */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  const u = neg ? -ns : ns;
  const frac = (v: bigint, prec: number): [string, bigint] => {
    const p = 10n ** BigInt(prec);
    const digits = (v % p).toString().padStart(prec, '0').replace(/0+$/, '');
    return [digits === '' ? '' : `.${digits}`, v / p];
  };
  let s: string;
  if (u < 1_000_000_000n) {
    if (u < 1000n) s = `${String(u)}ns`;
    else if (u < 1_000_000n) { const [f, w] = frac(u, 3); s = `${String(w)}${f}µs`; }
    else { const [f, w] = frac(u, 6); s = `${String(w)}${f}ms`; }
  } else {
    const [f, whole] = frac(u, 9);
    s = `${String(whole % 60n)}${f}s`;
    const minutes = whole / 60n;
    if (minutes > 0n) {
      s = `${String(minutes % 60n)}m${s}`;
      const hours = minutes / 60n;
      if (hours > 0n) s = `${String(hours)}h${s}`;
    }
  }
  return neg ? `-${s}` : s;
}

function parseRawJSON(data: Uint8Array, what: string): unknown {
  if (data.length === 0) return undefined;
  try {
    return JSON.parse(utf8.decode(data)) as unknown;
  } catch {
    throw new WireError(`${what} is not valid JSON`);
  }
}

/** Decodes one of the apimachinery types that have their own JSON form. */
function readSpecial(type: SpecialType, data: Uint8Array): unknown {
  switch (type) {
    case 'Time': return formatTime(data, false);
    case 'MicroTime': return formatTime(data, true);
    case 'Duration': {
      let ns = 0n;
      const r = new Reader(data);
      while (!r.done()) {
        const tag = r.tag();
        if (tag.field === 1) { expectWire(tag, WireType.Varint, 'duration'); ns = BigInt.asIntN(64, r.varint()); } else r.skip(tag);
      }
      return goDuration(ns);
    }
    case 'IntOrString': {
      let kind = 0n;
      let intVal = 0;
      let strVal = '';
      const r = new Reader(data);
      while (!r.done()) {
        const tag = r.tag();
        if (tag.field === 1) { expectWire(tag, WireType.Varint, 'type'); kind = BigInt.asIntN(64, r.varint()); }
        else if (tag.field === 2) { expectWire(tag, WireType.Varint, 'intVal'); intVal = r.int32(); }
        else if (tag.field === 3) { expectWire(tag, WireType.Len, 'strVal'); strVal = utf8.decode(r.bytes()); }
        else r.skip(tag);
      }
      if (kind === 0n) return intVal;
      if (kind === 1n) return strVal;
      throw new WireError(`impossible IntOrString.Type ${String(kind)}`);
    }
    case 'Quantity': {
      let s = '';
      const r = new Reader(data);
      while (!r.done()) {
        const tag = r.tag();
        if (tag.field === 1) { expectWire(tag, WireType.Len, 'string'); s = utf8.decode(r.bytes()); } else r.skip(tag);
      }
      return s === '' ? '0' : s;
    }
    case 'RawExtension':
    case 'FieldsV1': {
      let raw: Uint8Array = new Uint8Array(0);
      const r = new Reader(data);
      while (!r.done()) {
        const tag = r.tag();
        if (tag.field === 1) { expectWire(tag, WireType.Len, 'raw'); raw = r.bytes(); } else r.skip(tag);
      }
      return parseRawJSON(raw, type);
    }
  }
}

/** Reads a length-delimited value (a message, special type or string/bytes scalar). */
function readValue(vt: ValueType, data: Uint8Array, path: string, ctx: Ctx, depth: number): unknown {
  switch (vt.kind) {
    case 'scalar': return readScalar(new Reader(data), vt.name);
    case 'special': return readSpecial(vt.name, data);
    case 'message': return decodeMessage(messageDef(vt.name), data, path, ctx, depth + 1);
  }
}

/** Reads one map entry {1: key, 2: value}; absent parts take their zero value, as gogo does. */
function readMapEntry(f: FieldDef, data: Uint8Array, path: string, ctx: Ctx, depth: number): [string, unknown] {
  let key = '';
  let value: Uint8Array | string | number | boolean | undefined;
  const r = new Reader(data);
  while (!r.done()) {
    const tag = r.tag();
    if (tag.field === 1) {
      expectWire(tag, WireType.Len, `${f.json} key`);
      key = utf8.decode(r.bytes());
    } else if (tag.field === 2) {
      if (f.value.kind === 'scalar') {
        expectWire(tag, scalarWire(f.value.name), `${f.json} value`);
        value = readScalar(r, f.value.name);
      } else {
        expectWire(tag, WireType.Len, `${f.json} value`);
        value = r.bytes();
      }
    } else {
      r.skip(tag);
    }
  }
  if (f.value.kind === 'scalar') return [key, value ?? scalarZero(f.value.name)];
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(0);
  const v = readValue(f.value, bytes, `${path}[${key}]`, ctx, depth);
  return [key, v === undefined ? null : v];
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] ?? new Uint8Array(0);
  return Buffer.concat(chunks);
}

/** Per-field state while reading a message. */
type Collected =
  | { t: 'one'; v: unknown }
  | { t: 'chunks'; v: Uint8Array[] }
  | { t: 'list'; v: unknown[] }
  | { t: 'map'; v: Map<string, unknown> };

function decodeMessage(def: MessageDef, data: Uint8Array, path: string, ctx: Ctx, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new WireError('message nesting too deep');
  const got = new Map<FieldDef, Collected>();
  const r = new Reader(data);
  while (!r.done()) {
    const tag = r.tag();
    const f = def.byNo.get(tag.field);
    if (f === undefined) {
      noteUnknown(ctx, joinPath(path, `#${tag.field}`));
      r.skip(tag);
      continue;
    }
    const fpath = f.inline ? path : joinPath(path, f.json);
    if (f.map) {
      expectWire(tag, WireType.Len, f.json);
      let c = got.get(f);
      if (c === undefined) { c = { t: 'map', v: new Map() }; got.set(f, c); }
      const [k, v] = readMapEntry(f, r.bytes(), fpath, ctx, depth);
      if (c.t === 'map') c.v.set(k, v);
    } else if (f.repeated) {
      let c = got.get(f);
      if (c === undefined) { c = { t: 'list', v: [] }; got.set(f, c); }
      if (c.t !== 'list') continue;
      const list = c.v;
      if (f.value.kind === 'scalar' && f.value.name !== 'string' && f.value.name !== 'bytes' && tag.wire === WireType.Len) {
        // Packed repeated numbers.
        const packed = new Reader(r.bytes());
        while (!packed.done()) list.push(readScalar(packed, f.value.name));
      } else if (f.value.kind === 'scalar') {
        expectWire(tag, scalarWire(f.value.name), f.json);
        list.push(readScalar(r, f.value.name));
      } else {
        expectWire(tag, WireType.Len, f.json);
        const v = readValue(f.value, r.bytes(), `${fpath}[${list.length}]`, ctx, depth);
        list.push(v === undefined ? null : v);
      }
    } else if (f.value.kind === 'scalar') {
      expectWire(tag, scalarWire(f.value.name), f.json);
      got.set(f, { t: 'one', v: readScalar(r, f.value.name) });
    } else {
      // Messages: a repeated occurrence merges into the earlier one, i.e. the concatenation decodes.
      expectWire(tag, WireType.Len, f.json);
      const c = got.get(f);
      if (c?.t === 'chunks') c.v.push(r.bytes());
      else got.set(f, { t: 'chunks', v: [r.bytes()] });
    }
  }

  // Emit in schema (Go struct) order, which is also the order Go's encoding/json writes.
  const out: Record<string, unknown> = {};
  for (const f of def.fields) {
    const c = got.get(f);
    if (c === undefined) continue;
    switch (c.t) {
      case 'one':
        if (f.keepZero || !isZero(c.v)) out[f.json] = c.v;
        break;
      case 'list':
        if (c.v.length > 0) out[f.json] = c.v;
        break;
      case 'map':
        if (c.v.size > 0) out[f.json] = Object.fromEntries([...c.v].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        break;
      case 'chunks': {
        const fpath = f.inline ? path : joinPath(path, f.json);
        const v = readValue(f.value, concat(c.v), fpath, ctx, depth);
        if (v === undefined) break;
        if (f.inline && typeof v === 'object' && v !== null) Object.assign(out, v);
        else out[f.json] = v;
        break;
      }
    }
  }
  return out;
}

// ---- envelope ----

function fail(message: string): StatusError {
  return badRequest(message);
}

function hasMagic(body: Uint8Array): boolean {
  return body.length >= PROTOBUF_MAGIC.length && PROTOBUF_MAGIC.every((b, i) => body[i] === b);
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

function readEnvelope(body: Uint8Array): Envelope {
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0) };
  const r = new Reader(body, PROTOBUF_MAGIC.length);
  while (!r.done()) {
    const tag = r.tag();
    if (tag.field === 1) {
      expectWire(tag, WireType.Len, 'typeMeta');
      const t = new Reader(r.bytes());
      while (!t.done()) {
        const tt = t.tag();
        if (tt.field === 1) { expectWire(tt, WireType.Len, 'apiVersion'); env.apiVersion = utf8.decode(t.bytes()); }
        else if (tt.field === 2) { expectWire(tt, WireType.Len, 'kind'); env.kind = utf8.decode(t.bytes()); }
        else t.skip(tt);
      }
    } else if (tag.field === 2) {
      expectWire(tag, WireType.Len, 'raw');
      env.raw = r.bytes();
    } else {
      // 3 contentEncoding and 4 contentType are ignored, as upstream does.
      r.skip(tag);
    }
  }
  return env;
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into the JSON object kubectl would
 * have sent as JSON. Throws a 400 StatusError for a body that is not a Kubernetes protobuf message,
 * is malformed or truncated, or carries a kind this decoder has no schema for.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodeResult {
  if (body.length === 0) throw fail('empty data');
  if (!hasMagic(body)) {
    throw fail(`provided data does not appear to be a protobuf message, expected prefix [${[...PROTOBUF_MAGIC].join(' ')}]`);
  }
  if (body.length === PROTOBUF_MAGIC.length) throw fail('empty body');
  let env: Envelope;
  try {
    env = readEnvelope(body);
  } catch (e) {
    if (e instanceof WireError) throw fail(`unable to decode protobuf envelope (runtime.Unknown): ${e.message}`);
    throw e;
  }
  const typeMeta = `runtime.TypeMeta{APIVersion:${JSON.stringify(env.apiVersion)}, Kind:${JSON.stringify(env.kind)}}`;
  if (env.kind === '') throw fail(`Object 'Kind' is missing in '${typeMeta}'`);
  if (env.apiVersion === '') throw fail(`Object 'apiVersion' is missing in '${typeMeta}'`);
  const message = KINDS[`${env.apiVersion} ${env.kind}`];
  if (message === undefined) {
    throw fail(`no kind ${JSON.stringify(env.kind)} is registered for version ${JSON.stringify(env.apiVersion)} in the protobuf decoder; ` +
      `send the object as application/json instead (protobuf is supported for: ${supportedKinds().join(', ')})`);
  }
  const ctx: Ctx = { unknown: new Set() };
  let decoded: Record<string, unknown>;
  try {
    decoded = decodeMessage(messageDef(message), env.raw, '', ctx, 0);
  } catch (e) {
    if (e instanceof WireError) throw fail(`unable to decode protobuf ${env.apiVersion} ${env.kind}: ${e.message}`);
    throw e;
  }
  return { object: { kind: env.kind, apiVersion: env.apiVersion, ...decoded }, unknownFields: [...ctx.unknown] };
}
