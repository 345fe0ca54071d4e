// Where the proxy's inputs come from: Service, EndpointSlice and kube-proxy ConfigMap events.
// The informer wiring (informers.ts) is one source; `ManualSource` is another, for tests, the
// standalone runner and the bench, which push objects straight in.
import type { ConfigMap, EndpointSlice, Service } from '../api/types.ts';

export interface ProxyEventHandlers {
  onService(previous: Service | undefined, current: Service | undefined): void;
  onEndpointSlice(slice: EndpointSlice, removed: boolean): void;
  /** The kube-system/kube-proxy ConfigMap changed (undefined = deleted or absent). */
  onKubeProxyConfig(cm: ConfigMap | undefined): void;
  /** Services, EndpointSlices and the ConfigMap have been listed once. */
  onSynced(): void;
}

export interface ProxySource {
  start(h: ProxyEventHandlers): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** A source driven by hand. */
export class ManualSource implements ProxySource {
  #h: ProxyEventHandlers | undefined;
  readonly #queued: ((h: ProxyEventHandlers) => void)[] = [];

  start(h: ProxyEventHandlers): void {
    this.#h = h;
    for (const f of this.#queued.splice(0)) f(h);
  }

  stop(): void {
    this.#h = undefined;
  }

  #emit(f: (h: ProxyEventHandlers) => void): void {
    if (this.#h === undefined) this.#queued.push(f);
    else f(this.#h);
  }

  service(previous: Service | undefined, current: Service | undefined): void {
    this.#emit((h) => h.onService(previous, current));
  }

  endpointSlice(slice: EndpointSlice, removed = false): void {
    this.#emit((h) => h.onEndpointSlice(slice, removed));
  }

  kubeProxyConfig(cm: ConfigMap | undefined): void {
    this.#emit((h) => h.onKubeProxyConfig(cm));
  }

  synced(): void {
    this.#emit((h) => h.onSynced());
  }
}
