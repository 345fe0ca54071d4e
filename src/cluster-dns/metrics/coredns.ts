// The metrics CoreDNS exports, by their CoreDNS names and labels (plugin/metrics/vars, and each
// plugin's metrics.go), registered on one Registry per DNS instance. Pure.
import { exponentialBuckets, type Counter, type Gauge, type Histogram, type Registry } from './registry.ts';

const durationBuckets = exponentialBuckets(0.00025, 2, 16);
const sizeBuckets = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];

/** Per-server query metrics (the prometheus plugin records them). */
export interface ServerMetrics {
  requests: Counter;
  requestDuration: Histogram;
  requestSize: Histogram;
  responseSize: Histogram;
  responses: Counter;
  doRequests: Counter;
  pluginEnabled: Gauge;
  panics: Counter;
  buildInfo: Gauge;
}

export function serverMetrics(r: Registry): ServerMetrics {
  return {
    requests: r.counter('coredns_dns_requests_total', 'Counter of DNS requests made per zone, protocol and family.', ['server', 'zone', 'view', 'proto', 'family', 'type']),
    requestDuration: r.histogram('coredns_dns_request_duration_seconds', 'Histogram of the time (in seconds) each request took per zone.', ['server', 'zone', 'view', 'type'], durationBuckets),
    requestSize: r.histogram('coredns_dns_request_size_bytes', 'Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.', ['server', 'zone', 'view', 'proto'], sizeBuckets),
    responseSize: r.histogram('coredns_dns_response_size_bytes', 'Size of the returned response in bytes.', ['server', 'zone', 'view', 'proto'], sizeBuckets),
    responses: r.counter('coredns_dns_responses_total', 'Counter of response status codes.', ['server', 'zone', 'view', 'rcode', 'plugin']),
    doRequests: r.counter('coredns_dns_do_requests_total', 'Counter of DNS requests with DO bit set per zone.', ['server', 'zone', 'view']),
    pluginEnabled: r.gauge('coredns_plugin_enabled', 'A metric that indicates whether a plugin is enabled on per server and zone basis.', ['server', 'zone', 'view', 'name']),
    panics: r.counter('coredns_panics_total', 'A metrics that counts the number of panics.'),
    buildInfo: r.gauge('coredns_build_info', 'A metric with a constant \'1\' value labeled by version, revision, and goversion from which CoreDNS was built.', ['version', 'revision', 'goversion']),
  };
}

export interface CacheMetrics {
  entries: Gauge;
  hits: Counter;
  misses: Counter;
  requests: Counter;
  prefetch: Counter;
  evictions: Counter;
  servedStale: Counter;
  drops: Counter;
}

export function cacheMetrics(r: Registry): CacheMetrics {
  return {
    entries: r.gauge('coredns_cache_entries', 'The number of elements in the cache.', ['server', 'type', 'zones', 'view']),
    hits: r.counter('coredns_cache_hits_total', 'The count of cache hits.', ['server', 'type', 'zones', 'view']),
    misses: r.counter('coredns_cache_misses_total', 'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.', ['server', 'zones', 'view']),
    requests: r.counter('coredns_cache_requests_total', 'The count of cache requests.', ['server', 'zones', 'view']),
    prefetch: r.counter('coredns_cache_prefetch_total', 'The number of times the cache has prefetched a cached item.', ['server', 'zones', 'view']),
    evictions: r.counter('coredns_cache_evictions_total', 'The count of cache evictions.', ['server', 'type', 'zones', 'view']),
    servedStale: r.counter('coredns_cache_served_stale_total', 'The number of requests served from stale cache entries.', ['server', 'zones', 'view']),
    drops: r.counter('coredns_cache_drops_total', 'The number responses that are not cached, because the reply is malformed.', ['server', 'zones', 'view']),
  };
}

export interface ForwardMetrics {
  requests: Counter;
  responses: Counter;
  requestDuration: Histogram;
  proxyDuration: Histogram;
  healthcheckFailures: Counter;
  proxyHealthcheckFailures: Counter;
  healthcheckBroken: Counter;
  maxConcurrentRejects: Counter;
}

export function forwardMetrics(r: Registry): ForwardMetrics {
  return {
    requests: r.counter('coredns_forward_requests_total', 'Counter of requests made per upstream.', ['to']),
    responses: r.counter('coredns_forward_responses_total', 'Counter of responses received per upstream.', ['rcode', 'to']),
    requestDuration: r.histogram('coredns_forward_request_duration_seconds', 'Histogram of the time each request took.', ['to', 'rcode'], durationBuckets),
    proxyDuration: r.histogram('coredns_proxy_request_duration_seconds', 'Histogram of the time each request took.', ['proxy_name', 'to', 'rcode'], durationBuckets),
    healthcheckFailures: r.counter('coredns_forward_healthcheck_failures_total', 'Counter of the number of failed healthchecks.', ['to']),
    proxyHealthcheckFailures: r.counter('coredns_proxy_healthcheck_failures_total', 'Count of failed health checks per upstream.', ['proxy_name', 'to']),
    healthcheckBroken: r.counter('coredns_forward_healthcheck_broken_total', 'Counter of the number of complete failures of the healthchecks.'),
    maxConcurrentRejects: r.counter('coredns_forward_max_concurrent_rejects_total', 'Counter of the number of queries rejected because the concurrent queries were at maximum.'),
  };
}

export interface HostsMetrics {
  entries: Gauge;
  reloadTimestamp: Gauge;
}

export function hostsMetrics(r: Registry): HostsMetrics {
  return {
    entries: r.gauge('coredns_hosts_entries', 'The combined number of entries in hosts and Corefile.'),
    reloadTimestamp: r.gauge('coredns_hosts_reload_timestamp_seconds', 'The timestamp of the last reload of hosts file.'),
  };
}

export interface ReloadMetrics {
  failed: Counter;
  versionInfo: Gauge;
}

export function reloadMetrics(r: Registry): ReloadMetrics {
  return {
    failed: r.counter('coredns_reload_failed_total', 'Counter of the number of failed reload attempts.'),
    versionInfo: r.gauge('coredns_reload_version_info', 'A metric with a constant \'1\' value labeled by hash, and value which type of hash generated.', ['hash', 'value']),
  };
}

export interface HealthMetrics {
  duration: Histogram;
  failures: Counter;
}

export function healthMetrics(r: Registry): HealthMetrics {
  return {
    duration: r.histogram('coredns_health_request_duration_seconds', 'Histogram of the time (in seconds) each request took.', [], exponentialBuckets(0.00025, 10, 5)),
    failures: r.counter('coredns_health_request_failures_total', 'The number of times the health check failed.'),
  };
}

export interface KubernetesMetrics {
  programmingDuration: Histogram;
}

export function kubernetesMetrics(r: Registry): KubernetesMetrics {
  return {
    programmingDuration: r.histogram('coredns_kubernetes_dns_programming_duration_seconds', 'Histogram of the time (in seconds) it took to program a dns instance.', ['service_kind'],
      [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384, 32.768, 65.536, 131.072, 262.144, 524.288]),
  };
}

export interface LoopMetrics {
  detected: Counter;
}

export function loopMetrics(r: Registry): LoopMetrics {
  return { detected: r.counter('switchboard_dns_loop_detected_total', 'Forwarding loops detected by the loop plugin (CoreDNS exits instead).', ['zone']) };
}
