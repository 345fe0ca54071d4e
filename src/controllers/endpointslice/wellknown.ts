// Label, annotation and controller names the EndpointSlice and Endpoints controllers write, as
// upstream spells them (k8s.io/api discovery/v1 and core/v1 well-known names). Pure constants.

/** `kubernetes.io/service-name`: the Service a slice belongs to. */
export const serviceNameLabel = 'kubernetes.io/service-name';
/** `endpointslice.kubernetes.io/managed-by`: who manages a slice. */
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
/** The managed-by value of slices this controller writes (kube-controller-manager's). */
export const controllerName = 'endpointslice-controller.k8s.io';
/** `service.kubernetes.io/headless`: on slices and Endpoints of Services without a cluster IP. */
export const headlessLabel = 'service.kubernetes.io/headless';
/** `endpoints.kubernetes.io/last-change-trigger-time` (RFC 3339 with nanoseconds) for the SLI. */
export const triggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';
/** `endpoints.kubernetes.io/over-capacity` with value `truncated` on Endpoints above 1000 addresses. */
export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity';
/** The node label a slice endpoint's `zone` comes from. */
export const zoneLabel = 'topology.kubernetes.io/zone';
/** `service.kubernetes.io/topology-mode` (`Auto` turns on topology hints). */
export const topologyModeAnnotation = 'service.kubernetes.io/topology-mode';
/** The deprecated form of the topology-mode annotation (read when the new one is absent). */
export const topologyAwareHintsAnnotation = 'service.kubernetes.io/topology-aware-hints';
/** Upstream's default for `--max-endpoints-per-slice`. */
export const defaultMaxEndpointsPerSlice = 100;
/** The API's limit on endpoints per slice (and the flag's upper bound). */
export const maxEndpointsPerSliceLimit = 1000;
/** The legacy Endpoints controller's capacity (`maxCapacity`). */
export const endpointsMaxCapacity = 1000;

/** Labels of a slice that the controller owns; the Service's own labels with these keys are skipped. */
export const reservedSliceLabels: ReadonlySet<string> = new Set([serviceNameLabel, managedByLabel, headlessLabel]);
