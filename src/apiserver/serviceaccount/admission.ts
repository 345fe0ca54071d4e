// The ServiceAccount admission step kube-apiserver applies to every new Pod: `serviceAccountName`
// defaults to `default`, and unless automounting is turned off (on the Pod or its ServiceAccount)
// the Pod gets the `kube-api-access-<suffix>` projected volume — a bound token, the cluster CA from
// `kube-root-ca.crt` and the namespace — mounted read-only at the well-known path in every
// container, so in-cluster clients find their credentials there. Pure.
import type { Pod } from '../../api/types.ts';

export const tokenMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Mutates `pod`. `sa` is the Pod's ServiceAccount, undefined when it does not exist (no volume then). */
export function admitServiceAccount(pod: Pod, sa: { automountServiceAccountToken?: boolean } | undefined, suffix: string): void {
  pod.spec ??= { containers: [] };
  const spec = pod.spec;
  if (spec.serviceAccountName === undefined || spec.serviceAccountName === '') spec.serviceAccountName = spec.serviceAccount !== undefined && spec.serviceAccount !== '' ? spec.serviceAccount : 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (sa === undefined) return;
  if ((spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true) === false) return;
  if ((spec.volumes ?? []).some((v) => v.name.startsWith('kube-api-access-'))) return;
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const needs = containers.filter((c) => !(c.volumeMounts ?? []).some((m) => m.mountPath === tokenMountPath));
  if (needs.length === 0) return;
  const name = `kube-api-access-${suffix}`;
  spec.volumes = [...(spec.volumes ?? []), {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  }];
  for (const c of needs) c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: tokenMountPath }];
}
