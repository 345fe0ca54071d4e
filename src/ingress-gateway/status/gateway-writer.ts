// Writes Gateway API status: GatewayClass conditions, Gateway addresses/conditions/listeners and our
// entries of HTTPRoute status.parents (other controllers' entries are kept). A condition keeps its
// lastTransitionTime while its status is unchanged; nothing is written when only timestamps would
// change.
import type { Condition, KubeObject } from '../../api/types.ts';
import type { ApiClient, ResourceRef } from '../../client/index.ts';
import type { GatewayStatuses } from '../gateway/compile.ts';
import type { RouteParentStatus } from '../gateway/api.ts';
import { gatewayGroup } from '../gateway/api.ts';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;

export const gatewayRefs = {
  gatewayClasses: { group: gatewayGroup, version: 'v1', plural: 'gatewayclasses', namespaced: false, kind: 'GatewayClass' },
  gateways: { group: gatewayGroup, version: 'v1', plural: 'gateways', namespaced: true, kind: 'Gateway' },
  httpRoutes: { group: gatewayGroup, version: 'v1', plural: 'httproutes', namespaced: true, kind: 'HTTPRoute' },
  referenceGrants: { group: gatewayGroup, version: 'v1beta1', plural: 'referencegrants', namespaced: true, kind: 'ReferenceGrant' },
} as const satisfies Record<string, ResourceRef>;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Conditions with lastTransitionTime: kept from `old` when the status did not change. */
export function withTimes(want: readonly Condition[], old: readonly Condition[] | undefined, t: string = now()): Condition[] {
  return want.map((c) => {
    const prev = old?.find((o) => o.type === c.type);
    return { ...c, lastTransitionTime: prev !== undefined && prev.status === c.status && prev.lastTransitionTime !== undefined ? prev.lastTransitionTime : t };
  });
}

/** JSON of a status with timestamps removed, for "did anything change". */
function shape(v: unknown): string {
  return JSON.stringify(v, (k, x: unknown) => (k === 'lastTransitionTime' ? undefined : x));
}

export class GatewayStatusWriter {
  private readonly client: ApiClient;
  private readonly log: Log;
  private readonly controllerName: string;
  constructor(client: ApiClient, controllerName: string, log: Log = () => {}) {
    this.client = client;
    this.controllerName = controllerName;
    this.log = log;
  }

  /** Patches every status that differs from the desired one. */
  async reconcile(s: GatewayStatuses, current: { gatewayClasses: readonly KubeObject[]; gateways: readonly KubeObject[]; httpRoutes: readonly KubeObject[] }): Promise<void> {
    const find = (list: readonly KubeObject[], ns: string, name: string) => list.find((o) => (o.metadata.namespace ?? '') === ns && o.metadata.name === name);
    for (const gc of s.gatewayClasses) {
      const cur = find(current.gatewayClasses, '', gc.ref.name) as { status?: { conditions?: Condition[] } } | undefined;
      const conditions = withTimes(gc.conditions, cur?.status?.conditions);
      if (shape(cur?.status?.conditions ?? []) !== shape(conditions)) await this.patch(gatewayRefs.gatewayClasses, '', gc.ref.name, { status: { conditions } });
    }
    for (const gw of s.gateways) {
      const cur = find(current.gateways, gw.ref.namespace, gw.ref.name) as { status?: { conditions?: Condition[]; listeners?: { name: string; conditions?: Condition[] }[]; addresses?: unknown } } | undefined;
      const status = {
        addresses: gw.status.addresses,
        conditions: withTimes(gw.status.conditions, cur?.status?.conditions),
        listeners: gw.status.listeners.map((l) => ({ ...l, conditions: withTimes(l.conditions, cur?.status?.listeners?.find((x) => x.name === l.name)?.conditions) })),
      };
      const have = { addresses: cur?.status?.addresses ?? [], conditions: cur?.status?.conditions ?? [], listeners: cur?.status?.listeners ?? [] };
      if (shape(have) !== shape(status)) await this.patch(gatewayRefs.gateways, gw.ref.namespace, gw.ref.name, { status });
    }
    for (const r of s.httpRoutes) {
      const cur = find(current.httpRoutes, r.ref.namespace, r.ref.name) as { status?: { parents?: RouteParentStatus[] } } | undefined;
      const others = (cur?.status?.parents ?? []).filter((p) => p.controllerName !== this.controllerName);
      const oldOurs = (cur?.status?.parents ?? []).filter((p) => p.controllerName === this.controllerName);
      const ours = r.parents.map((p) => {
        const prev = oldOurs.find((o) => shape(o.parentRef) === shape(p.parentRef));
        return { ...p, conditions: withTimes(p.conditions, prev?.conditions) };
      });
      const parents = [...others, ...ours];
      if (shape(cur?.status?.parents ?? []) !== shape(parents)) await this.patch(gatewayRefs.httpRoutes, r.ref.namespace, r.ref.name, { status: { parents } });
    }
  }

  private async patch(ref: ResourceRef, ns: string, name: string, body: unknown): Promise<void> {
    try {
      await this.client.resource(ref).patchStatus(ns, name, body, 'merge');
    } catch (err) {
      this.log('warn', `${ref.kind ?? ref.plural} ${ns === '' ? '' : `${ns}/`}${name} status: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
