// The tcp-services and udp-services ConfigMaps (ingress-nginx docs "Exposing TCP and UDP services"):
// each key is a port the controller listens on, each value `<namespace>/<service>:<port>[:PROXY][:PROXY]`.
// Pure.
import type { ConfigMap } from '../../api/types.ts';
import { resolveBackend, type ServiceIndex } from './endpoints.ts';
import type { Diagnostic, L4Service } from './types.ts';

/** One parsed entry before its backend is resolved. */
export interface L4Entry {
  port: number;
  namespace: string;
  service: string;
  servicePort: number | string;
  proxyProtocolDecode: boolean;
  proxyProtocolEncode: boolean;
}

/** Parses one ConfigMap value; returns the entry or an error message. */
export function parseL4Value(key: string, value: string): L4Entry | string {
  if (!/^\d+$/.test(key) || Number(key) < 1 || Number(key) > 65535) return `key ${JSON.stringify(key)} is not a port number`;
  const parts = value.trim().split(':');
  const [target = '', svcPort = '', decode = '', encode = ''] = parts;
  if (parts.length < 2 || parts.length > 4) return `value ${JSON.stringify(value)} must be <namespace>/<service>:<port>[:PROXY][:PROXY]`;
  const slash = target.indexOf('/');
  if (slash <= 0 || slash === target.length - 1) return `value ${JSON.stringify(value)} must name the Service as <namespace>/<service>`;
  if (svcPort === '') return `value ${JSON.stringify(value)} has no Service port`;
  for (const f of [decode, encode]) {
    if (f !== '' && f !== 'PROXY') return `value ${JSON.stringify(value)}: the 3rd and 4th fields may only be PROXY`;
  }
  return {
    port: Number(key),
    namespace: target.slice(0, slash),
    service: target.slice(slash + 1),
    servicePort: /^\d+$/.test(svcPort) ? Number(svcPort) : svcPort,
    proxyProtocolDecode: decode === 'PROXY',
    proxyProtocolEncode: encode === 'PROXY',
  };
}

/**
 * Compiles a tcp-services or udp-services ConfigMap into L4 services. Reserved ports (the
 * controller's own) and bad entries are reported and skipped; PROXY protocol fields are honoured
 * for TCP only (as ingress-nginx).
 */
export function compileL4(cm: ConfigMap | undefined, protocol: 'TCP' | 'UDP', idx: ServiceIndex, reserved: ReadonlySet<number>): { services: L4Service[]; diagnostics: Diagnostic[] } {
  const services: L4Service[] = [];
  const diagnostics: Diagnostic[] = [];
  if (cm === undefined) return { services, diagnostics };
  const object = { kind: 'ConfigMap', namespace: cm.metadata.namespace ?? '', name: cm.metadata.name ?? '' };
  const warn = (message: string) => diagnostics.push({ object, type: 'Warning', reason: 'InvalidServiceEntry', message });
  for (const key of Object.keys(cm.data ?? {}).sort((a, b) => Number(a) - Number(b))) {
    const value = cm.data?.[key] ?? '';
    const e = parseL4Value(key, value);
    if (typeof e === 'string') {
      warn(`${protocol.toLowerCase()}-services: ${e}`);
      continue;
    }
    if (reserved.has(e.port)) {
      warn(`${protocol.toLowerCase()}-services: port ${e.port} is reserved by the ingress controller: ignored`);
      continue;
    }
    if (protocol === 'UDP' && (e.proxyProtocolDecode || e.proxyProtocolEncode)) warn(`udp-services: PROXY protocol applies to TCP only: ignored for port ${e.port}`);
    services.push({
      protocol, port: e.port,
      backend: resolveBackend(idx, e.namespace, e.service, e.servicePort, { protocol }),
      proxyProtocolDecode: protocol === 'TCP' && e.proxyProtocolDecode,
      proxyProtocolEncode: protocol === 'TCP' && e.proxyProtocolEncode,
    });
  }
  return { services, diagnostics };
}
