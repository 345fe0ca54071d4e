// The Service fix-ups kube-apiserver applies around allocation, beyond v1 defaulting
// (SetDefaults_Service lives in ../defaults.ts): clusterIP/clusterIPs sync, ipFamilies and
// ipFamilyPolicy initialisation, carrying allocated values over on update, and wiping
// type-dependent fields on a type change. Sources: pkg/registry/core/service/storage/storage.go
// (normalizeClusterIPs, patchAllocatedValues, defaultOnRead), storage/alloc.go
// (initIPFamilyFields) and service/strategy.go (dropTypeDependentFields). Each function mutates the
// Service it is given. Pure: no I/O.
import { fieldErr, FieldErrorType, type FieldError } from '../../machinery/status.ts';
import { isIPv4String, isIPv6String } from '../../machinery/cidr.ts';
import type { Service, ServiceSpec } from '../types.ts';
import {
  CLUSTER_IP_NONE, allocatesNodePorts, externallyAccessible, isSet, needsClusterIP, needsHCNodePort, otherFamily,
  sameStrings, specOf, typeUsesNodePorts, type IPFamily,
} from './helpers.ts';
import { validateServiceClusterIPsRelatedFields } from './validation.ts';

function mutableSpec(svc: Service): ServiceSpec {
  return (svc.spec ??= {});
}

/**
 * Keeps clusterIP and clusterIPs in sync (storage.go normalizeClusterIPs). On create a lone
 * clusterIP fills clusterIPs; on update an omitted clusterIPs is taken from the old object when
 * clusterIP did not change, and a changed clusterIP replaces an unchanged clusterIPs.
 */
export function normalizeClusterIPs(svc: Service, old: Service | undefined): void {
  const s = mutableSpec(svc);
  const clusterIP = s.clusterIP ?? '';
  if (old === undefined) {
    if (clusterIP !== '' && (s.clusterIPs ?? []).length === 0) s.clusterIPs = [clusterIP];
    return;
  }
  const o = specOf(old);
  if ((o.clusterIPs ?? []).length > 0 && (s.clusterIPs ?? []).length === 0) {
    if ((o.clusterIP ?? '') === clusterIP) s.clusterIPs = [...(o.clusterIPs ?? [])];
  }
  if ((o.clusterIP ?? '') !== clusterIP) {
    if ((o.clusterIP ?? '') !== '' && clusterIP === '') {
      if (sameStrings(o.clusterIPs, s.clusterIPs)) delete s.clusterIPs;
    } else if (sameStrings(o.clusterIPs, s.clusterIPs)) {
      s.clusterIPs = [clusterIP];
    }
  }
}

/**
 * Copies values the server allocated into an update that omits them (storage.go
 * patchAllocatedValues), so re-applying a manifest without clusterIP or nodePort works: clusterIP
 * and clusterIPs, nodePorts matched by port name (unless that number is used by another port of
 * the new object), and healthCheckNodePort.
 */
export function patchAllocatedValues(svc: Service, old: Service): void {
  const s = mutableSpec(svc);
  const o = specOf(old);
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if ((s.clusterIP ?? '') === '' && isSet(o.clusterIP)) s.clusterIP = o.clusterIP;
    if ((s.clusterIPs ?? []).length === 0 && (o.clusterIPs ?? []).length > 0) s.clusterIPs = [...(o.clusterIPs ?? [])];
  }
  if (allocatesNodePorts(old) && allocatesNodePorts(svc)) {
    const used = (ports: ServiceSpec['ports']) => new Set((ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0));
    const newUsed = used(s.ports);
    const inBoth = new Set([...used(o.ports)].filter((n) => newUsed.has(n)));
    const byName = new Map<string, number>();
    for (const p of o.ports ?? []) byName.set(p.name ?? '', p.nodePort ?? 0);
    for (const p of s.ports ?? []) {
      if ((p.nodePort ?? 0) !== 0) continue;
      const oldVal = byName.get(p.name ?? '') ?? 0;
      if (!inBoth.has(oldVal)) {
        if (oldVal === 0) delete p.nodePort;
        else p.nodePort = oldVal;
      }
    }
  }
  if (needsHCNodePort(old) && needsHCNodePort(svc) && (s.healthCheckNodePort ?? 0) === 0 && isSet(o.healthCheckNodePort)) {
    s.healthCheckNodePort = o.healthCheckNodePort;
  }
}

/**
 * Wipes fields the new type does not use, but only those the user did not also change (which
 * validation then rejects) (strategy.go dropTypeDependentFields). Update only.
 */
export function dropTypeDependentFields(svc: Service, old: Service): void {
  const s = mutableSpec(svc);
  const o = specOf(old);
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if ((o.clusterIP ?? '') === (s.clusterIP ?? '') && sameStrings(o.clusterIPs, s.clusterIPs)) {
      delete s.clusterIP;
      delete s.clusterIPs;
    }
    if (sameStrings(o.ipFamilies, s.ipFamilies)) delete s.ipFamilies;
    if ((o.ipFamilyPolicy ?? '') === (s.ipFamilyPolicy ?? '')) delete s.ipFamilyPolicy;
  }
  if (typeUsesNodePorts(old) && !typeUsesNodePorts(svc)) {
    const oldPorts = new Set((o.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0));
    const noNewPorts = (s.ports ?? []).every((p) => (p.nodePort ?? 0) === 0 || oldPorts.has(p.nodePort ?? 0));
    if (noNewPorts) for (const p of s.ports ?? []) delete p.nodePort;
  }
  if (needsHCNodePort(old) && !needsHCNodePort(svc) && (o.healthCheckNodePort ?? 0) === (s.healthCheckNodePort ?? 0)) {
    delete s.healthCheckNodePort;
  }
  if (o.type === 'LoadBalancer' && s.type !== 'LoadBalancer') {
    if (isSet(s.allocateLoadBalancerNodePorts) && isSet(o.allocateLoadBalancerNodePorts) && s.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts) {
      delete s.allocateLoadBalancerNodePorts;
    }
    const sameClass = isSet(o.loadBalancerClass) === isSet(s.loadBalancerClass) && (!isSet(o.loadBalancerClass) || o.loadBalancerClass === s.loadBalancerClass);
    if (sameClass) delete s.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(svc) && (o.externalTrafficPolicy ?? '') === (s.externalTrafficPolicy ?? '')) {
    delete s.externalTrafficPolicy;
  }
  if (s.type !== 'LoadBalancer') svc.status = { ...(svc.status ?? {}), loadBalancer: {} };
}

/**
 * Fills ipFamilies and ipFamilyPolicy on a stored Service that predates them
 * (storage.go defaultOnReadService), and keeps clusterIPs in sync with clusterIP.
 */
export function defaultOnRead(svc: Service, primary: IPFamily = 'IPv4'): void {
  normalizeClusterIPs(svc, undefined);
  const s = mutableSpec(svc);
  if (s.type === 'ExternalName') {
    // Defaulted by mistake in old releases; never shown for ExternalName.
    delete s.internalTrafficPolicy;
    return;
  }
  if ((s.ipFamilies ?? []).length > 0) return;
  if (s.clusterIP === CLUSTER_IP_NONE) {
    if (Object.keys(s.selector ?? {}).length === 0) {
      s.ipFamilyPolicy = 'RequireDualStack';
      s.ipFamilies = [primary, otherFamily(primary)];
    } else {
      s.ipFamilyPolicy = 'SingleStack';
      s.ipFamilies = [primary];
    }
    return;
  }
  s.ipFamilies = (s.clusterIPs ?? []).map((ip) => (isIPv6String(ip) ? 'IPv6' : 'IPv4'));
  if (s.ipFamilies.length === 1) s.ipFamilyPolicy = 'SingleStack';
  else if (s.ipFamilies.length === 2) s.ipFamilyPolicy = 'RequireDualStack';
}

/** A LoadBalancer status ingress with an IP and no ipMode gets `VIP` (SetDefaults_Service, LoadBalancerIPMode). */
export function defaultLoadBalancerIPMode(svc: Service): void {
  if (specOf(svc).type !== 'LoadBalancer') return;
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if ((ing.ip ?? '') !== '' && !isSet(ing.ipMode)) ing.ipMode = 'VIP';
  }
}

function familyOf(ip: string): string {
  if (isIPv4String(ip)) return 'IPv4';
  if (isIPv6String(ip)) return 'IPv6';
  return 'unknown';
}

function invalidPolicy(detail: string, policy: string | undefined): FieldError {
  return fieldErr.invalid('spec.ipFamilyPolicy', policy ?? '', detail);
}

/**
 * Initialises ipFamilyPolicy and ipFamilies before allocation (alloc.go initIPFamilyFields), given
 * the families the cluster serves (primary first). Returns the errors upstream reports as a 422 at
 * this stage (before field validation); empty on success. Skips ExternalName.
 */
export function initIPFamilyFields(svc: Service, old: Service | undefined, clusterFamilies: readonly IPFamily[]): FieldError[] {
  const s = mutableSpec(svc);
  if (s.type === 'ExternalName') return [];
  if (isMatchingPreferDualStackClusterIPFields(svc, old)) return [];
  const primary: IPFamily = clusterFamilies[0] ?? 'IPv4';
  const configured = (f: string) => clusterFamilies.includes(f as IPFamily);

  if (!isSet(s.ipFamilyPolicy)) {
    const o = old === undefined ? undefined : specOf(old);
    if (o !== undefined && isSet(o.ipFamilyPolicy)) s.ipFamilyPolicy = o.ipFamilyPolicy;
    else if (s.clusterIP === CLUSTER_IP_NONE && Object.keys(s.selector ?? {}).length === 0) s.ipFamilyPolicy = 'RequireDualStack';
    else s.ipFamilyPolicy = 'SingleStack';
  }

  const loose = validateServiceClusterIPsRelatedFields(svc);
  if (loose.length > 0) return loose;

  const errs: FieldError[] = [];
  if (old !== undefined) {
    const o = specOf(old);
    if (s.ipFamilyPolicy === 'SingleStack') {
      if (sameStrings(o.clusterIPs, s.clusterIPs) && (s.clusterIPs ?? []).length > 1) s.clusterIPs = (s.clusterIPs ?? []).slice(0, 1);
      if (sameStrings(o.ipFamilies, s.ipFamilies) && (s.ipFamilies ?? []).length > 1) s.ipFamilies = (s.ipFamilies ?? []).slice(0, 1);
    } else {
      const newIPs = s.clusterIPs ?? [];
      if (newIPs.length > 0 && newIPs.length < (o.clusterIPs ?? []).length) {
        errs.push(invalidPolicy("must be 'SingleStack' to release the secondary cluster IP", s.ipFamilyPolicy));
      }
      const newFams = s.ipFamilies ?? [];
      if (newFams.length > 0 && newFams.length < (o.ipFamilies ?? []).length) {
        errs.push(invalidPolicy("must be 'SingleStack' to release the secondary IP family", s.ipFamilyPolicy));
      }
    }
  }

  if (s.ipFamilyPolicy === 'SingleStack') {
    if ((s.clusterIPs ?? []).length === 2) errs.push(invalidPolicy("must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified", s.ipFamilyPolicy));
    if ((s.ipFamilies ?? []).length === 2) errs.push(invalidPolicy("must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified", s.ipFamilyPolicy));
  }

  const ips = s.clusterIPs ?? [];
  for (let i = 0; i < ips.length; i++) {
    const ip = ips[i] ?? '';
    if (ip === CLUSTER_IP_NONE) break;
    const fam = familyOf(ip);
    if (i >= (s.ipFamilies ?? []).length) {
      if (!configured(fam)) {
        errs.push({ type: FieldErrorType.Invalid, field: `spec.clusterIPs[${i}]`, value: { kind: 'strings', v: [...ips] }, detail: `${fam} is not configured on this cluster` });
      } else {
        s.ipFamilies = [...(s.ipFamilies ?? []), fam];
      }
    }
  }
  if (errs.length > 0) return errs;

  if (s.clusterIP === CLUSTER_IP_NONE && Object.keys(s.selector ?? {}).length === 0) {
    // Headless and selector-less: any families are allowed; non-SingleStack gets both.
    if ((s.ipFamilies ?? []).length === 0) s.ipFamilies = [primary];
    const fams = s.ipFamilies ?? [];
    if (fams.length < 2 && s.ipFamilyPolicy !== 'SingleStack') {
      s.ipFamilies = [...fams, fams[0] === 'IPv4' ? 'IPv6' : 'IPv4'];
    }
    return [];
  }

  if (s.ipFamilyPolicy === 'RequireDualStack' && clusterFamilies.length < 2) {
    errs.push(invalidPolicy('this cluster is not configured for dual-stack services', s.ipFamilyPolicy));
  }
  (s.ipFamilies ?? []).forEach((fam, i) => {
    if (!configured(fam)) errs.push(fieldErr.invalid(`spec.ipFamilies[${i}]`, fam, 'not configured on this cluster'));
  });
  if (errs.length > 0) return errs;

  if ((s.ipFamilies ?? []).length === 0) s.ipFamilies = [primary];
  const fams = s.ipFamilies ?? [];
  if (s.ipFamilyPolicy !== 'SingleStack' && fams.length === 1 && clusterFamilies.length === 2) {
    if (fams[0] === 'IPv4') s.ipFamilies = [...fams, 'IPv6'];
    else if (fams[0] === 'IPv6') s.ipFamilies = [...fams, 'IPv4'];
  }
  return [];
}

/**
 * Two PreferDualStack Services of the same IP-carrying type with equal clusterIPs and ipFamilies:
 * nothing is upgraded or downgraded after a cluster changes its dual-stackness (alloc.go).
 */
export function isMatchingPreferDualStackClusterIPFields(svc: Service, old: Service | undefined): boolean {
  if (old === undefined) return false;
  const s = specOf(svc);
  const o = specOf(old);
  if (!isSet(s.ipFamilyPolicy)) return false;
  if (o.type !== s.type) return false;
  if (s.type !== 'ClusterIP' && s.type !== 'NodePort' && s.type !== 'LoadBalancer') return false;
  if (s.ipFamilyPolicy !== 'PreferDualStack') return false;
  if (isSet(o.ipFamilyPolicy) && o.ipFamilyPolicy !== 'PreferDualStack') return false;
  return sameStrings(o.clusterIPs, s.clusterIPs) && sameStrings(o.ipFamilies, s.ipFamilies);
}
