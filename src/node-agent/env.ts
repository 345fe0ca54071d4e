// A container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables):
// the Service variables first, then envFrom, then env with `$(VAR)` expansion over what came before;
// command and args are expanded with the result. Pure: ConfigMaps and Secrets come in through `EnvRefs`.
import type { ConfigMap, Container, Pod, Secret, Service } from '../api/types.ts';

/** Thrown when a referenced ConfigMap, Secret or key is missing: the container waits with CreateContainerConfigError. */
export class EnvError extends Error {
  readonly code = 'ERR_CONTAINER_CONFIG';
}

/** Lookups the environment may need; undefined means "not found". */
export interface EnvRefs {
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
  /**
   * A ServiceAccount token for the Pod (projected serviceAccountToken sources), fetched beforehand;
   * undefined when it could not be had. Absent: the agent mints none (the file is left out).
   */
  token?(audience: string, expirationSeconds: number): string | undefined;
}

/** Pod-level values that fieldRef and resourceFieldRef read. */
export interface EnvContext {
  podIP: string;
  podIPs: readonly string[];
  hostIP: string;
  nodeName: string;
  /** Node allocatable, for resourceFieldRef without limits: { cpu: '2', memory: '24Gi' }. */
  nodeAllocatable: { cpu: number; memoryBytes: number };
}

/** Go's expansion.Expand: `$(NAME)` from `lookup`, `$$` escapes a `$`, unknown references stay as written. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      const v = lookup(name);
      out += v ?? `$(${name})`;
      i = end;
    } else {
      out += ch;
    }
  }
  return out;
}

function envName(serviceName: string): string {
  return serviceName.toUpperCase().replace(/-/g, '_');
}

/**
 * The Docker-links style variables for Services (pkg/kubelet/envvars/envvars.go FromServices): for each
 * Service with a ClusterIP, `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT[_<PORTNAME>]`, `<NAME>_PORT`
 * and `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`.
 */
export function serviceEnv(services: readonly Service[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const sorted = [...services].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const svc of sorted) {
    const ip = svc.spec?.clusterIP ?? '';
    if (ip === '' || ip === 'None') continue;
    const ports = svc.spec?.ports ?? [];
    const first = ports[0];
    if (first === undefined) continue;
    const name = envName(svc.metadata.name ?? '');
    out.push([`${name}_SERVICE_HOST`, ip], [`${name}_SERVICE_PORT`, String(first.port)]);
    for (const p of ports) {
      if (p.name !== undefined && p.name !== '') out.push([`${name}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
    }
    const host = ip.includes(':') ? `[${ip}]` : ip;
    const proto = (first.protocol ?? 'TCP').toLowerCase();
    out.push([`${name}_PORT`, `${proto}://${host}:${first.port}`]);
    for (const p of ports) {
      const P = (p.protocol ?? 'TCP').toUpperCase();
      const prefix = `${name}_PORT_${p.port}_${P}`;
      out.push([prefix, `${P.toLowerCase()}://${host}:${p.port}`], [`${prefix}_PROTO`, P.toLowerCase()], [`${prefix}_PORT`, String(p.port)], [`${prefix}_ADDR`, ip]);
    }
  }
  return out;
}

/**
 * Which Services a Pod's environment names: every Service of its namespace when enableServiceLinks
 * is not false, and always the `kubernetes` Service of `default` (the Pod's own namespace wins on a clash).
 */
export function servicesForPod(pod: Pod, all: readonly Service[]): Service[] {
  const ns = pod.metadata.namespace ?? 'default';
  const byName = new Map<string, Service>();
  for (const s of all) {
    if (s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes') byName.set('kubernetes', s);
  }
  if (pod.spec?.enableServiceLinks !== false) {
    for (const s of all) if (s.metadata.namespace === ns) byName.set(s.metadata.name ?? '', s);
  }
  return [...byName.values()];
}

function decode64(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

interface KeyRef { name?: string; key?: string; optional?: boolean }
interface FieldRef { fieldPath?: string }
interface ResourceFieldRef { containerName?: string; resource?: string; divisor?: string | number }

function fieldValue(pod: Pod, path: string, ctx: EnvContext): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m !== null) {
    const bag = m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return bag?.[m[2] ?? ''] ?? '';
  }
  switch (path) {
    case 'metadata.name': return pod.metadata.name ?? '';
    case 'metadata.namespace': return pod.metadata.namespace ?? '';
    case 'metadata.uid': return pod.metadata.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    case 'status.hostIP': return ctx.hostIP;
    case 'status.hostIPs': return ctx.hostIP;
    case 'status.podIP': return ctx.podIP;
    case 'status.podIPs': return ctx.podIPs.join(',');
    default: throw new EnvError(`unsupported fieldRef ${JSON.stringify(path)}`);
  }
}

/** Parses a CPU quantity to cores (`500m` → 0.5) and a memory quantity to bytes. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (m === null) return NaN;
  const n = Number(m[1]);
  const units: Record<string, number> = {
    '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  };
  const u = units[m[2] ?? ''];
  return u === undefined ? NaN : n * u;
}

function resourceValue(pod: Pod, container: Container, ref: ResourceFieldRef, ctx: EnvContext): string {
  const target = ref.containerName !== undefined && ref.containerName !== ''
    ? pod.spec?.containers.find((c) => c.name === ref.containerName) ?? container
    : container;
  const resource = ref.resource ?? '';
  const [kind, name] = resource.split('.') as [string, string | undefined];
  const bag = kind === 'requests' ? target.resources?.requests : target.resources?.limits;
  const raw = name === undefined ? undefined : bag?.[name];
  const isCpu = name === 'cpu';
  let value = raw !== undefined ? parseQuantity(raw) : (isCpu ? ctx.nodeAllocatable.cpu : ctx.nodeAllocatable.memoryBytes);
  if (kind === 'requests' && raw === undefined) value = 0;
  const divisor = ref.divisor === undefined ? 1 : parseQuantity(ref.divisor);
  // The kubelet rounds up (cpu to whole divisors: 1 core by default; memory to bytes).
  return String(Math.ceil(value / (divisor > 0 ? divisor : 1)));
}

function keyFrom(kind: 'ConfigMap' | 'Secret', ns: string, ref: KeyRef, refs: EnvRefs): string | undefined {
  const name = ref.name ?? '';
  const key = ref.key ?? '';
  if (kind === 'ConfigMap') {
    const cm = refs.configMap(name);
    if (cm === undefined) {
      if (ref.optional === true) return undefined;
      throw new EnvError(`configmap "${name}" not found`);
    }
    const v = cm.data?.[key] ?? (cm.binaryData?.[key] !== undefined ? decode64(cm.binaryData[key] ?? '') : undefined);
    if (v === undefined && ref.optional !== true) throw new EnvError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
    return v;
  }
  const s = refs.secret(name);
  if (s === undefined) {
    if (ref.optional === true) return undefined;
    throw new EnvError(`secret "${name}" not found`);
  }
  const v = s.data?.[key] !== undefined ? decode64(s.data[key] ?? '') : s.stringData?.[key];
  if (v === undefined && ref.optional !== true) throw new EnvError(`couldn't find key ${key} in Secret ${ns}/${name}`);
  return v;
}

/** The resolved environment of a container: ordered name/value pairs plus its expanded command line parts. */
export interface ContainerEnv {
  env: Map<string, string>;
  expand(s: string): string;
}

/**
 * Builds the container's variables in the kubelet's order. `base` (the image's own variables such as
 * PATH) comes first and is overridden by anything the Pod sets. Throws EnvError for missing references.
 */
export function containerEnv(pod: Pod, container: Container, services: readonly Service[], refs: EnvRefs, ctx: EnvContext, base: ReadonlyArray<[string, string]> = []): ContainerEnv {
  const ns = pod.metadata.namespace ?? 'default';
  const env = new Map<string, string>(base);
  const svcVars = new Map<string, string>(serviceEnv(servicesForPod(pod, services)));
  for (const [k, v] of svcVars) env.set(k, v);
  const defined = new Map<string, string>(svcVars);
  const lookup = (name: string) => defined.get(name);
  for (const from of (container['envFrom'] ?? []) as Array<{ prefix?: string; configMapRef?: KeyRef; secretRef?: KeyRef }>) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef !== undefined) {
      const cm = refs.configMap(from.configMapRef.name ?? '');
      if (cm === undefined) {
        if (from.configMapRef.optional !== true) throw new EnvError(`configmap "${from.configMapRef.name ?? ''}" not found`);
        continue;
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) { env.set(prefix + k, v); defined.set(prefix + k, v); }
    }
    if (from.secretRef !== undefined) {
      const s = refs.secret(from.secretRef.name ?? '');
      if (s === undefined) {
        if (from.secretRef.optional !== true) throw new EnvError(`secret "${from.secretRef.name ?? ''}" not found`);
        continue;
      }
      for (const [k, v] of Object.entries(s.data ?? {})) { env.set(prefix + k, decode64(v)); defined.set(prefix + k, decode64(v)); }
    }
  }
  for (const e of container.env ?? []) {
    let value: string | undefined;
    if (e.valueFrom !== undefined) {
      const vf = e.valueFrom as { fieldRef?: FieldRef; resourceFieldRef?: ResourceFieldRef; configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef };
      if (vf.fieldRef !== undefined) value = fieldValue(pod, vf.fieldRef.fieldPath ?? '', ctx);
      else if (vf.resourceFieldRef !== undefined) value = resourceValue(pod, container, vf.resourceFieldRef, ctx);
      else if (vf.configMapKeyRef !== undefined) value = keyFrom('ConfigMap', ns, vf.configMapKeyRef, refs);
      else if (vf.secretKeyRef !== undefined) value = keyFrom('Secret', ns, vf.secretKeyRef, refs);
      if (value === undefined) continue;
    } else {
      value = expand(e.value ?? '', lookup);
    }
    env.set(e.name, value);
    defined.set(e.name, value);
  }
  return { env, expand: (s) => expand(s, (n) => defined.get(n)) };
}
