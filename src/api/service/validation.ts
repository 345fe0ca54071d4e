// Service validation as kube-apiserver 1.32 runs it (pkg/apis/core/validation/validation.go:
// ValidateService, ValidateServiceUpdate, ValidateServiceClusterIPsRelatedFields,
// ValidateLoadBalancerStatus), with upstream's field paths, rule order and message texts, values
// rendered as Go's field errors render them. ObjectMeta is NOT validated here: the API server
// runs validateObjectMeta in front of every kind's validation. Pure: no I/O.
import { fieldErr, FieldErrorType, type FieldError, type GoValue } from '../../machinery/status.ts';
import {
  isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortName, isValidPortNum,
} from '../../machinery/validation.ts';
import {
  parseIP, parseCIDR, isIPv6String, isUnspecified, isLoopback, isLinkLocalUnicast, isLinkLocalMulticast,
} from '../../machinery/cidr.ts';
import { validateLabels } from '../meta-validation.ts';
import type { Service, ServicePort, ServiceStatus } from '../types.ts';
import {
  CLUSTER_IP_NONE, externallyAccessible, isHeadlessService, isSet, needsHealthCheck, specOf,
} from './helpers.ts';

/** core.MaxClientIPServiceAffinitySeconds. */
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;

export const ANNOTATION_LB_SOURCE_RANGES = 'service.beta.kubernetes.io/load-balancer-source-ranges';
export const ANNOTATION_TOPOLOGY_MODE = 'service.kubernetes.io/topology-mode';
export const ANNOTATION_TOPOLOGY_AWARE_HINTS = 'service.kubernetes.io/topology-aware-hints';

// Supported values, sorted as Go's sets.List returns them.
const supportedProtocols = ['SCTP', 'TCP', 'UDP'] as const;
const supportedSessionAffinity = ['ClientIP', 'None'] as const;
const supportedServiceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;
const supportedTrafficPolicies = ['Cluster', 'Local'] as const;
const supportedIPFamilies = ['IPv4', 'IPv6'] as const;
const supportedIPFamilyPolicies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'] as const;
const supportedIPModes = ['Proxy', 'VIP'] as const;
const supportedTrafficDistribution = ['PreferClose'] as const;

const has = (list: readonly string[], v: string): boolean => list.includes(v);

// ---- Go value rendering for the few non-scalar values Service errors carry ----

function raw(v: string): GoValue {
  return { kind: 'raw', v };
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** A []string as %#v prints it: `[]string(nil)` when absent. */
function goStrings(v: readonly string[] | null | undefined): GoValue {
  return isSet(v) ? { kind: 'strings', v } : raw('[]string(nil)');
}

/** A []core.IPFamily as %#v prints it. */
function goIPFamilies(v: readonly string[] | null | undefined): GoValue {
  return isSet(v) ? raw(`[]core.IPFamily{${v.map(quote).join(', ')}}`) : raw('[]core.IPFamily(nil)');
}

/** A *string: dereferenced and quoted, or `null`. */
function goStringPtr(v: string | null | undefined): GoValue {
  return isSet(v) ? { kind: 'string', v } : raw('null');
}

/** The (protocol, port) key of the duplicate-port check, printed with %#v as upstream does. */
function goServicePortKey(protocol: string, port: number): GoValue {
  return raw(
    `core.ServicePort{Name:"", Protocol:${quote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, ` +
    `TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function invalid(field: string, value: GoValue, detail: string): FieldError {
  return { type: FieldErrorType.Invalid, field, value, detail };
}

// ---- shared validators ----

/** validation.IsValidIP (1.32: ParseIPSloppy). */
export function validateIP(path: string, value: string): FieldError[] {
  return parseIP(value) === undefined
    ? [fieldErr.invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')]
    : [];
}

/** validation.IsValidCIDR (1.32: ParseCIDRSloppy). */
export function validateCIDR(path: string, value: string): FieldError[] {
  return parseCIDR(value) === undefined
    ? [fieldErr.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')]
    : [];
}

/** ValidateNonSpecialIP: no unspecified, loopback, link-local or link-local multicast addresses. */
export function validateNonSpecialIP(value: string, path: string): FieldError[] {
  const ip = parseIP(value);
  if (ip === undefined) return [fieldErr.invalid(path, value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  if (isUnspecified(ip)) errs.push(fieldErr.invalid(path, value, `may not be unspecified (${value})`));
  if (isLoopback(ip)) errs.push(fieldErr.invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (isLinkLocalUnicast(ip)) errs.push(fieldErr.invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (isLinkLocalMulticast(ip)) errs.push(fieldErr.invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

function validatePortNum(path: string, port: number): FieldError[] {
  return isValidPortNum(port).map((msg) => fieldErr.invalid(path, port, msg));
}

/** ValidatePortNumOrName: an int port 1..65535 or an IANA_SVC_NAME. */
function validatePortNumOrName(v: number | string | undefined, path: string): FieldError[] {
  if (typeof v === 'string') return isValidPortName(v).map((msg) => fieldErr.invalid(path, v, msg));
  return validatePortNum(path, v ?? 0);
}

function validateServicePort(sp: ServicePort, requireName: boolean, allNames: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = sp.name ?? '';
  if (requireName && name === '') {
    errs.push(fieldErr.required(`${path}.name`));
  } else if (name !== '') {
    for (const msg of isDNS1123Label(name)) errs.push(fieldErr.invalid(`${path}.name`, name, msg));
    if (allNames.has(name)) errs.push(fieldErr.duplicate(`${path}.name`, name));
    else allNames.add(name);
  }
  errs.push(...validatePortNum(`${path}.port`, sp.port ?? 0));
  const protocol = sp.protocol ?? '';
  if (protocol === '') errs.push(fieldErr.required(`${path}.protocol`));
  else if (!has(supportedProtocols, protocol)) errs.push(fieldErr.notSupported(`${path}.protocol`, protocol, supportedProtocols));
  errs.push(...validatePortNumOrName(sp.targetPort, `${path}.targetPort`));
  if (isSet(sp.appProtocol)) {
    for (const msg of isQualifiedName(sp.appProtocol)) errs.push(fieldErr.invalid(`${path}.appProtocol`, sp.appProtocol, msg));
  }
  return errs;
}

function validateClientIPAffinityConfig(svc: Service, path: string): FieldError[] {
  const cfg = specOf(svc).sessionAffinityConfig;
  const why = 'when session affinity type is ClientIP';
  if (!isSet(cfg)) return [fieldErr.required(path, why)];
  if (!isSet(cfg.clientIP)) return [fieldErr.required(`${path}.clientIP`, why)];
  const t = cfg.clientIP.timeoutSeconds;
  if (!isSet(t)) return [fieldErr.required(`${path}.clientIP.timeoutSeconds`, why)];
  if (t <= 0 || t > MAX_CLIENT_IP_AFFINITY_SECONDS) {
    return [fieldErr.invalid(`${path}.clientIP.timeoutSeconds`, t, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`)];
  }
  return [];
}

/**
 * ValidateServiceClusterIPsRelatedFields: clusterIP/clusterIPs in sync, valid IPs, at most one per
 * family, `None` only alone, ipFamilies and ipFamilyPolicy values. Also run, loosely, before
 * allocation (alloc.go initIPFamilyFields).
 */
export function validateServiceClusterIPsRelatedFields(svc: Service): FieldError[] {
  const s = specOf(svc);
  if (s.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const clusterIP = s.clusterIP ?? '';
  const clusterIPs = s.clusterIPs ?? [];
  const ipsField = 'spec.clusterIPs';
  if (clusterIP !== '') {
    if (clusterIPs.length === 0) errs.push(fieldErr.required(ipsField));
    else if (clusterIPs[0] !== clusterIP) errs.push(invalid(ipsField, goStrings(s.clusterIPs), 'first value must match `clusterIP`'));
  } else if (clusterIPs.length !== 0) {
    errs.push(invalid(ipsField, goStrings(s.clusterIPs), 'must be empty when `clusterIP` is not specified'));
  }

  const seen = new Set<string>();
  (s.ipFamilies ?? []).forEach((fam, i) => {
    if (!has(supportedIPFamilies, fam)) errs.push(fieldErr.notSupported(`spec.ipFamilies[${i}]`, fam, supportedIPFamilies));
    if (seen.has(fam)) errs.push(fieldErr.duplicate(`spec.ipFamilies[${i}]`, fam));
    seen.add(fam);
  });

  if (isSet(s.ipFamilyPolicy) && !has(supportedIPFamilyPolicies, s.ipFamilyPolicy)) {
    errs.push(fieldErr.notSupported('spec.ipFamilyPolicy', s.ipFamilyPolicy, supportedIPFamilyPolicies));
  }

  let hasInvalidIPs = false;
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === CLUSTER_IP_NONE) {
      if (clusterIPs.length > 1) {
        hasInvalidIPs = true;
        errs.push(invalid(ipsField, goStrings(clusterIPs), "'None' must be the first and only value"));
      }
      return;
    }
    const ipErrs = validateIP(`${ipsField}[${i}]`, ip);
    if (ipErrs.length > 0) hasInvalidIPs = true;
    errs.push(...ipErrs);
  });
  if (clusterIPs.length > 2) errs.push(invalid(ipsField, goStrings(clusterIPs), 'may only hold up to 2 values'));
  if (hasInvalidIPs) return errs;

  if (clusterIPs.length > 1) {
    const v6 = clusterIPs.map(isIPv6String);
    const dualStack = v6.includes(true) && v6.includes(false);
    if (!dualStack) errs.push(invalid(ipsField, goStrings(clusterIPs), 'may specify no more than one IP for each IP family'));
  }

  const families = s.ipFamilies ?? [];
  if (!isHeadlessService(svc) && clusterIPs.length > 0 && families.length > 0) {
    for (let i = 0; i < clusterIPs.length && i < families.length; i++) {
      const ip = clusterIPs[i] ?? '';
      if (families[i] === 'IPv4' && isIPv6String(ip)) {
        errs.push(fieldErr.invalid(`${ipsField}[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      }
      if (families[i] === 'IPv6' && !isIPv6String(ip)) {
        errs.push(fieldErr.invalid(`${ipsField}[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
      }
    }
  }
  return errs;
}

function validateLoadBalancerClassField(old: Service | undefined, svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const s = specOf(svc);
  const isLB = s.type === 'LoadBalancer';
  if (old !== undefined && specOf(old).type === 'LoadBalancer' && isLB) {
    const a = specOf(old).loadBalancerClass;
    const b = s.loadBalancerClass;
    const same = isSet(a) === isSet(b) && (!isSet(a) || a === b);
    if (!same) errs.push(invalid('spec.loadBalancerClass', goStringPtr(b), 'may not change once set'));
  }
  if (isLB) {
    if (isSet(s.loadBalancerClass)) {
      const cls = s.loadBalancerClass;
      for (const msg of isQualifiedName(cls)) errs.push(fieldErr.invalid('spec.loadBalancerClass', cls, msg));
    }
  } else if (isSet(s.loadBalancerClass)) {
    errs.push(fieldErr.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }
  return errs;
}

function validateExternalTrafficPolicy(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const s = specOf(svc);
  const etp = s.externalTrafficPolicy ?? '';
  if (!externallyAccessible(svc)) {
    if (etp !== '') errs.push(fieldErr.invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (etp === '') {
    errs.push(fieldErr.required('spec.externalTrafficPolicy'));
  } else if (!has(supportedTrafficPolicies, etp)) {
    errs.push(fieldErr.notSupported('spec.externalTrafficPolicy', etp, supportedTrafficPolicies));
  }
  const hc = s.healthCheckNodePort ?? 0;
  if (!needsHealthCheck(svc)) {
    if (hc !== 0) {
      errs.push(fieldErr.invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  } else if (hc === 0) {
    errs.push(fieldErr.required('spec.healthCheckNodePort'));
  } else {
    errs.push(...validatePortNum('spec.healthCheckNodePort', hc));
  }
  return errs;
}

function validateInternalTrafficPolicy(svc: Service): FieldError[] {
  const s = specOf(svc);
  if (!isSet(s.internalTrafficPolicy)) {
    // Not forbidden on ExternalName for historical reasons (upstream comment).
    return s.type === 'NodePort' || s.type === 'LoadBalancer' || s.type === 'ClusterIP' ? [fieldErr.required('spec.internalTrafficPolicy')] : [];
  }
  return has(supportedTrafficPolicies, s.internalTrafficPolicy)
    ? []
    : [fieldErr.notSupported('spec.internalTrafficPolicy', s.internalTrafficPolicy, supportedTrafficPolicies)];
}

function validateTrafficDistribution(svc: Service): FieldError[] {
  const td = specOf(svc).trafficDistribution;
  if (!isSet(td) || td === 'PreferClose') return [];
  return [fieldErr.notSupported('spec.trafficDistribution', td, supportedTrafficDistribution)];
}

/** ValidateService without ObjectMeta: every spec rule, in upstream's order. */
export function validateService(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const s = specOf(svc);
  const annotations = svc.metadata.annotations ?? {};

  const hints = annotations[ANNOTATION_TOPOLOGY_AWARE_HINTS];
  const mode = annotations[ANNOTATION_TOPOLOGY_MODE];
  if (mode !== undefined && hints !== undefined && mode !== hints) {
    errs.push(fieldErr.invalid(`metadata.annotations[${ANNOTATION_TOPOLOGY_MODE}]`, mode, `must match annotations[${ANNOTATION_TOPOLOGY_AWARE_HINTS}] when both are specified`));
  }

  const ports = s.ports ?? [];
  const headless = isHeadlessService(svc);
  if (ports.length === 0 && !headless && s.type !== 'ExternalName') errs.push(fieldErr.required('spec.ports'));
  switch (s.type) {
    case 'LoadBalancer':
      if (headless) errs.push(fieldErr.invalid('spec.clusterIPs[0]', CLUSTER_IP_NONE, "may not be set to 'None' for LoadBalancer services"));
      break;
    case 'NodePort':
      if (headless) errs.push(fieldErr.invalid('spec.clusterIPs[0]', CLUSTER_IP_NONE, "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if ((s.clusterIPs ?? []).length > 0) errs.push(fieldErr.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if ((s.ipFamilies ?? []).length > 0) errs.push(fieldErr.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (isSet(s.ipFamilyPolicy)) errs.push(fieldErr.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      // The value (a CNAME) may have one trailing dot to mark it fully qualified.
      const name = s.externalName ?? '';
      const cname = name.endsWith('.') ? name.slice(0, -1) : name;
      if (cname.length > 0) {
        for (const msg of isDNS1123Subdomain(cname)) errs.push(fieldErr.invalid('spec.externalName', cname, msg));
      } else {
        errs.push(fieldErr.required('spec.externalName'));
      }
      break;
    }
  }

  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, `spec.ports[${i}]`)));

  if (isSet(s.selector)) errs.push(...validateLabels(s.selector, 'spec.selector'));

  const affinity = s.sessionAffinity ?? '';
  if (affinity === '') errs.push(fieldErr.required('spec.sessionAffinity'));
  else if (!has(supportedSessionAffinity, affinity)) errs.push(fieldErr.notSupported('spec.sessionAffinity', affinity, supportedSessionAffinity));
  if (affinity === 'ClientIP') {
    errs.push(...validateClientIPAffinityConfig(svc, 'spec.sessionAffinityConfig'));
  } else if (affinity === 'None' && isSet(s.sessionAffinityConfig)) {
    errs.push(fieldErr.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }

  errs.push(...validateServiceClusterIPsRelatedFields(svc));

  (s.externalIPs ?? []).forEach((ip, i) => {
    const path = `spec.externalIPs[${i}]`;
    const ipErrs = validateIP(path, ip);
    errs.push(...(ipErrs.length > 0 ? ipErrs : validateNonSpecialIP(ip, path)));
  });

  const type = s.type ?? '';
  if (type === '') errs.push(fieldErr.required('spec.type'));
  else if (!has(supportedServiceTypes, type)) errs.push(fieldErr.notSupported('spec.type', type, supportedServiceTypes));

  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (isSet(p.nodePort) && p.nodePort !== 0) errs.push(fieldErr.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }

  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const np = p.nodePort ?? 0;
    if (np === 0) return;
    const key = `${p.protocol ?? ''}/${np}`;
    if (nodePorts.has(key)) errs.push(fieldErr.duplicate(`spec.ports[${i}].nodePort`, np));
    nodePorts.add(key);
  });

  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol ?? ''}/${p.port ?? 0}`;
    if (portKeys.has(key)) errs.push({ type: FieldErrorType.Duplicate, field: `spec.ports[${i}]`, value: goServicePortKey(p.protocol ?? '', p.port ?? 0), detail: '' });
    portKeys.add(key);
  });

  const ranges = s.loadBalancerSourceRanges ?? [];
  const rangesAnnotation = annotations[ANNOTATION_LB_SOURCE_RANGES];
  if (ranges.length > 0) {
    const path = 'spec.LoadBalancerSourceRanges'; // sic: upstream's path has a capital L
    if (type !== 'LoadBalancer') errs.push(fieldErr.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    // Space-padding is tolerated, a leftover of the annotation (upstream comment).
    ranges.forEach((r, i) => errs.push(...validateCIDR(`${path}[${i}]`, r.trim())));
  } else if (rangesAnnotation !== undefined) {
    const path = `metadata.annotations[${ANNOTATION_LB_SOURCE_RANGES}]`;
    if (type !== 'LoadBalancer') errs.push(fieldErr.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    const val = rangesAnnotation.trim();
    if (val !== '') for (const r of val.split(',')) errs.push(...validateCIDR(path, r.trim()));
  }

  if (isSet(s.allocateLoadBalancerNodePorts) && type !== 'LoadBalancer') {
    errs.push(fieldErr.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && !isSet(s.allocateLoadBalancerNodePorts)) {
    errs.push(fieldErr.required('allocateLoadBalancerNodePorts')); // sic: upstream's path lacks `spec.`
  }

  errs.push(...validateLoadBalancerClassField(undefined, svc));
  errs.push(...validateExternalTrafficPolicy(svc));
  errs.push(...validateInternalTrafficPolicy(svc));
  errs.push(...validateTrafficDistribution(svc));
  return errs;
}

/** validateUpgradeDowngradeClusterIPs: the primary clusterIP never changes; releasing the second needs SingleStack. */
function validateUpgradeDowngradeClusterIPs(old: Service, svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const o = specOf(old);
  const s = specOf(svc);
  if (s.type === 'ExternalName' || o.type === 'ExternalName') return errs;
  if (isHeadlessService(old) && isHeadlessService(svc)) return errs;
  const oldIPs = o.clusterIPs ?? [];
  const newIPs = s.clusterIPs ?? [];
  const cur = goStrings(s.clusterIPs);
  if (oldIPs.length === newIPs.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== newIPs[i]) errs.push(invalid(`spec.clusterIPs[${i}]`, cur, 'may not change once set'));
    });
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length === 0) errs.push(invalid('spec.clusterIPs[0]', cur, 'primary clusterIP can not be unset'));
    if (oldIPs.length > 0 && newIPs.length > 0 && newIPs[0] !== oldIPs[0]) errs.push(invalid('spec.clusterIPs[0]', cur, 'may not change once set'));
    if (newIPs.length === 1 && s.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalid('spec.ipFamilyPolicy', goStringPtr(s.ipFamilyPolicy), "must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(invalid('spec.clusterIPs[0]', cur, 'may not change once set'));
  }
  return errs;
}

/** validateUpgradeDowngradeIPFamilies: the primary family never changes (upstream's odd values kept). */
function validateUpgradeDowngradeIPFamilies(old: Service, svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const o = specOf(old);
  const s = specOf(svc);
  if (s.type === 'ExternalName' || o.type === 'ExternalName') return errs;
  const oldHeadless = isHeadlessService(old);
  const newHeadless = isHeadlessService(svc);
  if (oldHeadless !== newHeadless || newHeadless) return errs;
  const oldF = o.ipFamilies ?? [];
  const newF = s.ipFamilies ?? [];
  if (oldF.length === newF.length) {
    oldF.forEach((f, i) => {
      if (f !== newF[i]) errs.push(invalid('spec.ipFamilies[0]', goIPFamilies(s.ipFamilies), 'may not change once set'));
    });
  } else if (oldF.length > newF.length) {
    // Upstream tests clusterIPs here, not ipFamilies, and reports clusterIPs as the value.
    if ((s.clusterIPs ?? []).length === 0) errs.push(invalid('spec.ipFamilies[0]', goIPFamilies(s.ipFamilies), 'primary ipFamily can not be unset'));
    if (newF.length > 0 && newF[0] !== oldF[0]) errs.push(invalid('spec.ipFamilies[0]', goStrings(s.clusterIPs), 'may not change once set'));
    if (newF.length === 1 && s.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalid('spec.ipFamilyPolicy', goStringPtr(s.ipFamilyPolicy), "must be set to 'SingleStack' when releasing the secondary ipFamily"));
    }
  } else if (oldF.length > 0 && newF.length > 0 && newF[0] !== oldF[0]) {
    errs.push(invalid('spec.ipFamilies[0]', goStrings(s.clusterIPs), 'may not change once set'));
  }
  return errs;
}

/** ValidateServiceUpdate without ObjectMeta: immutability rules, then everything ValidateService checks. */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs: FieldError[] = [
    ...validateUpgradeDowngradeClusterIPs(old, svc),
    ...validateUpgradeDowngradeIPFamilies(old, svc),
    ...validateLoadBalancerClassField(old, svc),
  ];
  if (needsHealthCheck(old) && needsHealthCheck(svc) && (specOf(svc).healthCheckNodePort ?? 0) !== (specOf(old).healthCheckNodePort ?? 0)) {
    errs.push(fieldErr.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  errs.push(...validateService(svc));
  return errs;
}

/** ValidateLoadBalancerStatus (the status subresource): ingress only for LoadBalancer, IPs, ipMode, hostnames. */
export function validateLoadBalancerStatus(svc: Service): FieldError[] {
  const errs: FieldError[] = [];
  const status: ServiceStatus = svc.status ?? {};
  const ingress = status.loadBalancer?.ingress ?? [];
  const path = 'status.loadBalancer.ingress';
  if (specOf(svc).type !== 'LoadBalancer' && ingress.length !== 0) {
    return [fieldErr.forbidden(path, "may only be used when `spec.type` is 'LoadBalancer'")];
  }
  ingress.forEach((ing, i) => {
    const p = `${path}[${i}]`;
    const ip = ing.ip ?? '';
    if (ip !== '') errs.push(...validateIP(`${p}.ip`, ip));
    if (!isSet(ing.ipMode)) {
      if (ip !== '') errs.push(fieldErr.required(`${p}.ipMode`, 'must be specified when `ip` is set'));
    } else if (ip === '') {
      errs.push(fieldErr.forbidden(`${p}.ipMode`, 'may not be specified when `ip` is not set'));
    } else if (!has(supportedIPModes, ing.ipMode)) {
      errs.push(fieldErr.notSupported(`${p}.ipMode`, ing.ipMode, supportedIPModes));
    }
    const host = ing.hostname ?? '';
    if (host !== '') {
      for (const msg of isDNS1123Subdomain(host)) errs.push(fieldErr.invalid(`${p}.hostname`, host, msg));
      if (parseIP(host) !== undefined) errs.push(fieldErr.invalid(`${p}.hostname`, host, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

/** ValidateServiceStatusUpdate without ObjectMeta. */
export function validateServiceStatusUpdate(svc: Service, _old: Service): FieldError[] {
  return validateLoadBalancerStatus(svc);
}
