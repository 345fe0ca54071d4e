// The order plugins run in, as data (CoreDNS's plugin.cfg): a query meets the handlers in this
// order whatever order the Corefile lists them in. Only the plugins Switchboard implements are
// here; every other plugin.cfg name is known so that using one is reported as "not implemented"
// rather than as a typo.

/** Switchboard's plugins in plugin.cfg order (first runs first). */
export const directives = [
  'reload',
  'ready',
  'health',
  'prometheus',
  'errors',
  'log',
  'loadbalance',
  'cache',
  'hosts',
  'kubernetes',
  'loop',
  'forward',
] as const;

export type DirectiveName = (typeof directives)[number];

/** Every plugin name in CoreDNS's plugin.cfg (2026), in its order. */
export const corednsDirectives: readonly string[] = [
  'root', 'metadata', 'geoip', 'cancel', 'tls', 'timeouts', 'multisocket', 'reload', 'nsid', 'bufsize',
  'bind', 'debug', 'trace', 'ready', 'health', 'pprof', 'prometheus', 'errors', 'log', 'dnstap', 'local',
  'dns64', 'acl', 'any', 'chaos', 'loadbalance', 'tsig', 'cache', 'rewrite', 'header', 'dnssec', 'autopath',
  'minimal', 'template', 'transfer', 'hosts', 'route53', 'azure', 'clouddns', 'k8s_external', 'kubernetes',
  'file', 'auto', 'secondary', 'etcd', 'loop', 'forward', 'grpc', 'erratic', 'whoami', 'on', 'sign', 'view',
];

/** Position of a directive in the chain, or -1 when Switchboard does not implement it. */
export function directiveIndex(name: string): number {
  return (directives as readonly string[]).indexOf(name);
}
