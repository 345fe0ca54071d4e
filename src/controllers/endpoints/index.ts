// The legacy Endpoints controller: the pure reconciler and the informer-driven shell. Started
// together with the EndpointSlice controller by `startEndpointSliceControllers`
// (../endpointslice/index.ts).
export {
  reconcileEndpoints, desiredSubsets, repackSubsets, truncateSubsets, endpointsLabels, podToEndpointAddress,
  type EndpointsReconcileInput, type EndpointsPlan,
} from './reconcile.ts';
export { EndpointsController, type EndpointsControllerOptions, type EndpointsStats } from './controller.ts';
