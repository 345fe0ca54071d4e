// A Service registry over a MemoryStore wired as the API server wires it (decode-time defaulting,
// ObjectMeta validation in front of the strategy), for tests of this folder and of its users.
// Product code: other tests may import it.
import { MemoryStore } from '../storage/memory.ts';
import { Registry, type WriteOptions } from '../registry.ts';
import type { Strategy } from '../strategy.ts';
import { ResourceCatalog, defaultObject, validateObjectMeta, type ResourceInfo } from '../../api/index.ts';
import type { Service, ServiceSpec } from '../../api/types.ts';
import { createServiceStrategy, type ServiceStrategy, type ServiceStrategyOptions } from './strategy.ts';

export const servicesInfo: ResourceInfo = (() => {
  const info = new ResourceCatalog().get('', 'v1', 'services');
  if (info === undefined) throw new Error('services are not in the resource catalog');
  return info;
})();

/** ObjectMeta validation in front of a strategy's own, as the API server's withMetaValidation adds it. */
export function withMetaValidation(info: ResourceInfo, s: Strategy): Strategy {
  return {
    ...s,
    validate: (obj) => [...validateObjectMeta(info, obj.metadata, undefined), ...(s.validate?.(obj) ?? [])],
    validateUpdate: (obj, old) => [...validateObjectMeta(info, obj.metadata, old.metadata), ...(s.validateUpdate?.(obj, old) ?? [])],
  };
}

export type FullService = Service & { spec: ServiceSpec };

export interface ServiceHarness {
  store: MemoryStore;
  strategy: ServiceStrategy;
  registry: Registry;
  /** POST: defaults the manifest as the server does on decode, then creates it. */
  create(svc: Service, opts?: WriteOptions): Promise<FullService>;
  /** GET + change + PUT, as `kubectl edit` does. */
  edit(namespace: string, name: string, mutate: (svc: FullService) => void, opts?: WriteOptions): Promise<FullService>;
  /** PUT of a whole manifest (no resourceVersion), as `kubectl replace` does. */
  replace(svc: Service, opts?: WriteOptions): Promise<FullService>;
  get(namespace: string, name: string): Promise<FullService>;
  remove(namespace: string, name: string): Promise<void>;
}

/** A fresh store, strategy and registry; pass `store` to reopen existing data with a new strategy (a restart). */
export async function newServiceHarness(opts: ServiceStrategyOptions = {}, store: MemoryStore = new MemoryStore()): Promise<ServiceHarness> {
  const strategy = createServiceStrategy(opts);
  const registry = new Registry(store, servicesInfo, withMetaValidation(servicesInfo, strategy));
  const stored = await registry.list(undefined);
  strategy.init(stored.items);
  const ns = (svc: Service) => svc.metadata.namespace ?? 'default';
  return {
    store, strategy, registry,
    async create(svc, o = {}) {
      return (await registry.create(ns(svc), defaultObject(servicesInfo, svc), o)) as FullService;
    },
    async edit(namespace, name, mutate, o = {}) {
      const cur = (await registry.get(namespace, name)) as FullService;
      mutate(cur);
      const out = await registry.update(namespace, name, defaultObject(servicesInfo, cur, { operation: 'update' }), o);
      return out.object as FullService;
    },
    async replace(svc, o = {}) {
      const body = structuredClone(svc);
      delete body.metadata.resourceVersion;
      const out = await registry.update(ns(svc), svc.metadata.name ?? '', defaultObject(servicesInfo, body, { operation: 'update' }), o);
      return out.object as FullService;
    },
    async get(namespace, name) {
      return (await registry.get(namespace, name)) as FullService;
    },
    async remove(namespace, name) {
      await registry.delete(namespace, name);
    },
  };
}
