// The Service Strategy for the generic registry: kube-apiserver's Service REST hooks
// (pkg/registry/core/service/storage/storage.go beginCreate/beginUpdate/afterDelete and
// service/strategy.go). v1 defaulting (SetDefaults_Service) is NOT here: the API server applies
// defaultObject when it decodes a body, as upstream does; this strategy does what upstream does
// after decoding — clusterIP sync, ipFamilies, allocation, type-change clean-up, validation.
import type { KubeObject, Service } from '../../api/types.ts';
import {
  defaultLoadBalancerIPMode, defaultOnRead, dropTypeDependentFields, normalizeClusterIPs, patchAllocatedValues,
} from '../../api/service/prepare.ts';
import { validateService, validateServiceStatusUpdate, validateServiceUpdate } from '../../api/service/validation.ts';
import type { FieldError } from '../../machinery/status.ts';
import type { Strategy, Transaction } from '../strategy.ts';
import { noopTransaction } from '../strategy.ts';
import { ServiceAllocators, type AllocatorOptions } from './alloc.ts';

export type ServiceStrategyOptions = AllocatorOptions;

export interface ServiceStrategy extends Strategy {
  /**
   * Rebuilds the allocators from the stored Services. Call once after the store opens and before
   * the server serves requests. Returns one line per inconsistency found (to log).
   */
  init(services: KubeObject[]): string[];
  /** The allocators, for inspection (tests, metrics). */
  readonly allocators: ServiceAllocators;
}

function asService(obj: KubeObject): Service {
  return obj as Service;
}

/**
 * A status-subresource write: the registry keeps the stored spec and takes the new status, so the
 * spec is unchanged while the status differs. (Main-resource writes keep the stored status.)
 */
function isStatusWrite(obj: KubeObject, old: KubeObject): boolean {
  return JSON.stringify(obj['spec']) === JSON.stringify(old['spec']) && JSON.stringify(obj['status']) !== JSON.stringify(old['status']);
}

/** The registry removes an object at once when an update leaves it terminating with no finalizers. */
function deletesNow(obj: KubeObject): boolean {
  const m = obj.metadata;
  return m.deletionTimestamp !== undefined && (m.finalizers ?? []).length === 0 && (m.deletionGracePeriodSeconds ?? 0) === 0;
}

/** ExternalName never shows internalTrafficPolicy (upstream drops it on read). */
function dropExternalNameITP(svc: Service): void {
  if (svc.spec?.type === 'ExternalName') delete svc.spec.internalTrafficPolicy;
}

/** Creates the Service strategy with its own ClusterIP and NodePort allocators. */
export function createServiceStrategy(opts: ServiceStrategyOptions = {}): ServiceStrategy {
  const allocators = new ServiceAllocators(opts);
  const primary = allocators.primaryFamily;
  const readOld = (old: KubeObject): Service => {
    const copy = structuredClone(asService(old));
    defaultOnRead(copy, primary);
    return copy;
  };

  return {
    allocators,

    init(services: KubeObject[]): string[] {
      return allocators.restore(services.map(asService));
    },

    prepareForCreate(obj: KubeObject): void {
      // Users cannot set status on create (svcStrategy.PrepareForCreate).
      obj['status'] = { loadBalancer: {} };
    },

    async beginCreate(obj: KubeObject, dryRun: boolean): Promise<Transaction> {
      const svc = asService(obj);
      normalizeClusterIPs(svc, undefined);
      const txn = allocators.allocateCreate(svc, dryRun);
      dropExternalNameITP(svc);
      return txn;
    },

    async beginUpdate(obj: KubeObject, old: KubeObject, dryRun: boolean): Promise<Transaction> {
      const svc = asService(obj);
      if (isStatusWrite(obj, old)) {
        defaultLoadBalancerIPMode(svc);
        return noopTransaction;
      }
      const before = readOld(old);
      patchAllocatedValues(svc, before);
      normalizeClusterIPs(svc, before);
      // An update that ends in deletion allocates nothing: afterDelete frees what the object held.
      const txn = allocators.allocateUpdate(svc, before, dryRun || deletesNow(obj));
      // PrepareForUpdate runs after BeginUpdate upstream.
      dropTypeDependentFields(svc, before);
      dropExternalNameITP(svc);
      defaultLoadBalancerIPMode(svc);
      return deletesNow(obj) ? noopTransaction : txn;
    },

    validate(obj: KubeObject): FieldError[] {
      return validateService(asService(obj));
    },

    validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
      if (isStatusWrite(obj, old)) return validateServiceStatusUpdate(asService(obj), asService(old));
      return validateServiceUpdate(asService(obj), readOld(old));
    },

    afterDelete(obj: KubeObject): void {
      allocators.releaseAllocatedResources(readOld(obj));
    },
  };
}
