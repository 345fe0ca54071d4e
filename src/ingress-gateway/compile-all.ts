// One compilation for the data plane: the Ingress route table and, when the cluster has Gateway API
// objects of our GatewayClass, the Gateway table, with their certificates merged (Ingress `tls`
// first; a Gateway listener's certificate serves names no Ingress claimed). Pure.
import { compile, type ClusterState, type CompileOptions } from './route-table/compile.ts';
import { ServiceIndex } from './route-table/endpoints.ts';
import type { CompileResult } from './route-table/types.ts';
import { compileGateway, type GatewayCompileResult, type GatewayState } from './gateway/compile.ts';

/** Everything the controller reads: Ingress inputs plus (optional) Gateway API objects. */
export type FullState = ClusterState & Partial<GatewayState>;

export interface FullCompileOptions extends CompileOptions {
  /** GatewayClass `spec.controllerName` that is ours (default switchboard.dev/gateway-controller). */
  gatewayController?: string;
  /** Address published in Gateway status (default 127.0.0.1). */
  gatewayAddress?: string;
}

export interface FullCompileResult extends CompileResult {
  gateway: GatewayCompileResult | undefined;
}

/** Compiles Ingresses and, if present, Gateway API objects into one table. */
export function compileAll(state: FullState, opts: FullCompileOptions = {}): FullCompileResult {
  const ingress = compile(state, opts);
  const gatewayClasses = state.gatewayClasses ?? [];
  if (gatewayClasses.length === 0) return { ...ingress, gateway: undefined };
  const gw = compileGateway(
    {
      gatewayClasses, gateways: state.gateways ?? [], httpRoutes: state.httpRoutes ?? [], referenceGrants: state.referenceGrants ?? [],
      namespaces: state.namespaces ?? [],
    },
    new ServiceIndex(state.services, state.endpointSlices),
    state.secrets,
    { address: opts.gatewayAddress ?? '127.0.0.1', ...(opts.gatewayController !== undefined ? { controllerName: opts.gatewayController } : {}) },
  );
  const table = { ...ingress.table, gateway: gw.table, certificates: [...ingress.table.certificates, ...gw.certificates] };
  return { table, diagnostics: [...ingress.diagnostics, ...gw.diagnostics], served: ingress.served, gateway: gw };
}
