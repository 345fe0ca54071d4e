// Regenerates ../schema.ts from the upstream Go type definitions. Not run by the tests.
//
//   node src/api/protobuf/tools/gen-schema.ts --api=DIR --apimachinery=DIR [--tag=v0.32.4] > src/api/protobuf/schema.ts
//
// DIR is a git checkout (or bare mirror) of github.com/kubernetes/api and .../apimachinery; files are
// read with `git show TAG:PATH`. Each Go struct field carries everything the decoder needs in its
// tags: `protobuf:"bytes,3,opt,name=replicas"` (field number, proto name) and `json:"replicas,omitempty"`
// (JSON name, omitempty, `,inline`), and its Go type says whether it is a pointer. The field numbers
// and names are cross-checked against the package's generated.proto; any mismatch aborts.

import { execFileSync } from 'node:child_process';

interface GoField { name: string; type: string; json: string; omitEmpty: boolean; inline: boolean; pbName: string; pbNo: number; pbWire: string }
interface ProtoField { name: string; type: string; label: string }
interface GoPackage { key: string; structs: Map<string, GoField[]>; named: Map<string, string>; imports: Map<string, string>; proto: Map<string, Map<number, ProtoField>> }

const opts = new Map(process.argv.slice(2).map((a) => { const i = a.indexOf('='); return [a.slice(2, i), a.slice(i + 1)] as const; }));
const apiDir = opts.get('api') ?? '';
const amDir = opts.get('apimachinery') ?? '';
const tag = opts.get('tag') ?? 'v0.32.4';
if (apiDir === '' || amDir === '') throw new Error('usage: gen-schema.ts --api=DIR --apimachinery=DIR [--tag=v0.32.4]');

function show(dir: string, path: string): string {
  return execFileSync('git', ['-C', dir, 'show', `${tag}:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Import path → our package key. */
function pkgKey(importPath: string): string {
  const api = /^k8s\.io\/api\/([\w]+)\/(v\w+)$/.exec(importPath);
  if (api !== null) return `${api[1] ?? ''}.${api[2] ?? ''}`;
  const known: Record<string, string> = {
    'k8s.io/apimachinery/pkg/apis/meta/v1': 'meta.v1',
    'k8s.io/apimachinery/pkg/util/intstr': 'intstr',
    'k8s.io/apimachinery/pkg/api/resource': 'resource',
    'k8s.io/apimachinery/pkg/types': 'types',
    'k8s.io/apimachinery/pkg/runtime': 'runtime',
  };
  return known[importPath] ?? importPath;
}

function parseProto(src: string): Map<string, Map<number, ProtoField>> {
  const out = new Map<string, Map<number, ProtoField>>();
  let current: Map<number, ProtoField> | undefined;
  let depth = 0;
  for (const raw of src.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    const m = /^message (\w+) \{/.exec(line);
    if (m !== null && depth === 0) { current = new Map(); out.set(m[1] ?? '', current); depth = 1; continue; }
    if (depth === 0) continue;
    if (line.endsWith('{')) depth++;
    if (line.startsWith('}')) { depth--; if (depth === 0) current = undefined; continue; }
    const f = /^(optional|repeated)?\s*([\w.<>, ]+?)\s+(\w+)\s*=\s*(\d+);/.exec(line);
    if (f !== null && depth === 1 && current !== undefined) current.set(Number(f[4]), { label: f[1] ?? '', type: f[2] ?? '', name: f[3] ?? '' });
  }
  return out;
}

function parseGo(key: string, srcs: string[], proto: string): GoPackage {
  const pkg: GoPackage = { key, structs: new Map(), named: new Map(), imports: new Map(), proto: parseProto(proto) };
  for (const src of srcs) {
    for (const m of src.matchAll(/^\s*(\w+\s+)?"(k8s\.io\/[^"]+)"$/gm)) {
      const path = m[2] ?? '';
      const alias = (m[1] ?? '').trim() || path.slice(path.lastIndexOf('/') + 1);
      pkg.imports.set(alias, pkgKey(path));
    }
    const lines = src.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      const st = /^type (\w+) struct \{/.exec(line);
      if (st !== null) {
        const fields: GoField[] = [];
        for (i++; i < lines.length && !(lines[i] ?? '').startsWith('}'); i++) {
          const l = (lines[i] ?? '').trim();
          if (l.startsWith('//') || !l.includes('`')) continue;
          const head = l.slice(0, l.indexOf('`')).trim().split(/\s+/);
          const tags = l.slice(l.indexOf('`') + 1, l.lastIndexOf('`'));
          const json = /json:"([^"]*)"/.exec(tags)?.[1];
          const pb = /protobuf:"(\w+),(\d+)(?:,(?:opt|rep|req))?(?:,name=(\w+))?/.exec(tags);
          if (json === undefined || json === '-' && pb === null) continue;
          if (pb === null) {
            if (json === ',inline' && head.length === 1) continue; // embedded TypeMeta / ListMeta without protobuf
            // Only an error if the struct is reachable from a root (checked in convertField).
            fields.push({ name: head[0] ?? '', type: head[1] ?? head[0] ?? '', json, omitEmpty: false, inline: false, pbWire: '', pbNo: -1, pbName: '' });
            continue;
          }
          const [jsonName = '', ...jsonOpts] = json.split(',');
          fields.push({
            name: head.length === 2 ? head[0] ?? '' : (head[0] ?? '').replace(/^\*/, '').replace(/^\w+\./, ''),
            type: head.length === 2 ? head[1] ?? '' : head[0] ?? '',
            json: jsonName, omitEmpty: jsonOpts.includes('omitempty'), inline: jsonOpts.includes('inline'),
            pbWire: pb[1] ?? '', pbNo: Number(pb[2]), pbName: pb[3] ?? '',
          });
        }
        pkg.structs.set(st[1] ?? '', fields);
        continue;
      }
      const nt = /^type (\w+) (\S+)\s*(\/\/.*)?$/.exec(line);
      if (nt !== null && nt[2] !== 'struct' && nt[2] !== 'interface') pkg.named.set(nt[1] ?? '', nt[2] ?? '');
    }
  }
  return pkg;
}

const API_GROUPS = ['core', 'apps', 'networking', 'discovery', 'coordination', 'autoscaling', 'batch', 'policy', 'scheduling', 'rbac', 'authentication'];
const packages = new Map<string, GoPackage>();
for (const g of API_GROUPS) packages.set(`${g}.v1`, parseGo(`${g}.v1`, [show(apiDir, `${g}/v1/types.go`)], show(apiDir, `${g}/v1/generated.proto`)));
packages.set('meta.v1', parseGo('meta.v1', [show(amDir, 'pkg/apis/meta/v1/types.go')], show(amDir, 'pkg/apis/meta/v1/generated.proto')));

/** The kinds a body may carry: `apiVersion kind` → message. */
const ROOTS: ReadonlyArray<readonly [string, string]> = [
  ['v1 Namespace', 'core.v1.Namespace'], ['v1 Service', 'core.v1.Service'], ['v1 ConfigMap', 'core.v1.ConfigMap'],
  ['v1 Secret', 'core.v1.Secret'], ['v1 ServiceAccount', 'core.v1.ServiceAccount'], ['v1 Pod', 'core.v1.Pod'],
  ['v1 Endpoints', 'core.v1.Endpoints'], ['v1 ResourceQuota', 'core.v1.ResourceQuota'],
  ['apps/v1 Deployment', 'apps.v1.Deployment'], ['apps/v1 ReplicaSet', 'apps.v1.ReplicaSet'],
  ['apps/v1 StatefulSet', 'apps.v1.StatefulSet'], ['apps/v1 DaemonSet', 'apps.v1.DaemonSet'],
  ['networking.k8s.io/v1 Ingress', 'networking.v1.Ingress'], ['networking.k8s.io/v1 IngressClass', 'networking.v1.IngressClass'],
  ['networking.k8s.io/v1 NetworkPolicy', 'networking.v1.NetworkPolicy'],
  ['discovery.k8s.io/v1 EndpointSlice', 'discovery.v1.EndpointSlice'],
  ['coordination.k8s.io/v1 Lease', 'coordination.v1.Lease'],
  ['autoscaling/v1 Scale', 'autoscaling.v1.Scale'], ['autoscaling/v1 HorizontalPodAutoscaler', 'autoscaling.v1.HorizontalPodAutoscaler'],
  ['batch/v1 Job', 'batch.v1.Job'], ['batch/v1 CronJob', 'batch.v1.CronJob'],
  ['policy/v1 PodDisruptionBudget', 'policy.v1.PodDisruptionBudget'], ['policy/v1 Eviction', 'policy.v1.Eviction'],
  ['scheduling.k8s.io/v1 PriorityClass', 'scheduling.v1.PriorityClass'],
  ['rbac.authorization.k8s.io/v1 Role', 'rbac.v1.Role'], ['rbac.authorization.k8s.io/v1 ClusterRole', 'rbac.v1.ClusterRole'],
  ['rbac.authorization.k8s.io/v1 RoleBinding', 'rbac.v1.RoleBinding'], ['rbac.authorization.k8s.io/v1 ClusterRoleBinding', 'rbac.v1.ClusterRoleBinding'],
  ['authentication.k8s.io/v1 TokenRequest', 'authentication.v1.TokenRequest'],
];

/** Go types with their own JSON form. */
const SPECIAL: Record<string, string> = {
  'meta.v1.Time': 'Time', 'meta.v1.MicroTime': 'MicroTime', 'meta.v1.Duration': 'Duration', 'meta.v1.FieldsV1': 'FieldsV1',
  'intstr.IntOrString': 'IntOrString', 'resource.Quantity': 'Quantity', 'runtime.RawExtension': 'RawExtension', 'types.UID': 'string',
};
const SCALARS: Record<string, string> = { string: 'string', int32: 'int32', int64: 'int64', int: 'int64', bool: 'bool', float64: 'double', '[]byte': 'bytes' };

interface Resolved { kind: 'scalar' | 'special' | 'message'; name: string }

function resolveNamed(pkg: GoPackage, expr: string): { pkg: GoPackage; expr: string } {
  let p = pkg;
  let e = expr;
  for (;;) {
    const dot = /^(\w+)\.(\w+)$/.exec(e);
    if (dot !== null) {
      const key = p.imports.get(dot[1] ?? '') ?? dot[1] ?? '';
      const full = `${key}.${dot[2] ?? ''}`;
      if (SPECIAL[full] !== undefined) return { pkg: p, expr: full };
      const other = packages.get(key);
      if (other === undefined) throw new Error(`unknown package for ${e} in ${p.key}`);
      p = other;
      e = dot[2] ?? '';
      continue;
    }
    if (SPECIAL[`${p.key}.${e}`] !== undefined) return { pkg: p, expr: `${p.key}.${e}` };
    const underlying = p.named.get(e);
    if (underlying === undefined) return { pkg: p, expr: e };
    e = underlying;
  }
}

function resolveElem(pkg: GoPackage, expr: string): Resolved {
  const { pkg: p, expr: e } = resolveNamed(pkg, expr);
  const special = SPECIAL[e];
  if (special !== undefined) return { kind: special === 'string' ? 'scalar' : 'special', name: special };
  const scalar = SCALARS[e];
  if (scalar !== undefined) return { kind: 'scalar', name: scalar };
  if (p.structs.has(e)) return { kind: 'message', name: `${p.key}.${e}` };
  throw new Error(`cannot resolve Go type ${expr} (${e}) in ${pkg.key}`);
}

interface OutField { no: number; json: string; type: string; repeated: boolean; map: boolean; inline: boolean; keepZero: boolean; pbName: string }

function convertField(pkg: GoPackage, proto: Map<number, ProtoField>, msg: string, f: GoField): { field: OutField; refs: string[] } {
  if (f.pbNo < 0) throw new Error(`${msg}.${f.name}: field without protobuf tag`);
  let t = f.type;
  const pointer = t.startsWith('*');
  if (pointer) t = t.slice(1);
  let repeated = false;
  let map = false;
  let valueExpr = t;
  // Named slices/maps (ResourceList, Verbs) resolve to their underlying form first.
  const named = resolveNamed(pkg, t);
  const underlying = named.expr;
  const owner = named.pkg;
  const mapM = /^map\[(\S+?)\](\S+)$/.exec(underlying);
  if (mapM !== null) {
    const k = resolveElem(owner, mapM[1] ?? '');
    if (k.name !== 'string') throw new Error(`${msg}.${f.name}: map key ${mapM[1] ?? ''} is not a string`);
    map = true;
    valueExpr = mapM[2] ?? '';
    if (valueExpr.startsWith('[]') && valueExpr !== '[]byte') throw new Error(`${msg}.${f.name}: map of slices is not supported`);
  } else if (underlying.startsWith('[]') && underlying !== '[]byte') {
    repeated = true;
    valueExpr = underlying.slice(2);
    if (valueExpr.startsWith('*')) valueExpr = valueExpr.slice(1);
  } else {
    valueExpr = underlying;
  }
  const elem = resolveElem(owner, valueExpr);
  const keepZero = elem.kind === 'scalar' && !repeated && !map && (pointer || !f.omitEmpty);
  // Cross-check the kind of value against generated.proto (the Go tag's wire type has typos upstream).
  const pf = proto.get(f.pbNo);
  if (pf === undefined || (f.pbName !== '' && pf.name !== f.pbName)) throw new Error(`${msg}.${f.name}: proto says ${f.pbNo}=${pf?.name ?? '(none)'}, Go tag says ${f.pbName}`);
  const protoElem = map ? (/^map<string, ?(\S+)>$/.exec(pf.type)?.[1] ?? `?${pf.type}`) : pf.type;
  const protoShort = protoElem.slice(protoElem.lastIndexOf('.') + 1);
  const goShort = elem.kind === 'message' ? elem.name.slice(elem.name.lastIndexOf('.') + 1) : elem.name;
  const same = protoShort === goShort || (goShort === 'Quantity' && protoShort === 'Quantity');
  if (!same) throw new Error(`${msg}.${f.name}: proto type ${pf.type}, Go type ${f.type} (${elem.name})`);
  if ((pf.label === 'repeated') !== repeated || pf.type.startsWith('map<') !== map) throw new Error(`${msg}.${f.name}: proto label ${pf.label}, Go type ${f.type}`);
  return {
    field: { no: f.pbNo, json: f.inline ? '' : f.json, type: elem.name, repeated, map, inline: f.inline, keepZero, pbName: pf.name },
    refs: elem.kind === 'message' ? [elem.name] : [],
  };
}

const out = new Map<string, OutField[]>();
const queue = ROOTS.map(([, m]) => m);
while (queue.length > 0) {
  const name = queue.shift() ?? '';
  if (out.has(name)) continue;
  const dot = name.lastIndexOf('.');
  const pkg = packages.get(name.slice(0, dot));
  const goFields = pkg?.structs.get(name.slice(dot + 1));
  if (pkg === undefined || goFields === undefined) throw new Error(`no Go struct ${name}`);
  const proto = pkg.proto.get(name.slice(dot + 1));
  if (proto === undefined) throw new Error(`no proto message ${name}`);
  const fields: OutField[] = [];
  for (const gf of goFields) {
    const { field, refs } = convertField(pkg, proto, name, gf);
    fields.push(field);
    queue.push(...refs);
  }
  for (const [no, pf] of proto) {
    if (!fields.some((f) => f.no === no)) throw new Error(`${name}: proto field ${no} ${pf.name} has no Go field`);
  }
  out.set(name, fields);
}

function fieldToken(f: OutField): string {
  const type = (f.repeated ? '[]' : f.map ? '{}' : '') + f.type + (f.keepZero ? '!' : '');
  const json = f.inline ? `...${f.pbName}` : f.json;
  return `${json}=${f.no}:${type}`;
}

const lines: string[] = [];
lines.push(`// GENERATED by tools/gen-schema.ts from k8s.io/api and k8s.io/apimachinery ${tag} (types.go tags,`);
lines.push('// cross-checked against generated.proto). Do not edit by hand; rerun the generator.');
lines.push('//');
lines.push('// Each message is a whitespace-separated list of fields `json=number:type`:');
lines.push('//   type    string int32 int64 bool double bytes | Time MicroTime Duration IntOrString Quantity');
lines.push('//           RawExtension FieldsV1 | another message (a name with dots)');
lines.push('//   []T     repeated;  {}T  map<string, T> (entries key=1 value=2)');
lines.push('//   T!      a scalar kept even when zero (Go pointer, or no `omitempty`); other zero scalars are dropped');
lines.push('//   ...name the message is inlined into its parent in JSON (`json:",inline"`); `name` is the proto name');
lines.push('');
lines.push('/** `apiVersion kind` → message name. */');
lines.push('export const KINDS: Readonly<Record<string, string>> = {');
for (const [k, m] of ROOTS) lines.push(`  '${k}': '${m}',`);
lines.push('};');
lines.push('');
lines.push('export const MESSAGES: Readonly<Record<string, string>> = {');
for (const [name, fields] of [...out].sort(([a], [b]) => a.localeCompare(b))) {
  const toks = fields.map(fieldToken);
  const parts: string[] = [];
  let cur = '';
  for (const t of toks) {
    if (cur !== '' && cur.length + t.length + 1 > 96) { parts.push(cur); cur = t; } else cur = cur === '' ? t : `${cur} ${t}`;
  }
  if (cur !== '' || parts.length === 0) parts.push(cur);
  if (parts.length === 1) lines.push(`  '${name}': '${parts[0] ?? ''}',`);
  else {
    lines.push(`  '${name}':`);
    parts.forEach((p, i) => lines.push(`    '${p}${i < parts.length - 1 ? ' \' +' : '\','}`));
  }
}
lines.push('};');
process.stdout.write(lines.join('\n') + '\n');
