/**
 * Builds `../types.generated.ts` (the strict-decoding field table) from the Go API types of
 * kubernetes/api, kubernetes/apimachinery and kubernetes/apiextensions-apiserver.
 *
 * Usage (directories are plain checkouts or `git archive` extracts of the same release branch):
 *
 *   node src/api/schema/tools/extract-go-types.ts <k8s.io/api dir> <k8s.io/apimachinery dir> \
 *        <k8s.io/apiextensions-apiserver dir> "<source label>" > src/api/schema/types.generated.ts
 *
 * The table mirrors what sigs.k8s.io/json (kube-apiserver's strict decoder) sees: the JSON names of
 * each struct's exported fields, with `json:",inline"`/untagged embedded structs flattened into
 * their parent. A type with its own UnmarshalJSON method is decoded by that method, which never
 * reports unknown fields, so it becomes the free-form leaf `any` (metav1.Time, IntOrString,
 * Quantity, RawExtension, FieldsV1, apiextensions JSON/JSONSchemaPropsOr*, ...).
 *
 * Not run by tests. It fails loudly on any Go construct it does not understand, so a new upstream
 * shape cannot silently drop fields.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

type GoType =
  | { readonly k: 'ident'; readonly pkg: string; readonly name: string } // pkg '' = builtin or same package
  | { readonly k: 'ptr'; readonly elem: GoType }
  | { readonly k: 'slice'; readonly elem: GoType }
  | { readonly k: 'map'; readonly key: GoType; readonly elem: GoType }
  | { readonly k: 'iface' };

interface GoField {
  readonly goName: string;
  readonly embedded: boolean;
  readonly type: GoType;
  /** JSON name from the tag ('' = none given). */
  readonly jsonName: string;
  readonly skip: boolean;
}

type GoDecl =
  | { readonly k: 'struct'; readonly body: string; readonly where: string; readonly imports: ReadonlyMap<string, string> }
  | { readonly k: 'named'; readonly raw: string; readonly imports: ReadonlyMap<string, string> };

interface GoPackage {
  readonly decls: Map<string, GoDecl>;
  readonly unmarshalers: Set<string>;
}

/** Import paths of the packages we parse → the short id used in the table. */
const PACKAGE_IDS: Readonly<Record<string, string>> = {
  'k8s.io/api/core/v1': 'core.v1',
  'k8s.io/api/apps/v1': 'apps.v1',
  'k8s.io/api/discovery/v1': 'discovery.v1',
  'k8s.io/api/networking/v1': 'networking.v1',
  'k8s.io/api/coordination/v1': 'coordination.v1',
  'k8s.io/api/autoscaling/v1': 'autoscaling.v1',
  'k8s.io/apimachinery/pkg/apis/meta/v1': 'meta.v1',
  'k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1': 'apiextensions.v1',
};

/** Types from packages we do not parse. All have custom JSON decoding or are plain strings. */
const EXTERNAL_LEAVES: Readonly<Record<string, string>> = {
  'k8s.io/apimachinery/pkg/util/intstr.IntOrString': 'any',
  'k8s.io/apimachinery/pkg/api/resource.Quantity': 'any',
  'k8s.io/apimachinery/pkg/runtime.RawExtension': 'any',
  'k8s.io/apimachinery/pkg/types.UID': 'string',
  'k8s.io/apimachinery/pkg/types.NodeName': 'string',
};

const BASIC: Readonly<Record<string, string>> = {
  string: 'string',
  bool: 'boolean',
  byte: 'integer',
  rune: 'integer',
  int: 'integer', int8: 'integer', int16: 'integer', int32: 'integer', int64: 'integer',
  uint: 'integer', uint8: 'integer', uint16: 'integer', uint32: 'integer', uint64: 'integer', uintptr: 'integer',
  float32: 'number', float64: 'number',
  any: 'any',
};

/** The kinds served, by group/version/kind → root Go type. Group '*' / version '*' match any. */
const KINDS: ReadonlyArray<readonly [group: string, version: string, kind: string, type: string]> = [
  ['', 'v1', 'Namespace', 'core.v1.Namespace'],
  ['', 'v1', 'Pod', 'core.v1.Pod'],
  ['', 'v1', 'Service', 'core.v1.Service'],
  ['', 'v1', 'Endpoints', 'core.v1.Endpoints'],
  ['', 'v1', 'ConfigMap', 'core.v1.ConfigMap'],
  ['', 'v1', 'Secret', 'core.v1.Secret'],
  ['', 'v1', 'Node', 'core.v1.Node'],
  ['', 'v1', 'Event', 'core.v1.Event'],
  ['', 'v1', 'ServiceAccount', 'core.v1.ServiceAccount'],
  ['', 'v1', 'Binding', 'core.v1.Binding'],
  ['apps', 'v1', 'Deployment', 'apps.v1.Deployment'],
  ['apps', 'v1', 'ReplicaSet', 'apps.v1.ReplicaSet'],
  ['apps', 'v1', 'StatefulSet', 'apps.v1.StatefulSet'],
  ['apps', 'v1', 'DaemonSet', 'apps.v1.DaemonSet'],
  ['discovery.k8s.io', 'v1', 'EndpointSlice', 'discovery.v1.EndpointSlice'],
  ['networking.k8s.io', 'v1', 'Ingress', 'networking.v1.Ingress'],
  ['networking.k8s.io', 'v1', 'IngressClass', 'networking.v1.IngressClass'],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'networking.v1.NetworkPolicy'],
  ['coordination.k8s.io', 'v1', 'Lease', 'coordination.v1.Lease'],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'apiextensions.v1.CustomResourceDefinition'],
  ['autoscaling', 'v1', 'Scale', 'autoscaling.v1.Scale'],
  // DELETE bodies carry the resource's own apiVersion (or meta.k8s.io/v1, or v1).
  ['*', '*', 'DeleteOptions', 'meta.v1.DeleteOptions'],
];

/** Extra roots the runtime needs even if no kind reaches them. */
const EXTRA_ROOTS = ['meta.v1.ObjectMeta'];

// ---------------------------------------------------------------------------------------------
// Go source scanning

/** Removes comments and the contents of interpreted strings, keeping raw (`) strings intact. */
function stripComments(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2);
      const block = src.slice(i, end < 0 ? src.length : end + 2);
      out += block.replace(/[^\n]/g, ' ');
      i = end < 0 ? src.length : end + 2;
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      out += src.slice(i, end + 1);
      i = end + 1;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function parseImports(src: string): Map<string, string> {
  const imports = new Map<string, string>();
  const add = (alias: string | undefined, path: string): void => {
    const name = alias ?? path.split('/').at(-1) ?? path;
    imports.set(name, path);
  };
  for (const m of src.matchAll(/^import\s*\(([\s\S]*?)^\)/gm)) {
    for (const line of (m[1] ?? '').split('\n')) {
      const lm = /^\s*(?:([\w.]+)\s+)?"([^"]+)"/.exec(line);
      if (lm !== null && lm[2] !== undefined) add(lm[1], lm[2]);
    }
  }
  for (const m of src.matchAll(/^import\s+(?:([\w.]+)\s+)?"([^"]+)"/gm)) {
    if (m[2] !== undefined) add(m[1], m[2]);
  }
  return imports;
}

class TypeParser {
  private pos = 0;
  private readonly s: string;
  constructor(s: string) {
    this.s = s;
  }

  parse(): GoType {
    const t = this.type();
    this.ws();
    if (this.pos !== this.s.length) throw new Error(`trailing text in Go type ${JSON.stringify(this.s)}`);
    return t;
  }

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos] ?? '')) this.pos++;
  }

  private type(): GoType {
    this.ws();
    const rest = this.s.slice(this.pos);
    if (rest.startsWith('*')) {
      this.pos++;
      return { k: 'ptr', elem: this.type() };
    }
    if (rest.startsWith('[]')) {
      this.pos += 2;
      return { k: 'slice', elem: this.type() };
    }
    const arr = /^\[\d+\]/.exec(rest);
    if (arr !== null) {
      this.pos += arr[0].length;
      return { k: 'slice', elem: this.type() };
    }
    if (rest.startsWith('map[')) {
      this.pos += 4;
      const key = this.type();
      this.ws();
      if (this.s[this.pos] !== ']') throw new Error(`bad map type ${JSON.stringify(this.s)}`);
      this.pos++;
      return { k: 'map', key, elem: this.type() };
    }
    const iface = /^interface\s*\{\s*\}/.exec(rest);
    if (iface !== null) {
      this.pos += iface[0].length;
      return { k: 'iface' };
    }
    const id = /^([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?/.exec(rest);
    if (id === null || id[1] === undefined) throw new Error(`cannot parse Go type ${JSON.stringify(this.s)}`);
    this.pos += id[0].length;
    return id[2] === undefined ? { k: 'ident', pkg: '', name: id[1] } : { k: 'ident', pkg: id[1], name: id[2] };
  }
}

function parseTag(tag: string | undefined): { jsonName: string; skip: boolean } {
  if (tag === undefined) return { jsonName: '', skip: false };
  const m = /(?:^|\s)json:"([^"]*)"/.exec(tag);
  if (m === null || m[1] === undefined) return { jsonName: '', skip: false };
  const [name = '', ...opts] = m[1].split(',');
  if (name === '-' && opts.length === 0) return { jsonName: '', skip: true };
  return { jsonName: name, skip: false };
}

function parseStructBody(body: string, where: string): GoField[] {
  const fields: GoField[] = [];
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.replace(/interface\s*\{\s*\}/g, '').replace(/`[^`]*`/, '').match(/[{}]/) !== null) throw new Error(`${where}: nested struct/interface literal not supported: ${line}`);
    const tm = /^(.*?)\s*(`[^`]*`)?$/.exec(line);
    const decl = (tm?.[1] ?? '').trim();
    const tag = tm?.[2]?.slice(1, -1);
    const { jsonName, skip } = parseTag(tag);
    const embedded = /^\*?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?$/.exec(decl);
    if (embedded !== null) {
      const type = new TypeParser(decl).parse();
      let t = type;
      while (t.k === 'ptr') t = t.elem;
      if (t.k !== 'ident') throw new Error(`${where}: odd embedded field ${line}`);
      fields.push({ goName: t.name, embedded: true, type, jsonName, skip });
      continue;
    }
    const named = /^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+(\S.*)$/.exec(decl);
    if (named === null || named[1] === undefined || named[2] === undefined) throw new Error(`${where}: cannot parse field ${line}`);
    const type = new TypeParser(named[2]).parse();
    for (const goName of named[1].split(',').map((x) => x.trim())) {
      fields.push({ goName, embedded: false, type, jsonName, skip });
    }
  }
  return fields;
}

function parseGoFile(src: string, pkg: GoPackage, file: string): void {
  const s = stripComments(src);
  const imports = parseImports(s);
  if (/^type\s*\(/m.test(s)) throw new Error(`${file}: grouped type declarations are not supported`);
  for (const m of s.matchAll(/^type\s+([A-Za-z_]\w*)\s+(=\s*)?struct\s*\{/gm)) {
    const name = m[1] ?? '';
    let depth = 1;
    let i = (m.index ?? 0) + m[0].length;
    const start = i;
    for (; i < s.length && depth > 0; i++) {
      if (s[i] === '`') i = s.indexOf('`', i + 1);
      else if (s[i] === '{') depth++;
      else if (s[i] === '}') depth--;
    }
    const body = s.slice(start, i - 1);
    pkg.decls.set(name, { k: 'struct', body, where: `${file}: ${name}`, imports });
  }
  for (const m of s.matchAll(/^type\s+([A-Za-z_]\w*)\s+(?:=\s*)?(?!struct\s*\{)(?!interface\s*\{)([^\n]+)$/gm)) {
    const name = m[1] ?? '';
    pkg.decls.set(name, { k: 'named', raw: (m[2] ?? '').trim(), imports });
  }
  for (const m of s.matchAll(/^func\s*\(\s*(?:\w+\s+)?\*?\s*([A-Za-z_]\w*)\s*\)\s*UnmarshalJSON\s*\(/gm)) {
    pkg.unmarshalers.add(m[1] ?? '');
  }
}

function loadPackage(dir: string): GoPackage {
  const pkg: GoPackage = { decls: new Map(), unmarshalers: new Set() };
  const files = readdirSync(dir).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && f !== 'generated.pb.go').sort();
  if (files.length === 0) throw new Error(`no Go files in ${dir}`);
  for (const f of files) parseGoFile(readFileSync(join(dir, f), 'utf8'), pkg, join(dir, f));
  return pkg;
}

// ---------------------------------------------------------------------------------------------
// Resolution to the table

class Resolver {
  readonly types = new Map<string, Record<string, string>>();
  private readonly queue: string[] = [];
  private readonly packages: ReadonlyMap<string, GoPackage>;

  constructor(packages: ReadonlyMap<string, GoPackage>) {
    this.packages = packages;
  }

  private decl(pkgId: string, name: string): GoDecl {
    const d = this.packages.get(pkgId)?.decls.get(name);
    if (d === undefined) throw new Error(`unknown Go type ${pkgId}.${name}`);
    return d;
  }

  private isUnmarshaler(pkgId: string, name: string): boolean {
    return this.packages.get(pkgId)?.unmarshalers.has(name) ?? false;
  }

  /** Resolves an identifier used in `pkgId`'s file (with `imports`) to a package id + name, or a leaf. */
  private resolveIdent(t: { pkg: string; name: string }, pkgId: string, imports: ReadonlyMap<string, string>): { pkgId: string; name: string } | { leaf: string } {
    if (t.pkg === '') {
      const basic = BASIC[t.name];
      if (basic !== undefined && !(this.packages.get(pkgId)?.decls.has(t.name) ?? false)) return { leaf: basic };
      return { pkgId, name: t.name };
    }
    const path = imports.get(t.pkg);
    if (path === undefined) throw new Error(`unknown import alias ${t.pkg} (in ${pkgId})`);
    const leaf = EXTERNAL_LEAVES[`${path}.${t.name}`];
    if (leaf !== undefined) return { leaf };
    const id = PACKAGE_IDS[path];
    if (id === undefined || !this.packages.has(id)) throw new Error(`type ${path}.${t.name} (used in ${pkgId}) is from a package that is not parsed and not a known leaf`);
    return { pkgId: id, name: t.name };
  }

  ref(t: GoType, pkgId: string, imports: ReadonlyMap<string, string>): string {
    switch (t.k) {
      case 'iface': return 'any';
      case 'ptr': return this.ref(t.elem, pkgId, imports);
      case 'slice':
        if (t.elem.k === 'ident' && t.elem.pkg === '' && (t.elem.name === 'byte' || t.elem.name === 'uint8')) return 'string'; // base64
        return `[]${this.ref(t.elem, pkgId, imports)}`;
      case 'map': return `map[string]${this.ref(t.elem, pkgId, imports)}`;
      case 'ident': {
        const r = this.resolveIdent(t, pkgId, imports);
        if ('leaf' in r) return r.leaf;
        return this.named(r.pkgId, r.name);
      }
    }
  }

  named(pkgId: string, name: string): string {
    if (this.isUnmarshaler(pkgId, name)) return 'any';
    const d = this.decl(pkgId, name);
    if (d.k === 'named') return this.ref(new TypeParser(d.raw).parse(), pkgId, d.imports);
    if (this.embedsUnmarshaler(pkgId, name)) return 'any';
    const id = `${pkgId}.${name}`;
    if (!this.types.has(id)) {
      this.types.set(id, {});
      this.queue.push(id);
    }
    return id;
  }

  /** A struct embedding a type with UnmarshalJSON gets that method promoted: it is decoded opaquely. */
  private embedsUnmarshaler(pkgId: string, name: string): boolean {
    const d = this.decl(pkgId, name);
    if (d.k !== 'struct') return false;
    for (const f of parseStructBody(d.body, d.where)) {
      if (!f.embedded) continue;
      let t = f.type;
      while (t.k === 'ptr') t = t.elem;
      if (t.k !== 'ident') continue;
      const r = this.resolveIdent(t, pkgId, d.imports);
      if ('leaf' in r) {
        if (r.leaf === 'any') return true;
        continue;
      }
      if (this.isUnmarshaler(r.pkgId, r.name)) {
        process.stderr.write(`note: ${pkgId}.${name} embeds ${r.pkgId}.${r.name} which has UnmarshalJSON: treated as free-form\n`);
        return true;
      }
    }
    return false;
  }

  /** The JSON fields of a struct, embedded structs flattened (outer fields win, as in encoding/json). */
  private jsonFields(pkgId: string, name: string, seen: ReadonlySet<string>): Array<[string, string]> {
    const key = `${pkgId}.${name}`;
    if (seen.has(key)) throw new Error(`embedding cycle at ${key}`);
    const d = this.decl(pkgId, name);
    if (d.k !== 'struct') throw new Error(`${key} is not a struct`);
    const direct: Array<[string, string]> = [];
    const promoted: Array<[string, string]> = [];
    for (const f of parseStructBody(d.body, d.where)) {
      if (f.skip) continue;
      if (f.embedded && f.jsonName === '') {
        let t = f.type;
        while (t.k === 'ptr') t = t.elem;
        if (t.k !== 'ident') throw new Error(`${key}: odd embedded field`);
        const r = this.resolveIdent(t, pkgId, d.imports);
        if ('pkgId' in r) {
          const inner = this.decl(r.pkgId, r.name);
          if (inner.k === 'struct') {
            promoted.push(...this.jsonFields(r.pkgId, r.name, new Set([...seen, key])));
            continue;
          }
        }
        // An embedded non-struct is a field named after its type (exported types only).
        if (!/^[A-Z]/.test(f.goName)) continue;
        direct.push([f.goName, this.ref(f.type, pkgId, d.imports)]);
        continue;
      }
      if (!/^[A-Z]/.test(f.goName)) continue; // unexported: invisible to encoding/json
      direct.push([f.jsonName === '' ? f.goName : f.jsonName, this.ref(f.type, pkgId, d.imports)]);
    }
    const names = new Set<string>();
    for (const [n] of direct) {
      if (names.has(n)) throw new Error(`${key}: duplicate JSON field ${n}`);
      names.add(n);
    }
    const out = [...direct];
    const promotedNames = new Set<string>();
    for (const [n, r] of promoted) {
      if (names.has(n)) continue;
      if (promotedNames.has(n)) throw new Error(`${key}: ambiguous promoted JSON field ${n}`);
      promotedNames.add(n);
      out.push([n, r]);
    }
    return out;
  }

  drain(): void {
    for (let id = this.queue.shift(); id !== undefined; id = this.queue.shift()) {
      const dot = id.lastIndexOf('.');
      const fields = this.jsonFields(id.slice(0, dot), id.slice(dot + 1), new Set());
      this.types.set(id, Object.fromEntries(fields));
    }
  }
}

// ---------------------------------------------------------------------------------------------

function main(argv: readonly string[]): void {
  const [apiDir, machineryDir, extensionsDir, label] = argv;
  if (apiDir === undefined || machineryDir === undefined || extensionsDir === undefined || label === undefined) {
    process.stderr.write('usage: extract-go-types.ts <k8s.io/api dir> <k8s.io/apimachinery dir> <k8s.io/apiextensions-apiserver dir> <source label>\n');
    process.exit(2);
  }
  const dirs: Record<string, string> = {
    'core.v1': join(apiDir, 'core/v1'),
    'apps.v1': join(apiDir, 'apps/v1'),
    'discovery.v1': join(apiDir, 'discovery/v1'),
    'networking.v1': join(apiDir, 'networking/v1'),
    'coordination.v1': join(apiDir, 'coordination/v1'),
    'autoscaling.v1': join(apiDir, 'autoscaling/v1'),
    'meta.v1': join(machineryDir, 'pkg/apis/meta/v1'),
    'apiextensions.v1': join(extensionsDir, 'pkg/apis/apiextensions/v1'),
  };
  const packages = new Map<string, GoPackage>();
  for (const [id, dir] of Object.entries(dirs)) packages.set(id, loadPackage(dir));

  const resolver = new Resolver(packages);
  const kinds: Record<string, string> = {};
  for (const [group, version, kind, type] of KINDS) {
    const dot = type.lastIndexOf('.');
    const ref = resolver.named(type.slice(0, dot), type.slice(dot + 1));
    if (ref !== type) throw new Error(`root ${type} is not a plain struct`);
    kinds[`${group}/${version}/${kind}`] = type;
  }
  for (const type of EXTRA_ROOTS) {
    const dot = type.lastIndexOf('.');
    resolver.named(type.slice(0, dot), type.slice(dot + 1));
  }
  resolver.drain();

  const typeNames = [...resolver.types.keys()].sort();
  const lines: string[] = [];
  lines.push('// Code generated by src/api/schema/tools/extract-go-types.ts. DO NOT EDIT.');
  lines.push(`// Source: ${label}`);
  lines.push('// JSON field names of the Kubernetes API types (facts of the API), as seen by the strict decoder.');
  lines.push('');
  lines.push("import type { SchemaTable } from './table.ts';");
  lines.push('');
  lines.push('export const TABLE: SchemaTable = {');
  lines.push(`  source: ${JSON.stringify(label)},`);
  lines.push('  kinds: {');
  for (const [k, v] of Object.entries(kinds)) lines.push(`    ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  lines.push('  },');
  lines.push('  types: {');
  for (const name of typeNames) {
    const fields = resolver.types.get(name) ?? {};
    const body = Object.entries(fields).map(([f, r]) => `${JSON.stringify(f)}: ${JSON.stringify(r)}`).join(', ');
    lines.push(`    ${JSON.stringify(name)}: { fields: { ${body} } },`);
  }
  lines.push('  },');
  lines.push('};');
  process.stdout.write(lines.join('\n') + '\n');
  process.stderr.write(`${typeNames.length} types, ${Object.keys(kinds).length} kinds\n`);
}

main(process.argv.slice(2));
