// The EndpointSlice controller (and, through `startEndpointSliceControllers`, the legacy Endpoints
// controller): pure reconciler, Pod/Service helpers shared by both, the write tracker and the
// informer-driven shell.
import { InformerFactory, type ApiClient, type Clock, type LogFn } from '../../client/index.ts';
import { EndpointsController } from '../endpoints/index.ts';
import { EndpointSliceController } from './controller.ts';

export * from './wellknown.ts';
export {
  isPodReady, isPodTerminal, isPodTerminating, podIPs, shouldPodBeInEndpoints, shouldSetHostname, findPort, isServiceIPSet, isHeadless,
  managesService, serviceSelectsPod, ipFamilyOf,
} from './pods.ts';
export {
  reconcileEndpointSlices, planIsEmpty, addressTypesForService, endpointPortsFor, portMapKey, endpointKey, endpointsEqualBeyondKey,
  podToEndpoint, sliceLabels, serviceOwnerRef, ownedBy, isManagedSliceFor, newSlice, hintsMode,
  type AddressType, type SliceReconcileInput, type SlicePlan,
} from './reconcile.ts';
export { SliceTracker, QuietRetry } from './tracker.ts';
export { TriggerTimeTracker, formatRFC3339Nano } from './triggertime.ts';
export {
  EndpointSliceController, sliceServiceIndex, podNodeIndex,
  type EndpointSliceControllerOptions, type EndpointSliceStats,
} from './controller.ts';

export interface StartEndpointSliceOptions {
  client: ApiClient;
  log?: LogFn;
  /** Default 100 (upstream `--max-endpoints-per-slice`, 1..1000). */
  maxEndpointsPerSlice?: number;
  /**
   * Informers to share with other controllers of the process. When given, the caller starts and
   * stops the factory (informers made here start with it); otherwise a private one is made,
   * started, and stopped by `stop()`.
   */
  informers?: InformerFactory;
  /** Workers per controller (default 5). */
  workers?: number;
  clock?: Clock;
}

/** The running EndpointSlice and Endpoints controllers. */
export interface EndpointSliceControllers {
  readonly endpointSlices: EndpointSliceController;
  readonly endpoints: EndpointsController;
  /** Resolves once every informer both controllers read has synced. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Stops both controllers (and the informers, if they were made here). */
  stop(): Promise<void>;
}

/**
 * Starts the EndpointSlice and the legacy Endpoints controllers against `client`. Resolves at once
 * (the workers start once the caches have synced); reconcile errors are logged and retried.
 */
export async function startEndpointSliceControllers(opts: StartEndpointSliceOptions): Promise<EndpointSliceControllers> {
  const own = opts.informers === undefined;
  const informers = opts.informers ?? new InformerFactory(opts.client, {
    ...(opts.log !== undefined ? { log: opts.log } : {}),
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
  });
  const common = {
    client: opts.client,
    informers,
    ...(opts.log !== undefined ? { log: opts.log } : {}),
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
  };
  const endpointSlices = new EndpointSliceController({
    ...common,
    ...(opts.maxEndpointsPerSlice !== undefined ? { maxEndpointsPerSlice: opts.maxEndpointsPerSlice } : {}),
  });
  const endpoints = new EndpointsController(common);
  if (own) informers.start();
  const runs = [endpointSlices.run(), endpoints.run()].map((p) => p.catch((err: unknown) => {
    opts.log?.('error', `endpoint controllers: ${err instanceof Error ? err.message : String(err)}`);
  }));
  let stopped: Promise<void> | undefined;
  return {
    endpointSlices,
    endpoints,
    async waitForSync(signal) {
      await Promise.all([endpointSlices.waitForSync(signal), endpoints.waitForSync(signal)]);
    },
    stop() {
      stopped ??= (async () => {
        await Promise.all([endpointSlices.stop(), endpoints.stop()]);
        await Promise.all(runs);
        if (own) await informers.stop();
      })();
      return stopped;
    },
  };
}
