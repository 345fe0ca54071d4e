// The contract between the sync loop and a data plane. The proxier computes what changed; a
// backend renders rules from the state (pure) and applies them (its last step touches the
// kernel or sockets). All three backends implement it and run the same packet-flow tables.
import type { ProxyConfig, ProxyMode, ProxyStateView } from './types.ts';

export interface SyncRequest {
  readonly state: ProxyStateView;
  readonly cfg: ProxyConfig;
  /** Services (`ns/name`) changed since the last successful sync; undefined = full sync. */
  readonly changedServices: ReadonlySet<string> | undefined;
}

export interface SyncReport {
  /** The sync rewrote everything (a backend may upgrade a partial request to a full one). */
  readonly full: boolean;
  /** Rule or element counts by table/set, for metrics. */
  readonly counts?: Readonly<Record<string, number>>;
  readonly noLocalEndpoints?: { readonly internal: number; readonly external: number };
}

/** One endpoint's live counters (userspace), or counts read from the kernel (conntrack). */
export interface EndpointCounters {
  readonly active: number;
  readonly inactive: number;
  readonly total?: number;
}

export interface Backend {
  readonly mode: ProxyMode;
  /** Applies the desired state; throws on failure (the proxier retries with a full sync). */
  sync(req: SyncRequest): Promise<SyncReport>;
  /** False when someone removed our rules (canary gone): the next sync is full. */
  healthy?(): Promise<boolean>;
  /** Counters per `<servicePortKey>|<ip:port>` for listings and metrics. */
  counters?(): Promise<ReadonlyMap<string, EndpointCounters>>;
  /** Removes everything this mode installed (mode switch, shutdown, or a crashed run's leftovers). */
  cleanup(): Promise<void>;
  /** Releases sockets and timers (does not remove kernel state; see cleanup). */
  close(): Promise<void>;
}
