// What each Pod volume holds: the files of configMap, secret, downwardAPI and projected volumes (with
// items, modes and optional references as the kubelet's volume plugins have them), an empty
// directory for emptyDir, or a host path. Pure: the runtime writes and mounts the result.
import type { ConfigMap, Pod, Secret, Volume } from '../api/types.ts';
import type { EnvRefs } from './env.ts';

/** One file of a volume, at a relative path. */
export interface VolumeFile {
  path: string;
  data: Buffer;
  mode: number;
}

export type VolumeContent =
  | { kind: 'files'; files: VolumeFile[] }
  | { kind: 'emptyDir' }
  | { kind: 'hostPath'; path: string; type: string };

/** A volume that cannot be set up now; the message is the kubelet's FailedMount wording. */
export class VolumeError extends Error {
  readonly code = 'ERR_VOLUME_SETUP';
}

interface KeyToPath { key: string; path: string; mode?: number }
interface SourceRef { name?: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number }

const defaultMode = 0o644;

function cmEntries(cm: ConfigMap): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) m.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) m.set(k, Buffer.from(v, 'base64'));
  return m;
}

function secretEntries(s: Secret): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) m.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(s.stringData ?? {})) if (!m.has(k)) m.set(k, Buffer.from(v, 'utf8'));
  return m;
}

function project(entries: Map<string, Buffer>, ref: SourceRef, mode: number, what: string): VolumeFile[] {
  if (ref.items === undefined || ref.items.length === 0) {
    return [...entries.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, data]) => ({ path: k, data, mode }));
  }
  const out: VolumeFile[] = [];
  for (const it of ref.items) {
    const data = entries.get(it.key);
    if (data === undefined) {
      if (ref.optional === true) continue;
      throw new VolumeError(`${what} references non-existent config key: ${it.key}`);
    }
    out.push({ path: it.path, data, mode: it.mode ?? mode });
  }
  return out;
}

function fromConfigMap(ref: SourceRef, refs: EnvRefs, mode: number, volume: string): VolumeFile[] {
  const cm = refs.configMap(ref.name ?? '');
  if (cm === undefined) {
    if (ref.optional === true) return [];
    throw new VolumeError(`MountVolume.SetUp failed for volume "${volume}" : configmap "${ref.name ?? ''}" not found`);
  }
  return project(cmEntries(cm), ref, mode, 'configMap');
}

function fromSecret(ref: SourceRef, refs: EnvRefs, mode: number, volume: string): VolumeFile[] {
  const s = refs.secret(ref.name ?? '');
  if (s === undefined) {
    if (ref.optional === true) return [];
    throw new VolumeError(`MountVolume.SetUp failed for volume "${volume}" : secret "${ref.name ?? ''}" not found`);
  }
  return project(secretEntries(s), ref, mode, 'secret');
}

function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify((m ?? {})[k])}`).join('\n');
}

interface DownwardItem { path: string; fieldRef?: { fieldPath?: string }; resourceFieldRef?: unknown; mode?: number }

function downward(pod: Pod, items: readonly DownwardItem[], mode: number, podIP: string): VolumeFile[] {
  return items.map((it) => {
    const p = it.fieldRef?.fieldPath ?? '';
    let v = '';
    const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(p);
    if (m !== null) v = (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2] ?? ''] ?? '';
    else if (p === 'metadata.labels') v = formatMap(pod.metadata.labels);
    else if (p === 'metadata.annotations') v = formatMap(pod.metadata.annotations);
    else if (p === 'metadata.name') v = pod.metadata.name ?? '';
    else if (p === 'metadata.namespace') v = pod.metadata.namespace ?? '';
    else if (p === 'metadata.uid') v = pod.metadata.uid ?? '';
    else if (p === 'spec.nodeName') v = pod.spec?.nodeName ?? '';
    else if (p === 'status.podIP') v = podIP;
    return { path: it.path, data: Buffer.from(v), mode: it.mode ?? mode };
  });
}

/** A projected serviceAccountToken source. */
export interface TokenSource {
  path: string;
  audience?: string;
  expirationSeconds?: number;
}

/** The token sources of a Pod's projected volumes (the tokens the agent must fetch before mounting). */
export function tokenSources(pod: Pod): TokenSource[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => (v.projected?.sources ?? []).flatMap((s) => {
    const t = (s as { serviceAccountToken?: TokenSource }).serviceAccountToken;
    return t === undefined ? [] : [t];
  }));
}

/** The content of one volume. Throws VolumeError when a required ConfigMap, Secret or key is missing. */
export function volumeContent(pod: Pod, v: Volume, refs: EnvRefs, podIP: string): VolumeContent {
  if (v.emptyDir !== undefined) return { kind: 'emptyDir' };
  if (v.hostPath !== undefined) return { kind: 'hostPath', path: v.hostPath.path, type: v.hostPath.type ?? '' };
  if (v.configMap !== undefined) {
    return { kind: 'files', files: fromConfigMap(v.configMap as SourceRef, refs, v.configMap.defaultMode ?? defaultMode, v.name) };
  }
  if (v.secret !== undefined) {
    const ref: SourceRef = { ...(v.secret as SourceRef), name: v.secret.secretName ?? '' };
    return { kind: 'files', files: fromSecret(ref, refs, v.secret.defaultMode ?? defaultMode, v.name) };
  }
  if (v.downwardAPI !== undefined) {
    return { kind: 'files', files: downward(pod, (v.downwardAPI.items ?? []) as DownwardItem[], v.downwardAPI.defaultMode ?? defaultMode, podIP) };
  }
  if (v.projected !== undefined) {
    const mode = v.projected.defaultMode ?? defaultMode;
    const files: VolumeFile[] = [];
    for (const src of v.projected.sources ?? []) {
      const s = src as { configMap?: SourceRef; secret?: SourceRef; downwardAPI?: { items?: DownwardItem[] }; serviceAccountToken?: TokenSource };
      if (s.configMap !== undefined) files.push(...fromConfigMap(s.configMap, refs, mode, v.name));
      if (s.secret !== undefined) files.push(...fromSecret(s.secret, refs, mode, v.name));
      if (s.downwardAPI !== undefined) files.push(...downward(pod, s.downwardAPI.items ?? [], mode, podIP));
      if (s.serviceAccountToken !== undefined && refs.token !== undefined) {
        const t = s.serviceAccountToken;
        const token = refs.token(t.audience ?? '', t.expirationSeconds ?? 3600);
        if (token === undefined) throw new VolumeError(`MountVolume.SetUp failed for volume "${v.name}" : failed to fetch token: the API server did not issue a token for service account "${pod.spec?.serviceAccountName ?? 'default'}"`);
        files.push({ path: t.path, data: Buffer.from(token), mode });
      }
    }
    return { kind: 'files', files };
  }
  const kinds = Object.keys(v).filter((k) => k !== 'name');
  throw new VolumeError(`volume "${v.name}": type ${kinds.join(', ') || 'unknown'} is not supported by the Switchboard node agent (emptyDir, configMap, secret, downwardAPI, projected and hostPath are)`);
}

/** Refuses paths that would leave the volume directory (the kubelet's validation rejects them too). */
export function safeRelative(p: string): boolean {
  return p !== '' && !p.startsWith('/') && !p.split('/').includes('..');
}
