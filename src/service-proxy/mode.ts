// Which data plane runs: `--proxy-mode` or the `mode` of the KubeProxyConfiguration in the
// kube-system/kube-proxy ConfigMap (seed 002: edit the ConfigMap and the proxy switches).
// `ipvs` selects the userspace backend with the IPVS scheduler named by `ipvs.scheduler` (this
// machine has no IPVS); a kernel mode that cannot run here (not root, tool missing) falls back to
// userspace and says why. Pure.
import { parse as parseYAML } from 'yaml';
import type { ConfigMap } from '../api/types.ts';
import type { ProxyMode } from './types.ts';
import { parseScheduler, type Scheduler } from './backends/userspace/pick.ts';

/** The parts of a KubeProxyConfiguration the proxy reads. */
export interface KubeProxySettings {
  readonly mode: string;
  readonly ipvsScheduler: string;
  readonly clusterCIDR: string;
  readonly masqueradeAll: boolean;
  /** ms; undefined = default. */
  readonly minSyncPeriodMs: number | undefined;
  readonly syncPeriodMs: number | undefined;
  /** Why the config could not be read, if it could not. */
  readonly error?: string;
}

/** Go duration strings as kube-proxy configs carry them (`1s`, `500ms`, `1m30s`), in ms. */
export function parseDurationMs(s: unknown): number | undefined {
  if (typeof s !== 'string' || s === '') return undefined;
  let total = 0;
  let rest = s;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (m === null) return undefined;
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** Reads `config.conf` of the kube-proxy ConfigMap (kubeadm's layout). */
export function settingsFromConfigMap(cm: ConfigMap | undefined): KubeProxySettings {
  const empty: KubeProxySettings = { mode: '', ipvsScheduler: '', clusterCIDR: '', masqueradeAll: false, minSyncPeriodMs: undefined, syncPeriodMs: undefined };
  const text = cm?.data?.['config.conf'];
  if (text === undefined) return empty;
  let doc: unknown;
  try {
    doc = parseYAML(text);
  } catch (err) {
    return { ...empty, error: `config.conf is not YAML: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof doc !== 'object' || doc === null) return empty;
  const d = doc as Record<string, unknown>;
  const sub = (k: string): Record<string, unknown> => (typeof d[k] === 'object' && d[k] !== null ? (d[k] as Record<string, unknown>) : {});
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const ipt = sub('iptables');
  return {
    mode: str(d['mode']),
    ipvsScheduler: str(sub('ipvs')['scheduler']),
    clusterCIDR: str(d['clusterCIDR']),
    masqueradeAll: ipt['masqueradeAll'] === true,
    minSyncPeriodMs: parseDurationMs(ipt['minSyncPeriod']),
    syncPeriodMs: parseDurationMs(ipt['syncPeriod']),
  };
}

/**
 * The mode asked for: the flag wins at start-up; once the ConfigMap's mode differs from what it
 * said at start-up (someone edited it), the ConfigMap wins.
 */
export function requestedMode(flag: string, configMapMode: string, configMapModeAtStart: string): string {
  if (configMapMode !== configMapModeAtStart) return configMapMode;
  return flag !== '' ? flag : configMapMode;
}

export interface ModeChoice {
  readonly mode: ProxyMode;
  readonly scheduler: Scheduler;
  /** Lines for the log explaining substitutions. */
  readonly notes: readonly string[];
}

/**
 * Resolves a requested mode against what this machine can do. `unavailable[mode]` holds why a
 * kernel mode cannot run (undefined when it can).
 */
export function chooseMode(requested: string, ipvsScheduler: string, unavailable: Partial<Record<'iptables' | 'nftables', string | undefined>>): ModeChoice {
  const notes: string[] = [];
  const sched = parseScheduler(ipvsScheduler);
  if (sched.note !== undefined) notes.push(sched.note);
  let mode: ProxyMode;
  switch (requested) {
    case '':
      mode = 'iptables';
      break;
    case 'iptables': case 'nftables': case 'userspace':
      mode = requested;
      break;
    case 'ipvs':
      notes.push(`mode "ipvs": this kernel has no IPVS; using the userspace proxy with the ${sched.scheduler} scheduler`);
      return { mode: 'userspace', scheduler: sched.scheduler, notes };
    default:
      notes.push(`unknown proxy mode ${JSON.stringify(requested)}; using iptables`);
      mode = 'iptables';
  }
  if (mode !== 'userspace') {
    const why = unavailable[mode];
    if (why !== undefined) {
      notes.push(`${mode} mode is not available here (${why}); using the userspace proxy`);
      mode = 'userspace';
    }
  }
  return { mode, scheduler: mode === 'userspace' ? sched.scheduler : 'rr', notes };
}
