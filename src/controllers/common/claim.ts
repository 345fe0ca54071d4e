// Applies the claim rules (owners.ts) through the API: adopts orphans and releases strays with
// strategic merge patches, as upstream's ControllerRefManager. Before the first adoption it reads the
// controller afresh (not from a cache) and refuses to adopt for a controller that is gone, replaced
// or being deleted (RecheckDeletionTimestamp).
import type { KubeObject } from '../../api/types.ts';
import { isNotFound, type ApiClient, type ResourceRef } from '../../client/index.ts';
import { adoptPatch, claimAction, releasePatch } from './owners.ts';

export interface ClaimOptions {
  client: ApiClient;
  /** The resource of the candidates (pods, replicasets). */
  resource: ResourceRef;
  controller: KubeObject;
  /** The controller's resource (to re-read it before adopting). */
  controllerResource: ResourceRef;
  controllerApiVersion: string;
  controllerKind: string;
}

/**
 * The objects `controller` owns among `candidates` after adopting matching orphans and releasing
 * owned objects that no longer match. A failed adoption or release is thrown after every candidate
 * was handled (the caller retries); NotFound is not a failure.
 */
export async function claimObjects<T extends KubeObject>(candidates: readonly T[], match: (o: T) => boolean, opts: ClaimOptions): Promise<T[]> {
  const owned: T[] = [];
  const errors: unknown[] = [];
  let canAdopt: Promise<void> | undefined;
  const recheck = (): Promise<void> => {
    canAdopt ??= (async () => {
      const c = opts.controller;
      const fresh = await opts.client.resource(opts.controllerResource).get(c.metadata.namespace ?? '', c.metadata.name ?? '');
      if (fresh.metadata.uid !== c.metadata.uid) {
        throw new Error(`original ${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''} is gone: got uid ${fresh.metadata.uid ?? ''}, wanted ${c.metadata.uid ?? ''}`);
      }
      if (fresh.metadata.deletionTimestamp !== undefined) {
        throw new Error(`${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      }
    })();
    return canAdopt;
  };
  const rc = opts.client.resource<T>(opts.resource);
  for (const obj of candidates) {
    const action = claimAction(opts.controller, obj, match(obj));
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    try {
      if (action === 'own') owned.push(obj);
      else if (action === 'adopt') {
        await recheck();
        const patched = await rc.patch(ns, name, adoptPatch(opts.controller, opts.controllerApiVersion, opts.controllerKind, obj.metadata.uid ?? ''), 'strategic');
        owned.push(patched);
      } else if (action === 'release') {
        await rc.patch(ns, name, releasePatch(opts.controller.metadata.uid ?? '', obj.metadata.uid ?? ''), 'strategic');
      }
    } catch (err) {
      if (!isNotFound(err)) errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
  return owned;
}
