// The controller manager: every controller of this folder over one shared set of informers and one
// event sink — ReplicaSet, Deployment, StatefulSet, the scheduler, the garbage collector, and the
// EndpointSlice/Endpoints controllers. `switchboard up` (and `switchboard controllers`, against any
// cluster) call `startControllers` with a Client.
import { InformerFactory, type ApiClient, type Clock, type LogFn } from '../client/index.ts';
import { EventSink } from './events.ts';
import type { ControllerDeps } from './common/informers.ts';
import { ReplicaSetController } from './replicaset/controller.ts';
import { DeploymentController } from './deployment/controller.ts';
import { StatefulSetController } from './statefulset/controller.ts';
import { Scheduler } from './scheduler/controller.ts';
import { GarbageCollector } from './garbagecollector/controller.ts';
import type { GCResource } from './garbagecollector/discovery.ts';
import { startEndpointSliceControllers, type EndpointSliceControllers } from './endpointslice/index.ts';

export { EventSink, FakeRecorder, discardRecorder, makeEvent, objectReference, type EventRecorder, type EventType, type EventSinkOptions } from './events.ts';
export { ReplicaSetController, replicaSetComponent } from './replicaset/controller.ts';
export { DeploymentController, deploymentComponent } from './deployment/controller.ts';
export { StatefulSetController, statefulSetComponent } from './statefulset/controller.ts';
export { Scheduler, schedulerComponent } from './scheduler/controller.ts';
export { GarbageCollector, garbageCollectorComponent, type GarbageCollectorOptions } from './garbagecollector/controller.ts';
export type { GCResource } from './garbagecollector/discovery.ts';
export type { ControllerDeps } from './common/informers.ts';

/** The controllers `startControllers` can run. */
export const controllerNames = ['replicaset', 'deployment', 'statefulset', 'scheduler', 'garbagecollector', 'endpointslice'] as const;
export type ControllerName = (typeof controllerNames)[number];

export interface StartControllersOptions {
  client: ApiClient;
  log?: LogFn;
  /** Workers per controller (default 5; the scheduler 4). */
  workers?: number;
  clock?: Clock;
  /** Which controllers to run (default: all). */
  controllers?: readonly ControllerName[];
  /** Resources the garbage collector watches (default: API discovery; tests with a FakeClient pass a list). */
  gcDiscover?: () => Promise<GCResource[]>;
  /** How often the garbage collector re-reads discovery (default 30 s). */
  gcRediscoverMs?: number;
}

/** The running controller manager. */
export interface RunningControllers {
  readonly informers: InformerFactory;
  readonly events: EventSink;
  readonly replicaSets?: ReplicaSetController;
  readonly deployments?: DeploymentController;
  readonly statefulSets?: StatefulSetController;
  readonly scheduler?: Scheduler;
  readonly garbageCollector?: GarbageCollector;
  readonly endpointSlices?: EndpointSliceControllers;
  /** Resolves once the shared informers have synced (the controllers start working then). */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Stops every controller, then the informers, then flushes the events. */
  stop(): Promise<void>;
}

/**
 * Starts the controllers against `client` and resolves at once; each starts working when the
 * informers it reads have synced. Reconcile failures are logged and retried, never thrown.
 */
export async function startControllers(opts: StartControllersOptions): Promise<RunningControllers> {
  const log: LogFn = opts.log ?? (() => undefined);
  const want = new Set<ControllerName>(opts.controllers ?? controllerNames);
  const informers = new InformerFactory(opts.client, { log, ...(opts.clock !== undefined ? { clock: opts.clock } : {}) });
  const events = new EventSink({ client: opts.client, log, ...(opts.clock !== undefined ? { clock: opts.clock } : {}) });
  const deps: ControllerDeps = {
    client: opts.client,
    factory: informers,
    recorder: (component) => events.recorder(component),
    log,
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
  };
  const replicaSets = want.has('replicaset') ? new ReplicaSetController(deps) : undefined;
  const deployments = want.has('deployment') ? new DeploymentController(deps) : undefined;
  const statefulSets = want.has('statefulset') ? new StatefulSetController(deps) : undefined;
  const scheduler = want.has('scheduler') ? new Scheduler(deps) : undefined;
  const garbageCollector = want.has('garbagecollector')
    ? new GarbageCollector({
      ...deps,
      ...(opts.gcDiscover !== undefined ? { discover: opts.gcDiscover } : {}),
      ...(opts.gcRediscoverMs !== undefined ? { rediscoverMs: opts.gcRediscoverMs } : {}),
    })
    : undefined;
  const endpointSlices = want.has('endpointslice')
    ? await startEndpointSliceControllers({
      client: opts.client, informers, log,
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
    })
    : undefined;
  const runners = [replicaSets, deployments, statefulSets, scheduler, garbageCollector].filter((c) => c !== undefined);
  const runs = runners.map((c) => c.run().catch((err: unknown) => log('error', `controllers: ${err instanceof Error ? err.message : String(err)}`)));
  informers.start();
  let stopped: Promise<void> | undefined;
  return {
    informers, events,
    ...(replicaSets !== undefined ? { replicaSets } : {}),
    ...(deployments !== undefined ? { deployments } : {}),
    ...(statefulSets !== undefined ? { statefulSets } : {}),
    ...(scheduler !== undefined ? { scheduler } : {}),
    ...(garbageCollector !== undefined ? { garbageCollector } : {}),
    ...(endpointSlices !== undefined ? { endpointSlices } : {}),
    waitForSync: (signal) => informers.waitForSync(signal),
    stop() {
      stopped ??= (async () => {
        await Promise.all([...runners.map((c) => c.stop()), endpointSlices?.stop()]);
        await Promise.all(runs);
        await informers.stop();
        await events.stop();
      })();
      return stopped;
    },
  };
}
