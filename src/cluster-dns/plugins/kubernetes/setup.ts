// Setup of the kubernetes plugin: parses its Corefile block (CoreDNS plugin/kubernetes/setup.go).
import { parseSelector } from '../../../machinery/labels.ts';
import type { Controller } from '../../plugin/controller.ts';
import type { Plugin } from '../../plugin/plugin.ts';
import { Kubernetes, type KubernetesPluginOptions } from './kubernetes.ts';
import type { PodMode } from './records.ts';

/** Parses the block into options (without the view). Throws CorefileError. */
export function parseKubernetes(c: Controller): KubernetesPluginOptions {
  const opts: KubernetesPluginOptions = {
    zones: c.zones(c.args),
    namespaces: [],
    namespaceLabels: undefined,
    labels: undefined,
    pods: 'disabled',
    endpointPodNames: false,
    ttl: 5,
    noEndpoints: false,
    ignoreEmptyService: false,
    fallthrough: { zones: [] },
  };
  for (const d of c.lines) {
    const a = d.args;
    switch (d.name) {
      case 'pods': {
        if (a.length !== 1) throw c.argErr(d);
        const mode = a[0] ?? '';
        if (mode !== 'disabled' && mode !== 'insecure' && mode !== 'verified') throw c.err(`wrong value for pods: ${mode},  must be one of: disabled, verified, insecure`, d.line);
        opts.pods = mode as PodMode;
        break;
      }
      case 'namespaces':
        if (a.length === 0) throw c.argErr(d);
        opts.namespaces.push(...a);
        break;
      case 'namespace_labels':
      case 'labels': {
        if (a.length === 0) throw c.argErr(d);
        try {
          const sel = parseSelector(a.join(' '));
          if (d.name === 'labels') opts.labels = sel;
          else opts.namespaceLabels = sel;
        } catch (e) {
          throw c.err(`unable to parse ${d.name} value: '${a.join(' ')}': ${e instanceof Error ? e.message : String(e)}`, d.line);
        }
        break;
      }
      case 'endpoint_pod_names':
        if (a.length !== 0) throw c.argErr(d);
        opts.endpointPodNames = true;
        break;
      case 'ttl': {
        if (a.length !== 1) throw c.argErr(d);
        opts.ttl = c.int(a[0], d, 0, 3600, 'ttl');
        break;
      }
      case 'noendpoints':
        if (a.length !== 0) throw c.argErr(d);
        opts.noEndpoints = true;
        break;
      case 'fallthrough':
        opts.fallthrough = { zones: a.length === 0 ? ['.'] : c.zones(a) };
        break;
      case 'ignore':
        if (a.length !== 1 || a[0] !== 'empty_service') throw c.err(`unable to parse ignore value: '${a.join(' ')}'`, d.line);
        opts.ignoreEmptyService = true;
        break;
      case 'endpoint': case 'tls': case 'kubeconfig':
        c.env.log('warn', `plugin/kubernetes: Corefile:${d.line} - '${d.name}' is ignored: Switchboard's DNS reads the cluster through its own --kubeconfig`);
        break;
      case 'apiserver_qps': case 'apiserver_burst': case 'apiserver_max_inflight':
        if (a.length !== 1) throw c.argErr(d);
        c.int(a[0], d, 0, 1_000_000);
        break;
      case 'startup_timeout':
        if (a.length !== 1) throw c.argErr(d);
        c.duration(a[0], d);
        break;
      case 'multicluster': case 'zonal':
        throw c.err(`'${d.name}' is not supported by Switchboard`, d.line);
      default:
        throw c.unknownProperty(d);
    }
  }
  return opts;
}

/** The kubernetes plugin: answers from the cluster view; ready once the view has synced. */
export function setupKubernetes(c: Controller): Plugin {
  const opts = parseKubernetes(c);
  const view = c.env.cluster;
  if (view === undefined) throw c.err('no cluster to read: start the DNS with a kubeconfig (switchboard dns --kubeconfig K) or inside switchboard up');
  if (opts.pods === 'verified') view.requirePods?.();
  const handler = new Kubernetes(opts, view);
  return { name: 'kubernetes', handler, ready: () => view.hasSynced() };
}
