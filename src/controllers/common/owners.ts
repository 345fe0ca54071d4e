// Controller references and the claim rules of upstream's ControllerRefManager
// (pkg/controller/controller_ref_manager.go): a controller owns what carries its controllerRef and
// matches its selector, adopts matching orphans, releases owned objects that stopped matching, and
// never touches what another controller owns. Pure: the decisions; claim.ts applies them.
import type { KubeObject } from '../../api/types.ts';
import { controllerRefOf } from './pods.ts';

/** What to do with one candidate object. */
export type ClaimAction = 'own' | 'adopt' | 'release' | 'ignore';

/** ClaimObject's decision for `obj`, given whether it matches the controller's selector. */
export function claimAction(controller: KubeObject, obj: KubeObject, matches: boolean): ClaimAction {
  const ref = controllerRefOf(obj);
  const controllerDeleting = controller.metadata.deletionTimestamp !== undefined;
  if (ref !== undefined) {
    if (ref.uid !== controller.metadata.uid) return 'ignore';
    if (matches) return 'own';
    // Owned by us but no longer selected: release, unless we are being deleted.
    return controllerDeleting ? 'ignore' : 'release';
  }
  if (controllerDeleting || !matches) return 'ignore';
  if (obj.metadata.deletionTimestamp !== undefined) return 'ignore';
  const ns = controller.metadata.namespace ?? '';
  if (ns !== '' && ns !== (obj.metadata.namespace ?? '')) return 'ignore';
  return 'adopt';
}

/** The strategic merge patch that adds a controller reference (metadata.uid guards the target). */
export function adoptPatch(controller: KubeObject, apiVersion: string, kind: string, objUID: string): unknown {
  return {
    metadata: {
      ownerReferences: [{ apiVersion, kind, name: controller.metadata.name ?? '', uid: controller.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      uid: objUID,
    },
  };
}

/** The strategic merge patch that removes the owner reference with `ownerUID`. */
export function releasePatch(ownerUID: string, objUID: string): unknown {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUID }], uid: objUID } };
}
