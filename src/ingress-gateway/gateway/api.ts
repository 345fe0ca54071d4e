// Gateway API (gateway.networking.k8s.io/v1) shapes this controller reads: GatewayClass, Gateway,
// HTTPRoute, ReferenceGrant. Only the fields used are typed (apis/v1/*_types.go). Pure types.
import type { Condition, KubeObject, LabelSelector } from '../../api/types.ts';

export const gatewayGroup = 'gateway.networking.k8s.io';

export interface GatewayClass extends KubeObject {
  spec?: { controllerName?: string; parametersRef?: { group: string; kind: string; name: string; namespace?: string } | null; description?: string };
  status?: { conditions?: Condition[]; [k: string]: unknown };
}

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  tls?: { mode?: 'Terminate' | 'Passthrough' | (string & {}); certificateRefs?: SecretObjectReference[]; options?: Record<string, string> };
  allowedRoutes?: {
    namespaces?: { from?: 'Same' | 'All' | 'Selector' | 'None' | (string & {}); selector?: LabelSelector };
    kinds?: RouteGroupKind[];
  };
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface Gateway extends KubeObject {
  spec?: { gatewayClassName?: string; listeners?: Listener[]; addresses?: { type?: string; value: string }[] };
  status?: { addresses?: { type?: string; value: string }[]; conditions?: Condition[]; listeners?: ListenerStatus[]; [k: string]: unknown };
}

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPHeaderMatch {
  type?: 'Exact' | 'RegularExpression' | (string & {});
  name: string;
  value: string;
}

export interface HTTPQueryParamMatch {
  type?: 'Exact' | 'RegularExpression' | (string & {});
  name: string;
  value: string;
}

export interface HTTPRouteMatch {
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression' | (string & {}); value?: string };
  headers?: HTTPHeaderMatch[];
  queryParams?: HTTPQueryParamMatch[];
  method?: string;
}

export interface HTTPHeaderFilter {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch' | (string & {});
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRouteFilter {
  type: 'RequestHeaderModifier' | 'ResponseHeaderModifier' | 'RequestRedirect' | 'URLRewrite' | 'RequestMirror' | 'ExtensionRef' | (string & {});
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestRedirect?: { scheme?: string; hostname?: string; path?: HTTPPathModifier; port?: number; statusCode?: number };
  urlRewrite?: { hostname?: string; path?: HTTPPathModifier };
}

export interface HTTPBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface HTTPRoute extends KubeObject {
  spec?: { parentRefs?: ParentReference[]; hostnames?: string[]; rules?: HTTPRouteRule[] };
  status?: { parents?: RouteParentStatus[]; [k: string]: unknown };
}

export interface ReferenceGrant extends KubeObject {
  spec?: { from?: { group: string; kind: string; namespace: string }[]; to?: { group: string; kind: string; name?: string }[] };
}
