// The garbage collector: watches every deletable resource (discovery.ts, refreshed every 30 s so
// custom resources join), keeps the owner graph (graph.ts) and, per object uid, applies decide.ts —
// background deletion of dependents whose owners are gone (checked with a live read before
// anything is deleted), foreground deletion (the owner's `foregroundDeletion` finalizer goes once its
// blocking dependents are gone), and orphaning (owner references removed, then the `orphan`
// finalizer). Every write carries a uid precondition or a resourceVersion. Coexists with the API
// server's namespace deletion: objects it already removed are simply not found.
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { builtinResources } from '../../api/resources.ts';
import {
  Controller, Informer, isConflict, isNotFound, realClock, sleep, type Clock, type LogFn,
} from '../../client/index.ts';
import { errorMessage, type ControllerDeps } from '../common/informers.ts';
import { decideForDeleting, decideForDependent, type Decision, type OwnerState } from './decide.ts';
import { discoverResources, groupKindKey, resourceKey, type GCResource } from './discovery.ts';
import { Graph, deletingDependents, nodeOf, orphanFinalizer, type GraphNode } from './graph.ts';

export const garbageCollectorComponent = 'garbage-collector-controller';

export interface GarbageCollectorOptions extends ControllerDeps {
  /** The resources to watch (default: the API's discovery documents). */
  discover?: () => Promise<GCResource[]>;
  /** How often to look for new or removed resources (default 30 s, as upstream). */
  rediscoverMs?: number;
}

interface Watched {
  resource: GCResource;
  informer: Informer<KubeObject>;
  /** Made by the collector (not shared through the factory): stopped when the resource goes. */
  own: boolean;
  unsubscribe: () => void;
}

const absentCacheSize = 10_000;

export class GarbageCollector {
  readonly graph = new Graph();
  readonly controller: Controller;
  readonly #opts: GarbageCollectorOptions;
  readonly #clock: Clock;
  readonly #log: LogFn;
  readonly #watched = new Map<string, Watched>();
  readonly #byGroupKind = new Map<string, GCResource>();
  /** Owner uids confirmed gone (uids never come back). */
  readonly #absent = new Map<string, true>();
  readonly #stopper = new AbortController();
  #firstDiscovery: Promise<void> | undefined;
  #loop: Promise<void> | undefined;

  constructor(opts: GarbageCollectorOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#log = opts.log ?? (() => undefined);
    this.controller = new Controller({
      name: garbageCollectorComponent, clock: this.#clock, log: this.#log, workers: opts.workers ?? 5,
      reconcile: (uid) => this.process(uid),
      waitFor: [{ waitForSync: (signal) => this.#waitForGraph(signal) }],
    });
  }

  /** Discovers resources, starts their informers, and runs the workers until `stop()`. */
  run(): Promise<void> {
    this.#loop ??= this.#discoveryLoop();
    return this.controller.run();
  }

  async stop(): Promise<void> {
    this.#stopper.abort(new Error('garbage collector stopped'));
    await this.controller.stop();
    await this.#loop;
    for (const w of this.#watched.values()) {
      w.unsubscribe();
      if (w.own) await w.informer.stop();
    }
    this.#watched.clear();
  }

  /** The resources being watched now. */
  resources(): GCResource[] {
    return [...this.#watched.values()].map((w) => w.resource);
  }

  async #discover(): Promise<GCResource[]> {
    return (this.#opts.discover ?? (() => discoverResources(this.#opts.client)))();
  }

  async #discoveryLoop(): Promise<void> {
    const signal = this.#stopper.signal;
    let resolveFirst: () => void = () => undefined;
    this.#firstDiscovery = new Promise((r) => {
      resolveFirst = r;
    });
    let delay = 1000;
    while (!signal.aborted) {
      try {
        this.#sync(await this.#discover());
        resolveFirst();
        delay = this.#opts.rediscoverMs ?? 30_000;
      } catch (err) {
        this.#log('warn', `${garbageCollectorComponent}: discovery failed: ${errorMessage(err)}`);
        delay = Math.min(delay * 2, 30_000);
      }
      try {
        await sleep(this.#clock, delay, signal);
      } catch {
        break;
      }
    }
  }

  async #waitForGraph(signal?: AbortSignal): Promise<void> {
    const first = this.#firstDiscovery ?? Promise.resolve();
    await new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      first.then(resolve, reject);
    });
    await Promise.all([...this.#watched.values()].map((w) => w.informer.waitForSync(signal)));
  }

  /** Starts informers for new resources and stops those of resources that went away. */
  #sync(resources: readonly GCResource[]): void {
    const want = new Map(resources.map((r) => [resourceKey(r), r]));
    for (const [key, w] of this.#watched) {
      if (want.has(key)) continue;
      w.unsubscribe();
      if (w.own) void w.informer.stop();
      this.#watched.delete(key);
      this.#log('info', `${garbageCollectorComponent}: stopped watching ${key}`);
    }
    this.#byGroupKind.clear();
    for (const [key, r] of want) {
      this.#byGroupKind.set(groupKindKey(r.group === '' ? r.version : `${r.group}/${r.version}`, r.kind), r);
      if (this.#watched.has(key)) continue;
      const isBuiltin = builtinResources.some((b) => b.group === r.group && b.version === r.version && b.plural === r.plural);
      const informer = isBuiltin
        ? this.#opts.factory.informerFor<KubeObject>(r)
        : new Informer<KubeObject>(this.#opts.client.resource(r), { clock: this.#clock, log: this.#log, name: key });
      const unsubscribe = informer.addEventHandler({
        onAdd: (o) => this.#enqueue(this.graph.observe(nodeOf(r, o))),
        onUpdate: (_old, o) => this.#enqueue(this.graph.observe(nodeOf(r, o))),
        onDelete: (o) => {
          const uid = o.metadata.uid ?? '';
          this.#markAbsent(uid);
          this.#enqueue(this.graph.remove(uid));
        },
      });
      if (!isBuiltin) informer.start();
      this.#watched.set(key, { resource: r, informer, own: !isBuiltin, unsubscribe });
    }
  }

  #enqueue(uids: readonly string[]): void {
    for (const u of uids) if (u !== '') this.controller.enqueue(u);
  }

  #markAbsent(uid: string): void {
    if (uid === '') return;
    this.#absent.set(uid, true);
    while (this.#absent.size > absentCacheSize) {
      const first = this.#absent.keys().next();
      if (first.done === true) break;
      this.#absent.delete(first.value);
    }
  }

  /** Handles one object by uid. */
  async process(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (node === undefined) return;
    let decision: Decision;
    if (node.deleting) decision = decideForDeleting(node, this.graph.dependents(uid));
    else {
      if (node.owners.length === 0) return;
      const owners = await Promise.all(node.owners.map(async (ref) => ({ ref, state: await this.#ownerState(node, ref) })));
      decision = decideForDependent(node, owners, this.graph.dependents(uid).length > 0);
    }
    await this.#apply(node, decision);
  }

  async #ownerState(node: GraphNode, ref: OwnerReference): Promise<OwnerState> {
    const known = this.graph.get(ref.uid);
    if (known !== undefined) {
      if (known.resource.namespaced && known.namespace !== node.namespace) return 'dangling';
      return deletingDependents(known) ? 'waiting' : 'solid';
    }
    if (this.#absent.has(ref.uid)) return 'dangling';
    const res = this.#byGroupKind.get(groupKindKey(ref.apiVersion, ref.kind));
    // An owner of a kind nobody serves (yet): never collect on a guess.
    if (res === undefined) return 'solid';
    if (res.namespaced && node.namespace === '') return 'dangling';
    try {
      const owner = await this.#opts.client.resource(res).get(res.namespaced ? node.namespace : '', ref.name);
      if (owner.metadata.uid !== ref.uid) {
        this.#markAbsent(ref.uid);
        return 'dangling';
      }
      return nodeOf(res, owner).deleting && (owner.metadata.finalizers ?? []).includes('foregroundDeletion') ? 'waiting' : 'solid';
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#markAbsent(ref.uid);
      return 'dangling';
    }
  }

  async #apply(node: GraphNode, d: Decision): Promise<void> {
    switch (d.kind) {
      case 'none':
        return;
      case 'removeOwnerRefs':
        await this.#removeOwnerRefs(node, new Set(d.uids));
        return;
      case 'delete':
        try {
          await this.#opts.client.resource(node.resource).delete(node.namespace, node.name, { propagationPolicy: d.policy, preconditions: { uid: node.uid } });
          this.#log('info', `${garbageCollectorComponent}: deleted ${resourceKey(node.resource)} ${node.namespace}/${node.name} (${d.policy})`);
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
        return;
      case 'orphan':
        for (const dep of d.dependents) await this.#removeOwnerRefs(dep, new Set([node.uid]));
        await this.#removeFinalizer(node, orphanFinalizer);
        return;
      case 'removeFinalizer':
        await this.#removeFinalizer(node, d.finalizer);
        return;
      case 'waitForDependents':
        this.#enqueue(d.uids);
        return;
    }
  }

  /** Reads the object and writes it back without the owner references in `uids`. */
  async #removeOwnerRefs(node: GraphNode, uids: ReadonlySet<string>): Promise<void> {
    await this.#rewrite(node, (o) => {
      const refs = o.metadata.ownerReferences ?? [];
      const kept = refs.filter((r) => !uids.has(r.uid));
      if (kept.length === refs.length) return false;
      if (kept.length === 0) delete o.metadata.ownerReferences;
      else o.metadata.ownerReferences = kept;
      return true;
    });
  }

  async #removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    await this.#rewrite(node, (o) => {
      const fins = o.metadata.finalizers ?? [];
      if (!fins.includes(finalizer)) return false;
      o.metadata.finalizers = fins.filter((f) => f !== finalizer);
      return true;
    });
  }

  /** Get, change, update with the read resourceVersion; retried on conflict; gone or replaced objects are left alone. */
  async #rewrite(node: GraphNode, change: (o: KubeObject) => boolean): Promise<void> {
    const rc = this.#opts.client.resource(node.resource);
    for (let attempt = 0; ; attempt++) {
      let obj: KubeObject;
      try {
        obj = await rc.get(node.namespace, node.name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (obj.metadata.uid !== node.uid || !change(obj)) return;
      try {
        await rc.update(obj);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 4) throw err;
      }
    }
  }
}
