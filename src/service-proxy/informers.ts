// The proxy's inputs from the API server: shared informers for Services and EndpointSlices (minus
// those another proxy owns, `service.kubernetes.io/service-proxy-name`, and headless ones, as
// kube-proxy selects them) and for the kube-system/kube-proxy ConfigMap. Resync replays and events
// are passed straight to the change trackers; onSynced fires once all three have listed.
import type { ConfigMap, EndpointSlice, Service } from '../api/types.ts';
import { builtin, type InformerFactory } from '../client/index.ts';
import type { ProxyEventHandlers, ProxySource } from './source.ts';

/** kube-proxy's selector for Services and EndpointSlices it serves. */
export const proxiedSelector = '!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless';

/**
 * A ProxySource over a (shared) InformerFactory. The factory is started if it was not; it is not
 * stopped by stop() (its owner stops it).
 */
export function informerSource(factory: InformerFactory): ProxySource {
  const unsubscribe: (() => void)[] = [];
  const abort = new AbortController();
  return {
    start(h: ProxyEventHandlers): void {
      const services = factory.informerFor<Service>(builtin('services'), { labelSelector: proxiedSelector });
      const slices = factory.informerFor<EndpointSlice>(builtin('endpointslices', 'discovery.k8s.io'), { labelSelector: proxiedSelector });
      const config = factory.informerFor<ConfigMap>(builtin('configmaps'), { namespace: 'kube-system', fieldSelector: 'metadata.name=kube-proxy' });
      unsubscribe.push(
        services.addEventHandler({
          onAdd: (s) => h.onService(undefined, s),
          onUpdate: (old, s) => { if (old !== s) h.onService(old, s); },
          onDelete: (s) => h.onService(s, undefined),
        }),
        slices.addEventHandler({
          onAdd: (s) => h.onEndpointSlice(s, false),
          onUpdate: (old, s) => { if (old !== s) h.onEndpointSlice(s, false); },
          onDelete: (s) => h.onEndpointSlice(s, true),
        }),
        config.addEventHandler({
          onAdd: (cm) => h.onKubeProxyConfig(cm),
          onUpdate: (_old, cm) => h.onKubeProxyConfig(cm),
          onDelete: () => h.onKubeProxyConfig(undefined),
        }),
      );
      factory.start();
      Promise.all([services, slices, config].map((i) => i.waitForSync(abort.signal))).then(() => h.onSynced(), () => undefined);
    },
    stop(): void {
      abort.abort();
      for (const u of unsubscribe.splice(0)) u();
    },
  };
}
