// The client library: configuration, the API client (real and fake), informers, work queues and
// the controller runner. Other components import from here only.
export type {
  ApiClient, ResourceClient, ResourceRef, RequestOptions, ListOptions, WriteOptions, DeleteOptions, PatchType,
  WatchOptions, WatchEvent, WatchEventType, WatchHandle, RawRequestOptions, RawResponse,
} from './types.ts';
export { builtin, keyOf, splitKey, resourcePath, apiVersionOfRef, patchContentTypes } from './types.ts';
export {
  ClientError, isClientError, isNotFound, isAlreadyExists, isConflict, isGone, isInvalid, isStatus, statusErrorFromResponse,
  type ClientErrorCode,
} from './errors.ts';
export {
  loadClientConfig, loadKubeconfig, inClusterConfig, readKubeconfigFiles, configFromKubeconfig, parseKubeconfigInto, serviceAccountDir,
  type ClientConfig, type Kubeconfig, type LoadOptions, type InClusterOptions,
} from './kubeconfig.ts';
export { Client, type ClientOptions } from './rest.ts';
export { FakeClient, type FakeClientOptions, type FakeAction, type Reactor, type ReactorResult } from './fake.ts';
export { Cache, namespaceIndex, type IndexFunc } from './cache.ts';
export {
  Informer, InformerFactory,
  type EventHandler, type InformerOptions, type InformerStats, type FactoryOptions, type InformerRequest, type LogFn,
} from './informer.ts';
export {
  WorkQueue, ItemExponentialRateLimiter, BucketRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter,
  type RateLimiter, type WorkQueueOptions,
} from './workqueue.ts';
export { Controller, type ControllerOptions, type ControllerStats, type ReconcileResult } from './controller.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';
export { FakeClock, realClock, sleep, flushMicrotasks, type Clock, type Timer } from './clock.ts';
export { NdjsonDecoder } from './ndjson.ts';
export { createOrReplace } from './replace.ts';
