// The route table: compile cluster objects into routes (pure), look requests up in them.
export type * from './types.ts';
export { compile, defaultLocationConfig, builtinDefaultBackend, selectIngresses, validateRuleHost, type ClusterState, type CompileOptions } from './compile.ts';
export { findServer, findLocation, route, chooseCanary, parseCookies, type LocationMatch } from './match.ts';
export { normalizeHost, normalizePath, BadPathError, hostMatches } from './path.ts';
export { expand, escapeURIComponentStrict, type RequestVars } from './nginx-vars.ts';
export { rewriteTarget } from './rewrite.ts';
export { parseAnnotations, ingressNginxDefaults, defaultAnnotationPrefix, type ControllerDefaults, type ParsedAnnotations } from './annotations.ts';
export { selectClasses, isOurIngress, switchboardController } from './ingress-class.ts';
export { backendKey, endpointKey } from './endpoints.ts';
