// Test support for the workload controllers (product code other tests may import): builders for
// Nodes, Deployments, StatefulSets and pods as controllers see them, and a fake node agent that
// plays the kubelet's part the controllers depend on — marking pods Running and Ready with an IP
// and finishing graceful deletions — until the real node agent exists.
import type { Condition, Deployment, Node, Pod, ReplicaSet, StatefulSet } from '../api/types.ts';
import { Controller, Informer, builtin, isNotFound, splitKey, type ApiClient } from '../client/index.ts';
import { rfc3339 } from './common/pods.ts';

type Override<T> = (o: T) => void;

/** A Ready node with room for 110 pods. */
export function readyNode(name: string, override?: Override<Node>): Node {
  const n: Node = {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: {
      capacity: { pods: '110' }, allocatable: { pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    },
  };
  override?.(n);
  return n;
}

/** A Deployment of `replicas` pods labelled app=<name> (not yet stored: no uid). */
export function newDeployment(namespace: string, name: string, replicas: number, override?: Override<Deployment>): Deployment {
  const d: Deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], terminationGracePeriodSeconds: 0 },
      },
    },
  };
  override?.(d);
  return d;
}

/** A ReplicaSet of `replicas` pods labelled app=<name> (not yet stored). */
export function newReplicaSet(namespace: string, name: string, replicas: number, override?: Override<ReplicaSet>): ReplicaSet {
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], terminationGracePeriodSeconds: 0 } },
    },
  };
  override?.(rs);
  return rs;
}

/** A StatefulSet `name` with serviceName `name` (not yet stored). */
export function newStatefulSet(namespace: string, name: string, replicas: number, override?: Override<StatefulSet>): StatefulSet {
  const s: StatefulSet = {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name, namespace },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }], terminationGracePeriodSeconds: 0 } },
    },
  };
  override?.(s);
  return s;
}

/** The status a node agent reports for a running, ready pod. */
export function runningStatus(pod: Pod, ip: string, nowMs: number): NonNullable<Pod['status']> {
  const t = rfc3339(nowMs);
  const cond = (type: string): Condition => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t });
  return {
    ...(pod.status ?? {}),
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: '127.0.0.1',
    startTime: t,
    conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name, ready: true, restartCount: 0, started: true, image: c.image ?? '', imageID: '', state: { running: { startedAt: t } },
    })),
  };
}

export interface FakeKubeletOptions {
  /** Only pods bound to this node (default: every pod, bound or not). */
  nodeName?: string;
  /** Only pods in this namespace. */
  namespace?: string;
  /** Leave pods matching this alone (e.g. to keep one not ready). */
  skip?: (pod: Pod) => boolean;
}

/**
 * Plays the node agent for tests: pods become Running and Ready with an IP from 10.244.0.0/16, and
 * pods being deleted are removed (grace period 0) — what a kubelet does once containers stop.
 */
export class FakeKubelet {
  readonly informer: Informer<Pod>;
  readonly controller: Controller;
  readonly #client: ApiClient;
  readonly #opts: FakeKubeletOptions;
  #nextIP = 2;

  constructor(client: ApiClient, opts: FakeKubeletOptions = {}) {
    this.#client = client;
    this.#opts = opts;
    this.informer = new Informer<Pod>(client.resource(builtin('pods')), {
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      ...(opts.nodeName !== undefined ? { fieldSelector: `spec.nodeName=${opts.nodeName}` } : {}),
      backoff: { initialMs: 50, maxMs: 500 },
    });
    this.controller = new Controller({ name: 'fake-kubelet', workers: 4, reconcile: (key) => this.#sync(key), waitFor: [this.informer] });
    this.informer.addEventHandler(this.controller.handler());
  }

  start(): this {
    this.informer.start();
    void this.controller.run();
    return this;
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await this.informer.stop();
  }

  async #sync(key: string): Promise<void> {
    const pod = this.informer.cache.getByKey(key);
    if (pod === undefined || this.#opts.skip?.(pod) === true) return;
    const { namespace, name } = splitKey(key);
    const pods = this.#client.resource<Pod>(builtin('pods'));
    try {
      if (pod.metadata.deletionTimestamp !== undefined) {
        await pods.delete(namespace, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid ?? '' } });
        return;
      }
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      if (pod.status?.phase === 'Running' && ready) return;
      if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return;
      const n = this.#nextIP++;
      const ip = `10.244.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`;
      await pods.updateStatus({ ...pod, status: runningStatus(pod, ip, Date.now()) });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

/** Polls until `fn` returns a value other than undefined/false (or throws after `timeoutMs`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
