import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorString } from '../../machinery/status.ts';
import { makeService } from '../testing.ts';
import type { Service, ServiceSpec } from '../types.ts';
import { validateService, validateServiceUpdate, validateLoadBalancerStatus } from './validation.ts';

type Svc = Service & { spec: ServiceSpec };
/** A stored-looking ClusterIP Service (defaulted and allocated), changed by `override`. */
const svc = (override?: (s: Svc) => void): Svc => makeService('ns1', 'svc1', (s) => {
  s.spec.ipFamilies = ['IPv4'];
  s.spec.ipFamilyPolicy = 'SingleStack';
  s.spec.internalTrafficPolicy = 'Cluster';
  override?.(s);
});
const errors = (s: Service) => validateService(s).map(fieldErrorString);

describe('valid Services pass', () => {
  const cases: { name: string; given: Svc }[] = [
    { name: 'ClusterIP', given: svc() },
    { name: 'named target port', given: svc((s) => { s.spec.ports = [{ port: 80, protocol: 'TCP', targetPort: 'http' }]; }) },
    { name: 'multi-port named', given: svc((s) => { s.spec.ports = [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }]; }) },
    { name: 'NodePort sharing one nodePort across protocols', given: svc((s) => {
      s.spec.type = 'NodePort';
      s.spec.externalTrafficPolicy = 'Cluster';
      s.spec.ports = [{ name: 'a', port: 53, protocol: 'UDP', targetPort: 53, nodePort: 30053 }, { name: 'b', port: 53, protocol: 'TCP', targetPort: 53, nodePort: 30053 }];
    }) },
    { name: 'LoadBalancer Local with health check port and source ranges', given: svc((s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.healthCheckNodePort = 31000;
      s.spec.allocateLoadBalancerNodePorts = true;
      s.spec.loadBalancerSourceRanges = [' 10.0.0.0/8 ', '2001:db8::/64'];
      s.spec.loadBalancerClass = 'example.com/lb';
    }) },
    { name: 'headless without ports', given: svc((s) => { s.spec.clusterIP = 'None'; s.spec.clusterIPs = ['None']; delete s.spec.ports; }) },
    { name: 'ExternalName with a trailing dot', given: svc((s) => {
      s.spec.type = 'ExternalName';
      s.spec.externalName = 'db.example.com.';
      for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy'] as const) delete s.spec[k];
      delete s.spec.ports;
    }) },
    { name: 'ClientIP affinity at the maximum', given: svc((s) => { s.spec.sessionAffinity = 'ClientIP'; s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 86400 } }; }) },
    { name: 'external IPs', given: svc((s) => { s.spec.externalIPs = ['192.0.2.10', '2001:db8::10']; s.spec.externalTrafficPolicy = 'Cluster'; }) },
    { name: 'appProtocol and trafficDistribution', given: svc((s) => { s.spec.ports = [{ port: 80, protocol: 'TCP', targetPort: 80, appProtocol: 'kubernetes.io/h2c' }]; s.spec.trafficDistribution = 'PreferClose'; }) },
    { name: 'dual-stack IPs in family order', given: svc((s) => {
      s.spec.ipFamilyPolicy = 'RequireDualStack';
      s.spec.ipFamilies = ['IPv6', 'IPv4'];
      s.spec.clusterIP = 'fd00::10';
      s.spec.clusterIPs = ['fd00::10', '10.96.0.10'];
    }) },
    { name: 'empty selector', given: svc((s) => { s.spec.selector = {}; }) },
  ];
  for (const tc of cases) test(tc.name, () => assert.deepEqual(errors(tc.given), []));
});

describe('rules the invalid-Service table does not reach', () => {
  const cases: { name: string; given: Svc; want: string[] }[] = [
    {
      name: 'LoadBalancer without allocateLoadBalancerNodePorts (upstream path lacks spec.)',
      given: svc((s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Cluster'; }),
      want: ['allocateLoadBalancerNodePorts: Required value'],
    },
    {
      name: 'LoadBalancer Local without healthCheckNodePort',
      given: svc((s) => { s.spec.type = 'LoadBalancer'; s.spec.externalTrafficPolicy = 'Local'; s.spec.allocateLoadBalancerNodePorts = true; }),
      want: ['spec.healthCheckNodePort: Required value'],
    },
    {
      name: 'externally accessible without externalTrafficPolicy',
      given: svc((s) => { s.spec.type = 'NodePort'; }),
      want: ['spec.externalTrafficPolicy: Required value'],
    },
    {
      name: 'missing internalTrafficPolicy and sessionAffinity',
      given: svc((s) => { delete s.spec.internalTrafficPolicy; delete s.spec.sessionAffinity; }),
      want: ['spec.sessionAffinity: Required value', 'spec.internalTrafficPolicy: Required value'],
    },
    {
      name: 'missing type and protocol',
      given: svc((s) => { delete s.spec.type; s.spec.ports = [{ port: 80, targetPort: 80 }]; }),
      want: ['spec.ports[0].protocol: Required value', 'spec.type: Required value'],
    },
    {
      name: 'sessionAffinityConfig with None',
      given: svc((s) => { s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10 } }; }),
      want: ['spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None'],
    },
    {
      name: 'ClientIP without config',
      given: svc((s) => { s.spec.sessionAffinity = 'ClientIP'; }),
      want: ['spec.sessionAffinityConfig: Required value: when session affinity type is ClientIP'],
    },
    {
      name: 'special external IPs',
      given: svc((s) => { s.spec.externalTrafficPolicy = 'Cluster'; s.spec.externalIPs = ['0.0.0.0', '169.254.1.1', '224.0.0.1', 'fe80::1']; }),
      want: [
        'spec.externalIPs[0]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'spec.externalIPs[1]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
        'spec.externalIPs[2]: Invalid value: "224.0.0.1": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
        'spec.externalIPs[3]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      ],
    },
    {
      name: 'source ranges annotation on a ClusterIP Service with a bad entry',
      given: svc((s) => { s.metadata.annotations = { 'service.beta.kubernetes.io/load-balancer-source-ranges': '10.0.0.0/8, nope' }; }),
      want: [
        "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Forbidden: may only be used when `type` is 'LoadBalancer'",
        'metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    },
    {
      name: 'None among several clusterIPs',
      given: svc((s) => { s.spec.clusterIP = 'None'; s.spec.clusterIPs = ['None', '10.96.0.1']; }),
      want: ['spec.clusterIPs: Invalid value: []string{"None", "10.96.0.1"}: \'None\' must be the first and only value'],
    },
    {
      name: 'three clusterIPs',
      given: svc((s) => { s.spec.clusterIP = '10.96.0.1'; s.spec.clusterIPs = ['10.96.0.1', 'fd00::1', '10.96.0.2']; }),
      want: ['spec.clusterIPs: Invalid value: []string{"10.96.0.1", "fd00::1", "10.96.0.2"}: may only hold up to 2 values'],
    },
    {
      name: 'IP not of the family ipFamilies names',
      given: svc((s) => { s.spec.ipFamilies = ['IPv6']; }),
      want: ['spec.clusterIPs[0]: Invalid value: "10.96.0.12": expected an IPv6 value as indicated by `ipFamilies[0]`'],
    },
    {
      name: 'duplicate and unknown families',
      given: svc((s) => { s.spec.ipFamilies = ['IPv4', 'IPv4', 'IPv5']; }),
      want: ['spec.ipFamilies[1]: Duplicate value: "IPv4"', 'spec.ipFamilies[2]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"'],
    },
    {
      name: 'externalName on an ExternalName Service that is just a dot',
      given: svc((s) => { s.spec.type = 'ExternalName'; s.spec.externalName = '.'; delete s.spec.clusterIP; delete s.spec.clusterIPs; delete s.spec.ipFamilies; delete s.spec.ipFamilyPolicy; }),
      want: ['spec.externalName: Required value'],
    },
  ];
  for (const tc of cases) test(tc.name, () => assert.deepEqual(errors(tc.given), tc.want));
});

describe('validateServiceUpdate', () => {
  const dual = (s: Svc) => {
    s.spec.ipFamilyPolicy = 'RequireDualStack';
    s.spec.ipFamilies = ['IPv4', 'IPv6'];
    s.spec.clusterIPs = ['10.96.0.12', 'fd00::12'];
  };
  const cases: { name: string; old: Svc; change: (s: Svc) => void; want: string[] }[] = [
    { name: 'unchanged', old: svc(), change: () => {}, want: [] },
    { name: 'primary clusterIP unset', old: svc(), change: (s) => { delete s.spec.clusterIP; delete s.spec.clusterIPs; }, want: ['spec.clusterIPs[0]: Invalid value: []string(nil): primary clusterIP can not be unset'] },
    {
      name: 'secondary released without SingleStack',
      old: svc(dual),
      change: (s) => { s.spec.clusterIPs = ['10.96.0.12']; s.spec.ipFamilies = ['IPv4']; },
      want: [
        'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": must be set to \'SingleStack\' when releasing the secondary clusterIP',
        'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": must be set to \'SingleStack\' when releasing the secondary ipFamily',
      ],
    },
    { name: 'secondary released with SingleStack', old: svc(dual), change: (s) => { s.spec.clusterIPs = ['10.96.0.12']; s.spec.ipFamilies = ['IPv4']; s.spec.ipFamilyPolicy = 'SingleStack'; }, want: [] },
    { name: 'primary family changed', old: svc(), change: (s) => { s.spec.ipFamilies = ['IPv6']; }, want: [
      'spec.ipFamilies[0]: Invalid value: []core.IPFamily{"IPv6"}: may not change once set',
      'spec.clusterIPs[0]: Invalid value: "10.96.0.12": expected an IPv6 value as indicated by `ipFamilies[0]`',
    ] },
    { name: 'ExternalName ↔ ClusterIP skips IP immutability', old: svc(), change: (s) => {
      s.spec.type = 'ExternalName';
      s.spec.externalName = 'x.example.com';
      for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'] as const) delete s.spec[k];
    }, want: [] },
    { name: 'headless to headless', old: svc((s) => { s.spec.clusterIP = 'None'; s.spec.clusterIPs = ['None']; }), change: (s) => { s.spec.ipFamilies = ['IPv4']; }, want: [] },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const next = structuredClone(tc.old);
      tc.change(next);
      assert.deepEqual(validateServiceUpdate(next, tc.old).map(fieldErrorString), tc.want);
    });
  }
});

describe('validateLoadBalancerStatus', () => {
  test('ip without ipMode', () => {
    const s = svc((x) => { x.spec.type = 'LoadBalancer'; x['status'] = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { hostname: 'lb.example.com' }] } }; });
    assert.deepEqual(validateLoadBalancerStatus(s).map(fieldErrorString), ['status.loadBalancer.ingress[0].ipMode: Required value: must be specified when `ip` is set']);
  });
});
