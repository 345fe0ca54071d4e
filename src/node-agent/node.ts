// The Node object the agent registers and keeps fresh, as the kubelet does: labels, podCIDR, addresses,
// capacity and allocatable, the pressure and Ready conditions, daemon endpoint and node info; a Lease
// in kube-node-lease renewed every 10 s (a quarter of its 40 s duration). renderNode is pure.
import { cpus, totalmem, release, hostname as osHostname } from 'node:os';
import { readFileSync, statfsSync } from 'node:fs';
import type { Condition, Lease, Node } from '../api/types.ts';
import { builtin, type ApiClient } from '../client/types.ts';
import { isNotFound, isConflict } from '../client/errors.ts';
import { rfc3339 } from './status.ts';

/** What the Node object says, gathered once at start. */
export interface NodeFacts {
  name: string;
  podCIDR: string;
  internalIP: string;
  hostname: string;
  cpu: number;
  memoryKi: number;
  ephemeralStorageKi: number;
  pods: number;
  kernelVersion: string;
  osImage: string;
  machineID: string;
  bootID: string;
  kubeletPort: number;
  /** Ready condition: false with a message while the runtime is not set up. */
  ready: { ok: boolean; message: string };
}

export const agentVersion = 'v1.32.4+switchboard';

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(read('/etc/os-release'));
  return m?.[1] ?? 'Linux';
}

/** The IPv4 address of the device the default route leaves by (/proc/net/route), or undefined. */
export function defaultRouteIPv4(ifaces: NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>): string | undefined {
  const table = read('/proc/net/route').split('\n').slice(1);
  for (const line of table) {
    const [iface, dest] = line.trim().split(/\s+/);
    if (dest !== '00000000' || iface === undefined) continue;
    const a = (ifaces[iface] ?? []).find((x) => x.family === 'IPv4' && !x.internal);
    if (a !== undefined) return a.address;
  }
  return undefined;
}

/** Facts about this machine for the Node object. */
export function machineFacts(name: string, podCIDR: string, internalIP: string, stateDir: string, kubeletPort: number): NodeFacts {
  let storageKi = 0;
  try {
    const s = statfsSync(stateDir);
    storageKi = Math.floor((s.blocks * s.bsize) / 1024);
  } catch { /* unknown */ }
  return {
    name, podCIDR, internalIP,
    hostname: osHostname(),
    cpu: cpus().length,
    memoryKi: Math.floor(totalmem() / 1024),
    ephemeralStorageKi: storageKi,
    pods: 110,
    kernelVersion: release(),
    osImage: osImage(),
    machineID: read('/etc/machine-id'),
    bootID: read('/proc/sys/kernel/random/boot_id'),
    kubeletPort,
    ready: { ok: true, message: 'kubelet is posting ready status' },
  };
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, now: string, prev: readonly Condition[] | undefined): Condition {
  const old = prev?.find((c) => c.type === type);
  return {
    type, status, lastHeartbeatTime: now,
    lastTransitionTime: old !== undefined && old.status === status && old.lastTransitionTime !== undefined ? old.lastTransitionTime : now,
    reason, message,
  };
}

/** The Node object (spec and status) for the facts; `prev` keeps transition times. Pure. */
export function renderNode(f: NodeFacts, nowMs: number, prev?: Node): Node {
  const now = rfc3339(nowMs);
  const pc = prev?.status?.conditions;
  const capacity = {
    cpu: String(f.cpu), memory: `${f.memoryKi}Ki`, pods: String(f.pods), 'ephemeral-storage': `${f.ephemeralStorageKi}Ki`,
    'hugepages-1Gi': '0', 'hugepages-2Mi': '0',
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      ...(prev?.metadata ?? {}),
      name: f.name,
      labels: {
        ...(prev?.metadata.labels ?? {}),
        'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': f.name, 'kubernetes.io/os': 'linux',
      },
      annotations: {
        ...(prev?.metadata.annotations ?? {}),
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { ...(prev?.spec ?? {}), podCIDR: f.podCIDR, podCIDRs: [f.podCIDR] },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', now, pc),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', now, pc),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', now, pc),
        f.ready.ok
          ? condition('Ready', 'True', 'KubeletReady', f.ready.message, now, pc)
          : condition('Ready', 'False', 'KubeletNotReady', f.ready.message, now, pc),
      ],
      addresses: [{ type: 'InternalIP', address: f.internalIP }, { type: 'Hostname', address: f.name }],
      daemonEndpoints: { kubeletEndpoint: { Port: f.kubeletPort } },
      nodeInfo: {
        machineID: f.machineID, systemUUID: f.machineID, bootID: f.bootID, kernelVersion: f.kernelVersion, osImage: f.osImage,
        containerRuntimeVersion: 'switchboard://0.1.0', kubeletVersion: agentVersion, kubeProxyVersion: agentVersion,
        operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  };
}

/** MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export const leaseDurationSeconds = 40;

/** Registers the Node and renews its Lease; never throws from its timers. */
export class NodeRegistrar {
  private readonly client: ApiClient;
  facts: NodeFacts;
  private leaseTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly log: (level: 'info' | 'warn', msg: string) => void;
  private node: Node | undefined;

  constructor(client: ApiClient, facts: NodeFacts, log: (level: 'info' | 'warn', msg: string) => void) {
    this.client = client;
    this.facts = facts;
    this.log = log;
  }

  private get nodes() {
    return this.client.resource<Node>(builtin('nodes'));
  }

  /** Creates the Node or brings an existing one up to date (status included). */
  async register(): Promise<Node> {
    let existing: Node | undefined;
    try {
      existing = await this.nodes.get('', this.facts.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (existing === undefined) {
      const created = await this.nodes.create('', renderNode(this.facts, Date.now()));
      this.node = await this.nodes.updateStatus({ ...created, status: renderNode(this.facts, Date.now(), created).status ?? {} });
    } else {
      const want = renderNode(this.facts, Date.now(), existing);
      const updated = await this.nodes.update({ ...existing, metadata: want.metadata, spec: want.spec ?? {} });
      this.node = await this.nodes.updateStatus({ ...updated, status: want.status ?? {} });
    }
    return this.node;
  }

  /** Writes the status (heartbeat, Ready) now. */
  async updateStatus(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const cur = await this.nodes.get('', this.facts.name);
        this.node = await this.nodes.updateStatus({ ...cur, status: renderNode(this.facts, Date.now(), cur).status ?? {} });
        return;
      } catch (err) {
        if (isNotFound(err)) {
          await this.register();
          return;
        }
        if (!isConflict(err)) throw err;
      }
    }
  }

  async renewLease(): Promise<void> {
    const leases = this.client.resource<Lease>(builtin('leases', 'coordination.k8s.io'));
    const now = microTime(Date.now());
    const spec = { holderIdentity: this.facts.name, leaseDurationSeconds, renewTime: now };
    try {
      const cur = await leases.get('kube-node-lease', this.facts.name);
      await leases.update({ ...cur, spec: { ...(cur.spec ?? {}), ...spec } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const owner = this.node?.metadata.uid !== undefined ? [{ apiVersion: 'v1', kind: 'Node', name: this.facts.name, uid: this.node.metadata.uid }] : undefined;
      await leases.create('kube-node-lease', {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name: this.facts.name, namespace: 'kube-node-lease', ...(owner !== undefined ? { ownerReferences: owner } : {}) },
        spec: { ...spec, acquireTime: now },
      });
    }
  }

  /** Starts the lease (every 10 s) and status (every 60 s) loops. */
  start(leaseEveryMs = 10_000, statusEveryMs = 60_000): void {
    const lease = (): void => {
      this.renewLease().catch((err: unknown) => this.log('warn', `lease renewal failed: ${err instanceof Error ? err.message : String(err)}`));
    };
    lease();
    this.leaseTimer = setInterval(lease, leaseEveryMs);
    this.leaseTimer.unref();
    this.statusTimer = setInterval(() => {
      this.updateStatus().catch((err: unknown) => this.log('warn', `node status update failed: ${err instanceof Error ? err.message : String(err)}`));
    }, statusEveryMs);
    this.statusTimer.unref();
  }

  stop(): void {
    if (this.leaseTimer !== undefined) clearInterval(this.leaseTimer);
    if (this.statusTimer !== undefined) clearInterval(this.statusTimer);
  }
}
