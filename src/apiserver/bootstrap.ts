// Objects every fresh cluster has, as kubeadm creates them (DESIGN.md "Cluster defaults"). Pure data
// plus one function that creates whichever are missing; existing objects are never overwritten, so
// users' edits (the coredns Corefile, the kube-proxy mode) survive restarts.
import type { KubeObject } from '../api/types.ts';
import { isStatusError } from '../machinery/status.ts';
import { kubeadmCorefile } from '../cluster-dns/corefile/default.ts';
import { defaultObject } from '../api/defaults.ts';
import type { Registry } from './registry.ts';

/** kubeadm's default Corefile (seed 000's, without its hosts block); one copy, kept by the DNS. */
export const defaultCorefile = kubeadmCorefile;

/** A KubeProxyConfiguration as kubeadm writes it into the kube-proxy ConfigMap; `mode` picks the data plane. */
export function kubeProxyConfig(mode: string): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
bindAddress: 0.0.0.0
clusterCIDR: 10.244.0.0/16
ipvs:
  scheduler: ""
  strictARP: false
metricsBindAddress: 0.0.0.0:10249
mode: "${mode}"
`;
}

export interface BootstrapParams {
  /** Data plane named in the kube-proxy ConfigMap on first start. */
  proxyMode: string;
  /** The cluster CA (PEM), published in each namespace's kube-root-ca.crt ConfigMap. */
  caCert: string;
}

/**
 * What every namespace gets when it is created, as kube-controller-manager's serviceaccount and
 * root-ca-cert-publisher controllers make them: the `default` ServiceAccount and the
 * `kube-root-ca.crt` ConfigMap holding the cluster CA.
 */
export function namespaceDefaults(namespace: string, caCert: string): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace }, data: { 'ca.crt': caCert } },
  ];
}

/** The bootstrap objects, in creation order (namespaces first). */
export function bootstrapObjects(p: BootstrapParams): KubeObject[] {
  const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  return [
    ns('default'),
    ns('kube-system'),
    ns('kube-public'),
    ns('kube-node-lease'),
    {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], sessionAffinity: 'None' },
    },
    {
      apiVersion: 'v1', kind: 'Service',
      metadata: {
        name: 'kube-dns', namespace: 'kube-system',
        labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
        annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      },
      spec: {
        type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], selector: { 'k8s-app': 'kube-dns' },
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
        sessionAffinity: 'None',
      },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system' }, data: { Corefile: defaultCorefile } },
    {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { app: 'kube-proxy' } },
      data: { 'config.conf': kubeProxyConfig(p.proxyMode), kubeconfig: '' },
    },
    ...['default', 'kube-system', 'kube-public', 'kube-node-lease'].flatMap((n) => namespaceDefaults(n, p.caCert)),
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
      metadata: { name: 'switchboard', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' }, labels: { 'app.kubernetes.io/name': 'switchboard' } },
      spec: { controller: 'switchboard.dev/ingress' },
    },
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
      metadata: { name: 'nginx', labels: { 'app.kubernetes.io/name': 'switchboard' } },
      spec: { controller: 'switchboard.dev/ingress' },
    },
  ];
}

/** Where a bootstrap object goes: resource plural and group. */
export function resourceOf(obj: KubeObject): { group: string; plural: string } {
  switch (obj.kind) {
    case 'Namespace': return { group: '', plural: 'namespaces' };
    case 'Service': return { group: '', plural: 'services' };
    case 'ConfigMap': return { group: '', plural: 'configmaps' };
    case 'ServiceAccount': return { group: '', plural: 'serviceaccounts' };
    case 'IngressClass': return { group: 'networking.k8s.io', plural: 'ingressclasses' };
    default: throw new Error(`bootstrap: no resource for kind ${obj.kind ?? ''}`);
  }
}

/** How the bootstrapper reads and writes (the API server's registries, or a client). */
export interface BootstrapTarget {
  exists(group: string, plural: string, namespace: string, name: string): Promise<boolean>;
  create(group: string, plural: string, namespace: string, obj: KubeObject): Promise<void>;
}

/**
 * Creates the bootstrap objects that are missing. Existing ones are left alone (checked first:
 * re-creating the `kubernetes` Service would fail on its taken IP before AlreadyExists).
 */
export async function ensureBootstrap(target: BootstrapTarget, p: BootstrapParams): Promise<void> {
  for (const obj of bootstrapObjects(p)) {
    const { group, plural } = resourceOf(obj);
    const ns = obj.metadata.namespace ?? '';
    if (await target.exists(group, plural, ns, obj.metadata.name ?? '')) continue;
    try {
      await target.create(group, plural, ns, obj);
    } catch (err) {
      if (isStatusError(err) && err.reason === 'AlreadyExists') continue;
      throw err;
    }
  }
}

/** A BootstrapTarget over an in-process API server's registries. */
export function registryTarget(api: { registry(group: string, plural: string): Registry | undefined }): BootstrapTarget {
  const reg = (group: string, plural: string): Registry => {
    const r = api.registry(group, plural);
    if (r === undefined) throw new Error(`bootstrap: no registry for ${plural}`);
    return r;
  };
  return {
    async exists(group, plural, ns, name) {
      return (await reg(group, plural).tryGet(ns, name)) !== undefined;
    },
    async create(group, plural, ns, obj) {
      const r = reg(group, plural);
      await r.create(ns, defaultObject(r.info, obj));
    },
  };
}
