// Create-or-replace for objects a component owns outright (its own Endpoints, EndpointSlices): the
// stored copy, if any, is replaced by `want` at its current resourceVersion.
import type { KubeObject } from '../api/types.ts';
import { isNotFound } from './errors.ts';
import type { ResourceClient } from './types.ts';

export async function createOrReplace<T extends KubeObject>(res: ResourceClient<T>, want: T): Promise<void> {
  const ns = want.metadata.namespace ?? '';
  try {
    const cur = await res.get(ns, want.metadata.name ?? '');
    await res.update({ ...want, metadata: { ...want.metadata, resourceVersion: cur.metadata.resourceVersion ?? '' } });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await res.create(ns, want);
  }
}
