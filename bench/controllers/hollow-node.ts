// A hollow node (as kubemark's hollow kubelet or KWOK): a Ready Node with no containers behind it.
// Each Pod bound to it gets an IP and Ready in one status patch (as the kubelet's status manager
// sends it); deletions are confirmed at once (grace period 0); optionally it binds unscheduled
// Pods itself when no scheduler runs. For benchmarks and end-to-end tests of the control plane
// while no real node agent runs the Pods. Never used in place of the node agent for data-plane tests.
import type { Node, Pod } from '../../src/api/types.ts';
import { builtin, InformerFactory, isNotFound, type ApiClient } from '../../src/client/index.ts';

export interface HollowNodeOptions {
  /** The namespace whose Pods it serves. */
  namespace: string;
  /** Node name (default `hollow-node-1`); labels `type=hollow`, zone `zone-a`. */
  name?: string;
  /** Allocatable pods (default 110). */
  maxPods?: number;
}

/** A node without containers: Pods bound to it get an IP and Ready at once; deletions are confirmed. */
export class HollowNode {
  readonly name: string;
  readonly namespace: string;
  readonly #client: ApiClient;
  readonly #factory: InformerFactory;
  readonly #maxPods: number;
  readonly #busy = new Set<string>();
  /** The latest state of a Pod that changed while it was being handled: handled again after. */
  readonly #again = new Map<string, Pod>();
  /** Pods (by uid) already given an IP: an event that predates our write must not give another. */
  readonly #started = new Set<string>();
  #next = 1;
  bindUnscheduled = false;
  statusWrites = 0;
  /** When each Pod was first seen, first seen bound, and made Ready (performance.now()). */
  readonly seenAt = new Map<string, number>();
  readonly boundAt = new Map<string, number>();
  readonly readyAt = new Map<string, number>();

  constructor(client: ApiClient, opts: HollowNodeOptions) {
    this.#client = client;
    this.name = opts.name ?? 'hollow-node-1';
    this.namespace = opts.namespace;
    this.#maxPods = opts.maxPods ?? 110;
    this.#factory = new InformerFactory(client, { namespace: opts.namespace });
  }

  async start(): Promise<void> {
    const nodes = this.#client.resource<Node>(builtin('nodes'));
    const node: Node = {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: this.name, labels: { 'kubernetes.io/hostname': this.name, 'topology.kubernetes.io/zone': 'zone-a', type: 'hollow' } },
      spec: { podCIDR: '10.244.0.0/16', podCIDRs: ['10.244.0.0/16'] },
    };
    const created = await nodes.create('', node);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await nodes.updateStatus({
      ...created,
      status: {
        capacity: { cpu: '64', memory: '256Gi', pods: String(this.#maxPods) },
        allocatable: { cpu: '64', memory: '256Gi', pods: String(this.#maxPods) },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'hollow node', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: this.name }],
      },
    });
    const pods = this.#factory.informerFor<Pod>(builtin('pods'));
    const act = (p: Pod): void => void this.#handle(p);
    pods.addEventHandler({ onAdd: act, onUpdate: (_o, p) => act(p) });
    this.#factory.start();
    await this.#factory.waitForSync();
  }

  async #handle(p: Pod): Promise<void> {
    const name = p.metadata.name ?? '';
    if (!this.seenAt.has(name)) this.seenAt.set(name, performance.now());
    if ((p.spec?.nodeName ?? '') !== '' && !this.boundAt.has(name)) this.boundAt.set(name, performance.now());
    const key = `${p.metadata.name ?? ''}/${p.metadata.uid ?? ''}`;
    if (this.#busy.has(key)) {
      this.#again.set(key, p);
      return;
    }
    const node = p.spec?.nodeName ?? '';
    const r = this.#client.resource<Pod>(builtin('pods'));
    try {
      this.#busy.add(key);
      if (p.metadata.deletionTimestamp !== undefined) {
        if (node === this.name) await r.delete(this.namespace, p.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid ?? '' } });
        return;
      }
      if (node === '' && this.bindUnscheduled) {
        await this.#client.request('POST', `/api/v1/namespaces/${this.namespace}/pods/${p.metadata.name ?? ''}/binding`, {
          apiVersion: 'v1', kind: 'Binding', metadata: { name: p.metadata.name, namespace: this.namespace }, target: { apiVersion: 'v1', kind: 'Node', name: this.name },
        });
        return;
      }
      if (node !== this.name || (p.status?.podIP ?? '') !== '' || this.#started.has(p.metadata.uid ?? '')) return;
      this.#started.add(p.metadata.uid ?? '');
      const n = this.#next++;
      const ip = `10.244.${(n >> 8) & 255}.${n & 255 || 1}`;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const containers = p.spec?.containers ?? [];
      // A merge patch, as the kubelet's status manager sends: no conflict with the scheduler's writes.
      await r.patchStatus(this.namespace, p.metadata.name ?? '', {
        status: {
          phase: 'Running', hostIP: '127.0.0.1', hostIPs: [{ ip: '127.0.0.1' }], podIP: ip, podIPs: [{ ip }], startTime: now, qosClass: 'BestEffort',
          conditions: ['Initialized', 'ContainersReady', 'Ready', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
          containerStatuses: containers.map((c) => ({ name: c.name, ready: true, started: true, restartCount: 0, image: c.image ?? '', imageID: '', state: { running: { startedAt: now } } })),
        },
      }, 'merge');
      this.readyAt.set(name, performance.now());
      this.statusWrites++;
    } catch (err) {
      if (!isNotFound(err)) console.error(`# hollow node: ${p.metadata.name ?? ''}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.#busy.delete(key);
      const next = this.#again.get(key);
      if (next !== undefined) {
        this.#again.delete(key);
        void this.#handle(next);
      }
    }
  }

  async stop(): Promise<void> {
    await this.#factory.stop();
  }
}
