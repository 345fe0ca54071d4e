// The informers and options every workload controller is built from, and small cache lookups they
// share. Thin: no decisions here.
import type { KubeObject, Pod } from '../../api/types.ts';
import { selectorFromLabelSelector, type LabelSelector, type Selector } from '../../machinery/labels.ts';
import { isConflict, type ApiClient, type Clock, type Informer, type InformerFactory, type LogFn, type ResourceClient } from '../../client/index.ts';
import type { EventRecorder } from '../events.ts';
import { controllerRefOf } from './pods.ts';

/** What each controller is built with. */
export interface ControllerDeps {
  client: ApiClient;
  factory: InformerFactory;
  /** Makes a recorder for a component name (`replicaset-controller`, ...). */
  recorder: (component: string) => EventRecorder;
  clock?: Clock;
  log?: LogFn;
  workers?: number;
}

/**
 * The selector of a controller's spec, or undefined when it is invalid or empty: upstream controllers
 * treat a nil or empty selector as matching nothing (never everything).
 */
export function controllerSelector(ls: LabelSelector | null | undefined): Selector | undefined {
  if (ls === undefined || ls === null) return undefined;
  try {
    const sel = selectorFromLabelSelector(ls);
    return sel.isEverything() || sel.nothing ? undefined : sel;
  } catch {
    return undefined;
  }
}

/** The object `ref` names in `informer`'s cache, if it is the same object (uid and kind). */
export function resolveControllerRef<T extends KubeObject>(informer: Informer<T>, namespace: string, obj: KubeObject, kind: string): T | undefined {
  const ref = controllerRefOf(obj);
  if (ref === undefined || ref.kind !== kind) return undefined;
  const owner = informer.cache.get(namespace, ref.name);
  return owner !== undefined && owner.metadata.uid === ref.uid ? owner : undefined;
}

/** Controllers in `namespace` whose selector matches the object's labels. */
export function matchingControllers<T extends KubeObject & { spec?: { selector?: LabelSelector } }>(informer: Informer<T>, obj: KubeObject): T[] {
  const out: T[] = [];
  for (const c of informer.cache.byIndex('namespace', obj.metadata.namespace ?? '')) {
    const sel = controllerSelector(c.spec?.selector);
    if (sel !== undefined && sel.matches(obj.metadata.labels)) out.push(c);
  }
  return out;
}

/** Pods in a namespace from the pod informer's cache. */
export function podsIn(pods: Informer<Pod>, namespace: string): Pod[] {
  return pods.cache.byIndex('namespace', namespace);
}

/**
 * Writes a status with the cached object's resourceVersion; on a conflict re-reads the object and
 * tries once more (upstream's statusUpdateRetries).
 */
export async function writeStatus<T extends KubeObject>(rc: ResourceClient<T>, obj: T, status: unknown): Promise<T> {
  try {
    return await rc.updateStatus({ ...obj, status });
  } catch (err) {
    if (!isConflict(err)) throw err;
    const fresh = await rc.get(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
    return rc.updateStatus({ ...fresh, status });
  }
}

/** Whether an error says the namespace is being deleted (creations there are pointless). */
export function isNamespaceTerminating(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /because it is being terminated|namespace .* is terminating/i.test(msg);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
