// The service proxy's public surface: start it (startServiceProxy), feed it (ProxySource, or the
// informer wiring), inspect it (fetchListing/formatListing for `switchboard proxy list`), and the
// pure pieces other components and tests may use.
export { startServiceProxy, fetchListing, proxyListFromDataDir, hostNodeIPs, type ServiceProxyOptions, type RunningServiceProxy } from './start.ts';
export { ManualSource, type ProxySource, type ProxyEventHandlers } from './source.ts';
export { informerSource, proxiedSelector } from './informers.ts';
export { formatListing, virtualServers, type ProxyListing, type VirtualServer } from './list.ts';
export { chooseMode, requestedMode, settingsFromConfigMap } from './mode.ts';
export { ProxyMetrics } from './metrics.ts';
export { Proxier, type Logger, type LogLevel } from './proxier.ts';
export type { Backend, SyncRequest, SyncReport } from './backend.ts';
export { proxyModes, type ProxyMode, type ProxyConfig } from './types.ts';
export { checkFlows, type FlowCase, type FlowResult, type Packet } from './flows.ts';
