// Invalid Services and the exact errors kube-apiserver 1.32 answers with (reference §3.6 plus the
// rules of §3.5), as data: the unit test in src/apiserver/service drives them through a Registry,
// an end-to-end test can send the same manifests with kubectl. Each row runs on a fresh cluster
// state: create `existing` first, then create `given` (or, for `mutate` rows, create `given`,
// read it back, apply `mutate` and replace it). Allocations are cluster-wide, so an end-to-end
// run must delete a row's Services before the next row.
import type { Service, ServiceSpec } from '../../types.ts';
import type { Status } from '../../../machinery/status.ts';

export interface InvalidServiceCase {
  name: string;
  /** Services created first (must succeed). */
  existing?: Service[];
  /** The manifest as a user sends it (before server-side defaulting), in namespace `default`. */
  given: Service;
  /** When set: `given` is created (must succeed), read back, changed by `mutate` and replaced. */
  mutate?: (svc: Service & { spec: ServiceSpec }) => void;
  want: {
    /** HTTP status: 422 Invalid unless stated. */
    code?: number;
    /** `field: body` of each cause, in order (422 rows). */
    causes?: string[];
    /** Status.message; for 422 rows derived from `causes` when omitted. */
    message?: string;
    /** What kubectl prints for it (§1.8 / §3.6), where the row pins it. */
    kubectl?: string;
  };
}

/** A Service manifest as users write it: selector `app: <name>`, one port 80, changed by `override`. */
export function userService(name: string, override?: (s: Service & { spec: ServiceSpec }) => void): Service & { spec: ServiceSpec } {
  const svc: Service & { spec: ServiceSpec } = {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' },
    spec: { selector: { app: name }, ports: [{ port: 80 }] },
  };
  override?.(svc);
  return svc;
}

/** Status.message of a 422 with these causes (`field: body` each), as NewInvalid builds it. */
export function invalidMessage(kind: string, name: string, causes: readonly string[]): string {
  return causes.length === 1 ? `${kind} "${name}" is invalid: ${causes[0] ?? ''}` : `${kind} "${name}" is invalid: [${causes.join(', ')}]`;
}

/**
 * What kubectl prints for an Invalid Status with details (kubectl checkErr): the causes rebuilt
 * as `field: message`, duplicates dropped; one cause on one line, several as a `* ` list after a
 * header line that ends in `: `.
 */
export function kubectlInvalidText(status: Status): string {
  const d = status.details;
  const head = `The ${d?.kind ?? ''} "${d?.name ?? ''}" is invalid`;
  const lines: string[] = [];
  for (const c of d?.causes ?? []) {
    const line = c.field !== undefined && c.field !== '' ? `${c.field}: ${c.message}` : c.message;
    if (!lines.includes(line)) lines.push(line);
  }
  if (lines.length === 0) return head;
  if (lines.length === 1) return `${head}: ${lines[0] ?? ''}`;
  return `${head}: \n${lines.map((l) => `* ${l}`).join('\n')}`;
}

const dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const labelValue = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const qualifiedName = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const dns1123Label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const dns1123Subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const portRange = 'must be between 1 and 65535, inclusive';

const nodePortSvc = (name: string, nodePort: number) => userService(name, (s) => {
  s.spec.type = 'NodePort';
  s.spec.ports = [{ port: 80, nodePort }];
});

export const invalidServices: InvalidServiceCase[] = [
  // ---- reference §3.6, verbatim ----
  {
    name: 'port out of range (targetPort defaults to it too)',
    given: userService('web', (s) => { s.spec.ports = [{ port: 70000 }]; }),
    want: {
      causes: [`spec.ports[0].port: Invalid value: 70000: ${portRange}`, `spec.ports[0].targetPort: Invalid value: 70000: ${portRange}`],
      kubectl: `The Service "web" is invalid: \n* spec.ports[0].port: Invalid value: 70000: ${portRange}\n* spec.ports[0].targetPort: Invalid value: 70000: ${portRange}`,
    },
  },
  {
    name: 'duplicate port names',
    given: userService('web', (s) => { s.spec.ports = [{ name: 'http', port: 80 }, { name: 'http', port: 81 }]; }),
    want: { causes: ['spec.ports[1].name: Duplicate value: "http"'], kubectl: 'The Service "web" is invalid: spec.ports[1].name: Duplicate value: "http"' },
  },
  {
    name: 'multi-port with the first port unnamed',
    given: userService('web', (s) => { s.spec.ports = [{ port: 80 }, { name: 'https', port: 443 }]; }),
    want: { causes: ['spec.ports[0].name: Required value'], kubectl: 'The Service "web" is invalid: spec.ports[0].name: Required value' },
  },
  {
    name: 'nodePort out of range',
    given: nodePortSvc('web', 80),
    want: {
      causes: ['spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767'],
      kubectl: 'The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    },
  },
  {
    name: 'nodePort already allocated',
    existing: [nodePortSvc('other', 30080)],
    given: nodePortSvc('web', 30080),
    want: {
      causes: ['spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated'],
      kubectl: 'The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    },
  },
  {
    name: 'bad selector value',
    given: userService('web', (s) => { s.spec.selector = { app: 'bad value' }; }),
    want: { causes: [`spec.selector: Invalid value: "bad value": ${labelValue}`], kubectl: `The Service "web" is invalid: spec.selector: Invalid value: "bad value": ${labelValue}` },
  },
  {
    name: 'ExternalName without externalName',
    given: userService('web', (s) => { s.spec.type = 'ExternalName'; }),
    want: { causes: ['spec.externalName: Required value'], kubectl: 'The Service "web" is invalid: spec.externalName: Required value' },
  },
  {
    name: 'clusterIP changed on update',
    given: userService('web', (s) => { s.spec.clusterIP = '10.96.0.50'; }),
    mutate: (s) => { s.spec.clusterIP = '10.96.0.99'; },
    want: {
      causes: ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set'],
      kubectl: 'The Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set',
    },
  },
  {
    name: 'NodePort with clusterIP None',
    given: userService('web', (s) => { s.spec.type = 'NodePort'; s.spec.clusterIP = 'None'; }),
    want: {
      causes: [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`],
      kubectl: `The Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`,
    },
  },
  {
    name: 'nodePort on a ClusterIP Service',
    given: userService('web', (s) => { s.spec.ports = [{ port: 80, nodePort: 30080 }]; }),
    want: {
      causes: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
      kubectl: "The Service \"web\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    },
  },
  {
    name: 'unsupported protocol',
    given: userService('web', (s) => { s.spec.ports = [{ port: 80, protocol: 'ICMP' }]; }),
    want: { causes: ['spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'] },
  },
  {
    name: 'session affinity timeout above a day',
    given: userService('web', (s) => { s.spec.sessionAffinity = 'ClientIP'; s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 90000 } }; }),
    want: { causes: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400'] },
  },
  {
    name: 'name not a DNS-1035 label',
    given: userService('1web'),
    want: { causes: [`metadata.name: Invalid value: "1web": ${dns1035}`], kubectl: `The Service "1web" is invalid: metadata.name: Invalid value: "1web": ${dns1035}` },
  },

  // ---- ports ----
  {
    name: 'no ports',
    given: userService('web', (s) => { delete s.spec.ports; }),
    want: { causes: ['spec.ports: Required value'] },
  },
  {
    name: 'port 0 (targetPort defaults to 0 too)',
    given: userService('web', (s) => { s.spec.ports = [{ port: 0 }]; }),
    want: { causes: [`spec.ports[0].port: Invalid value: 0: ${portRange}`, `spec.ports[0].targetPort: Invalid value: 0: ${portRange}`] },
  },
  {
    name: 'targetPort out of range',
    given: userService('web', (s) => { s.spec.ports = [{ port: 80, targetPort: 70000 }]; }),
    want: { causes: [`spec.ports[0].targetPort: Invalid value: 70000: ${portRange}`] },
  },
  {
    name: 'targetPort not an IANA service name',
    given: userService('web', (s) => { s.spec.ports = [{ port: 80, targetPort: 'HTTP_port' }]; }),
    want: { causes: ['spec.ports[0].targetPort: Invalid value: "HTTP_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'] },
  },
  {
    name: 'port name not a DNS label',
    given: userService('web', (s) => { s.spec.ports = [{ name: 'HTTP', port: 80 }]; }),
    want: { causes: [`spec.ports[0].name: Invalid value: "HTTP": ${dns1123Label}`] },
  },
  {
    name: 'appProtocol not a qualified name',
    given: userService('web', (s) => { s.spec.ports = [{ port: 80, appProtocol: 'bad/proto/x' }]; }),
    want: { causes: [`spec.ports[0].appProtocol: Invalid value: "bad/proto/x": a qualified name ${qualifiedName} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`] },
  },
  {
    name: 'duplicate protocol and port',
    given: userService('web', (s) => { s.spec.ports = [{ name: 'a', port: 80 }, { name: 'b', port: 80 }]; }),
    want: { causes: ['spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'] },
  },
  {
    name: 'two ports asking for one nodePort: the allocator rejects the second',
    given: userService('web', (s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ name: 'a', port: 80, nodePort: 30100 }, { name: 'b', port: 81, nodePort: 30100 }]; }),
    want: { causes: ['spec.ports[1].nodePort: Invalid value: 30100: provided port is already allocated'] },
  },
  {
    name: 'update giving two ports one nodePort is a 500 without reason',
    given: userService('web', (s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ name: 'a', port: 80, nodePort: 30100 }, { name: 'b', port: 81, nodePort: 30101 }]; }),
    mutate: (s) => { const p = s.spec.ports?.[1]; if (p !== undefined) p.nodePort = 30100; },
    want: { code: 500, message: 'duplicate nodePort: {TCP 30100}' },
  },

  // ---- selector, affinity, type ----
  {
    name: 'bad selector key',
    given: userService('web', (s) => { s.spec.selector = { 'bad key': 'x' }; }),
    want: { causes: [`spec.selector: Invalid value: "bad key": name part ${qualifiedName}`] },
  },
  {
    name: 'unsupported session affinity',
    given: userService('web', (s) => { s.spec.sessionAffinity = 'Sticky'; }),
    want: { causes: ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'] },
  },
  {
    name: 'session affinity timeout 0',
    given: userService('web', (s) => { s.spec.sessionAffinity = 'ClientIP'; s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 0 } }; }),
    want: { causes: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400'] },
  },
  {
    name: 'unsupported type',
    given: userService('web', (s) => { s.spec.type = 'Internal'; }),
    want: { causes: ['spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'] },
  },

  // ---- ExternalName ----
  {
    name: 'ExternalName not a DNS subdomain',
    given: userService('web', (s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'Bad_Name.example.com'; }),
    want: { causes: [`spec.externalName: Invalid value: "Bad_Name.example.com": ${dns1123Subdomain}`] },
  },
  {
    name: 'ExternalName with a clusterIP',
    given: userService('web', (s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'db.example.com'; s.spec.clusterIP = '10.96.0.5'; }),
    want: { causes: ['spec.clusterIPs: Forbidden: may not be set for ExternalName services'] },
  },
  {
    name: 'ExternalName with ipFamilyPolicy',
    given: userService('web', (s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'db.example.com'; s.spec.ipFamilyPolicy = 'SingleStack'; }),
    want: { causes: ['spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services'] },
  },

  // ---- external IPs, load balancers, traffic policies ----
  {
    name: 'external IP in the loopback range',
    given: userService('web', (s) => { s.spec.externalIPs = ['127.0.0.1']; }),
    want: { causes: ['spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'] },
  },
  {
    name: 'external IP not an IP',
    given: userService('web', (s) => { s.spec.externalIPs = ['1.2.3']; }),
    want: { causes: ['spec.externalIPs[0]: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'] },
  },
  {
    name: 'loadBalancerSourceRanges on a ClusterIP Service',
    given: userService('web', (s) => { s.spec.loadBalancerSourceRanges = ['10.0.0.0/8']; }),
    want: { causes: ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"] },
  },
  {
    name: 'loadBalancerSourceRanges entry not a CIDR',
    given: userService('web', (s) => { s.spec.type = 'LoadBalancer'; s.spec.loadBalancerSourceRanges = ['not-a-cidr']; }),
    want: { causes: ['spec.LoadBalancerSourceRanges[0]: Invalid value: "not-a-cidr": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'] },
  },
  {
    name: 'allocateLoadBalancerNodePorts on a ClusterIP Service',
    given: userService('web', (s) => { s.spec.allocateLoadBalancerNodePorts = false; }),
    want: { causes: ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"] },
  },
  {
    name: 'LoadBalancer with clusterIP None',
    given: userService('web', (s) => { s.spec.type = 'LoadBalancer'; s.spec.clusterIP = 'None'; }),
    want: { causes: [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for LoadBalancer services`] },
  },
  {
    name: 'loadBalancerClass on a ClusterIP Service',
    given: userService('web', (s) => { s.spec.loadBalancerClass = 'example.com/lb'; }),
    want: { causes: ["spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"] },
  },
  {
    name: 'externalTrafficPolicy on an internal Service',
    given: userService('web', (s) => { s.spec.externalTrafficPolicy = 'Local'; }),
    want: { causes: ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'] },
  },
  {
    name: 'unsupported externalTrafficPolicy',
    given: userService('web', (s) => { s.spec.type = 'NodePort'; s.spec.externalTrafficPolicy = 'Global'; }),
    want: { causes: ['spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"'] },
  },
  {
    name: 'unsupported internalTrafficPolicy',
    given: userService('web', (s) => { s.spec.internalTrafficPolicy = 'Nearby'; }),
    want: { causes: ['spec.internalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"'] },
  },
  {
    name: 'unsupported trafficDistribution',
    given: userService('web', (s) => { s.spec.trafficDistribution = 'PreferSameZone'; }),
    want: { causes: ['spec.trafficDistribution: Unsupported value: "PreferSameZone": supported values: "PreferClose"'] },
  },
  {
    name: 'healthCheckNodePort without LoadBalancer and Local',
    given: userService('web', (s) => { s.spec.type = 'NodePort'; s.spec.healthCheckNodePort = 30500; }),
    want: { causes: ["spec.healthCheckNodePort: Invalid value: 30500: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"] },
  },
  {
    name: 'topology annotations that disagree',
    given: userService('web', (s) => {
      s.metadata.annotations = { 'service.kubernetes.io/topology-mode': 'Auto', 'service.kubernetes.io/topology-aware-hints': 'Disabled' };
    }),
    want: { causes: ['metadata.annotations[service.kubernetes.io/topology-mode]: Invalid value: "Auto": must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified'] },
  },

  // ---- cluster IPs and IP families ----
  {
    name: 'clusterIP outside the service CIDR',
    given: userService('web', (s) => { s.spec.clusterIP = '192.168.1.1'; }),
    want: {
      causes: ['spec.clusterIPs: Invalid value: []string{"192.168.1.1"}: failed to allocate IP 192.168.1.1: the provided IP (192.168.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12'],
    },
  },
  {
    name: 'clusterIP already allocated',
    existing: [userService('other', (s) => { s.spec.clusterIP = '10.96.0.50'; })],
    given: userService('web', (s) => { s.spec.clusterIP = '10.96.0.50'; }),
    want: { causes: ['spec.clusterIPs: Invalid value: []string{"10.96.0.50"}: failed to allocate IP 10.96.0.50: provided IP is already allocated'] },
  },
  {
    name: 'clusterIP not an IP',
    given: userService('web', (s) => { s.spec.clusterIP = '10.96.0.300'; }),
    want: { causes: ['spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'] },
  },
  {
    name: 'clusterIPs not matching clusterIP',
    given: userService('web', (s) => { s.spec.clusterIP = '10.96.0.20'; s.spec.clusterIPs = ['10.96.0.21']; }),
    want: { causes: ['spec.clusterIPs: Invalid value: []string{"10.96.0.21"}: first value must match `clusterIP`'] },
  },
  {
    name: 'IPv6 clusterIP on an IPv4 cluster',
    given: userService('web', (s) => { s.spec.clusterIP = 'fd00::10'; }),
    want: { causes: ['spec.clusterIPs[0]: Invalid value: []string{"fd00::10"}: IPv6 is not configured on this cluster'] },
  },
  {
    name: 'RequireDualStack on a single-stack cluster',
    given: userService('web', (s) => { s.spec.ipFamilyPolicy = 'RequireDualStack'; }),
    want: { causes: ['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'] },
  },
  {
    name: 'IPv6 family on an IPv4 cluster',
    given: userService('web', (s) => { s.spec.ipFamilies = ['IPv6']; }),
    want: { causes: ['spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'] },
  },
  {
    name: 'unsupported ipFamilyPolicy',
    given: userService('web', (s) => { s.spec.ipFamilyPolicy = 'DualStack'; }),
    want: { causes: ['spec.ipFamilyPolicy: Unsupported value: "DualStack": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"'] },
  },

  // ---- updates ----
  {
    name: 'healthCheckNodePort changed while needed',
    given: userService('web', (s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; s.spec.healthCheckNodePort = 31000; }),
    mutate: (s) => { s.spec.healthCheckNodePort = 31001; },
    want: { causes: ['spec.healthCheckNodePort: Forbidden: field is immutable'] },
  },
  {
    name: 'loadBalancerClass changed',
    given: userService('web', (s) => { s.spec.type = 'LoadBalancer'; s.spec.loadBalancerClass = 'example.com/a'; }),
    mutate: (s) => { s.spec.loadBalancerClass = 'example.com/b'; },
    want: { causes: ['spec.loadBalancerClass: Invalid value: "example.com/b": may not change once set'] },
  },
  {
    name: 'switching to NodePort with a port outside the range',
    given: userService('web'),
    mutate: (s) => { s.spec.type = 'NodePort'; s.spec.ports = [{ port: 80, nodePort: 2000 }]; },
    want: { causes: ['spec.ports[0].nodePort: Invalid value: 2000: provided port is not in the valid range. The range of valid ports is 30000-32767'] },
  },

  // ---- several errors at once ----
  {
    name: 'several errors are listed in upstream order',
    given: userService('web', (s) => {
      s.spec.selector = { app: 'bad value' };
      s.spec.ports = [{ name: 'http', port: 70000, targetPort: 8080 }, { name: 'http', port: 81 }];
      s.spec.sessionAffinity = 'Sticky';
    }),
    want: {
      causes: [
        `spec.ports[0].port: Invalid value: 70000: ${portRange}`,
        'spec.ports[1].name: Duplicate value: "http"',
        `spec.selector: Invalid value: "bad value": ${labelValue}`,
        'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
      ],
      kubectl: [
        'The Service "web" is invalid: ',
        `* spec.ports[0].port: Invalid value: 70000: ${portRange}`,
        '* spec.ports[1].name: Duplicate value: "http"',
        `* spec.selector: Invalid value: "bad value": ${labelValue}`,
        '* spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
      ].join('\n'),
    },
  },
];
