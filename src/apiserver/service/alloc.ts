// ClusterIP and NodePort allocation for Services, as kube-apiserver's BeginCreate/BeginUpdate
// hooks run it (pkg/registry/core/service/storage/alloc.go): IP-family initialisation, ClusterIP
// allocation per family, NodePort and healthCheckNodePort allocation, each returning a Transaction
// that the registry commits when the write lands or reverts when it fails. Every reservation is
// made synchronously, so concurrent requests can never be handed the same IP or port.
//
// Dry-run follows upstream exactly: nothing is reserved; a dynamic IP reads as the network address
// (10.96.0.0), dynamic nodePorts as 32769, 32770, ...; a requested IP is only range-checked and a
// requested nodePort only checked against the ports in use.
import { StatusError, fieldErr, internalError, invalid, type FieldError } from '../../machinery/status.ts';
import { isIPv6String } from '../../machinery/cidr.ts';
import type { RandomSource } from '../../machinery/bitmap.ts';
import type { Service, ServicePort } from '../../api/types.ts';
import {
  CLUSTER_IP_NONE, allocatesNodePorts, collectNodePorts, isSet, needsClusterIP, needsHealthCheck, specOf, type IPFamily,
} from '../../api/service/helpers.ts';
import { defaultOnRead, initIPFamilyFields, isMatchingPreferDualStackClusterIPFields } from '../../api/service/prepare.ts';
import type { Transaction } from '../strategy.ts';
import { AllocationError, portAllocated } from './errors.ts';
import { ClusterIPRange } from './ipallocator.ts';
import { NodePortRange } from './portallocator.ts';

export interface AllocatorOptions {
  /** `--service-cluster-ip-range`: one CIDR, or two of different families (dual-stack). Default 10.96.0.0/12. */
  serviceCIDR?: string;
  /** `--service-node-port-range`. Default 30000-32767. */
  nodePortRange?: string;
  /** Random source for dynamic allocation (tests pass a seeded one). */
  random?: RandomSource;
}

/** Who holds an allocation: the Service's uid (stable across updates, new on re-create). */
export function ownerOf(svc: Service): string {
  const m = svc.metadata;
  return m.uid !== undefined && m.uid !== '' ? m.uid : `${m.namespace ?? ''}/${m.name ?? ''}`;
}

function nameOf(svc: Service): string {
  return svc.metadata.name !== undefined && svc.metadata.name !== '' ? svc.metadata.name : (svc.metadata.generateName ?? '');
}

function invalidService(svc: Service, errs: FieldError[]): StatusError {
  return invalid('Service', '', nameOf(svc), errs);
}

/** A transaction that runs each callback at most once; commit and revert exclude each other. */
class Txn implements Transaction {
  private done = false;
  private readonly onCommit: () => void;
  private readonly onRevert: () => void;
  constructor(onCommit: () => void, onRevert: () => void) {
    this.onCommit = onCommit;
    this.onRevert = onRevert;
  }
  commit(): void {
    if (this.done) return;
    this.done = true;
    this.onCommit();
  }
  revert(): void {
    if (this.done) return;
    this.done = true;
    this.onRevert();
  }
}

function metaTxn(parts: Transaction[]): Transaction {
  return new Txn(() => parts.forEach((t) => t.commit()), () => parts.forEach((t) => t.revert()));
}

/** portallocator.PortAllocationOperation: allocations made now, releases deferred to commit. */
class PortOperation implements Transaction {
  private readonly pa: NodePortRange;
  private readonly owner: string;
  private readonly dryRun: boolean;
  private readonly allocated: number[] = [];
  private readonly deferred: number[] = [];
  private done = false;

  constructor(pa: NodePortRange, owner: string, dryRun: boolean) {
    this.pa = pa;
    this.owner = owner;
    this.dryRun = dryRun;
  }

  allocate(port: number): void {
    if (this.dryRun) {
      if (this.pa.has(port) || this.allocated.includes(port)) throw portAllocated();
      this.allocated.push(port);
      return;
    }
    this.pa.allocate(port, this.owner);
    this.allocated.push(port);
  }

  allocateNext(): number {
    if (this.dryRun) {
      // Upstream hands out dummy ports above the highest one this operation used, from 32769.
      const last = this.allocated.length === 0 ? 32768 : Math.max(...this.allocated);
      this.allocated.push(last + 1);
      return last + 1;
    }
    const port = this.pa.allocateNext(this.owner);
    this.allocated.push(port);
    return port;
  }

  releaseDeferred(port: number): void {
    this.deferred.push(port);
  }

  commit(): void {
    if (this.done) return;
    this.done = true;
    if (!this.dryRun) for (const p of this.deferred) this.pa.release(p, this.owner);
  }

  revert(): void {
    if (this.done) return;
    this.done = true;
    if (!this.dryRun) for (const p of this.allocated) this.pa.release(p, this.owner);
  }
}

/** The allocators of one API server: a ClusterIP range per configured family and the NodePort range. */
export class ServiceAllocators {
  /** Configured families, primary first. */
  readonly families: IPFamily[];
  readonly ipRanges: ReadonlyMap<IPFamily, ClusterIPRange>;
  readonly nodePorts: NodePortRange;

  constructor(opts: AllocatorOptions = {}) {
    const random = opts.random ?? Math.random;
    const cidrs = (opts.serviceCIDR ?? '10.96.0.0/12').split(',').map((c) => c.trim()).filter((c) => c !== '');
    if (cidrs.length === 0 || cidrs.length > 2) throw new Error(`service CIDR must be one CIDR or two of different families, got ${JSON.stringify(opts.serviceCIDR)}`);
    const ranges = new Map<IPFamily, ClusterIPRange>();
    this.families = [];
    for (const c of cidrs) {
      const r = new ClusterIPRange(c, random);
      if (ranges.has(r.family)) throw new Error(`service CIDRs ${JSON.stringify(opts.serviceCIDR)} must be of different IP families`);
      ranges.set(r.family, r);
      this.families.push(r.family);
    }
    this.ipRanges = ranges;
    this.nodePorts = new NodePortRange(opts.nodePortRange ?? '30000-32767', random);
  }

  get primaryFamily(): IPFamily {
    return this.families[0] ?? 'IPv4';
  }

  /** allocateCreate: initialise IP families, then allocate ClusterIPs and NodePorts. Mutates `svc`. */
  allocateCreate(svc: Service, dryRun: boolean): Transaction {
    const errs = initIPFamilyFields(svc, undefined, this.families);
    if (errs.length > 0) throw invalidService(svc, errs);
    const owner = ownerOf(svc);
    const ips = this.allocClusterIPs(svc, dryRun, owner);
    const ipTxn = new Txn(() => {}, () => {
      if (!dryRun) this.releaseIPs(ips, owner);
    });
    try {
      return metaTxn([ipTxn, this.txnAllocNodePorts(svc, dryRun, owner)]);
    } catch (err) {
      ipTxn.revert();
      throw err;
    }
  }

  /** allocateUpdate: re-initialise IP families, then handle type changes and NodePort changes. Mutates `svc`. */
  allocateUpdate(svc: Service, old: Service, dryRun: boolean): Transaction {
    const errs = initIPFamilyFields(svc, old, this.families);
    if (errs.length > 0) throw invalidService(svc, errs);
    const owner = ownerOf(svc);
    const { allocated, toRelease } = this.updateClusterIPs(svc, old, dryRun, owner);
    const ipTxn = new Txn(() => {
      if (!dryRun) this.releaseIPs(toRelease, owner);
    }, () => {
      if (!dryRun) this.releaseIPs(allocated, owner);
    });
    try {
      return metaTxn([ipTxn, this.txnUpdateNodePorts(svc, old, dryRun, owner)]);
    } catch (err) {
      ipTxn.revert();
      throw err;
    }
  }

  /** Frees a deleted Service's ClusterIPs, nodePorts and healthCheckNodePort (releaseAllocatedResources). */
  releaseAllocatedResources(svc: Service): void {
    const owner = ownerOf(svc);
    const s = specOf(svc);
    if (s.type !== 'ExternalName' && (s.clusterIPs ?? [])[0] !== CLUSTER_IP_NONE) {
      for (const ip of s.clusterIPs ?? []) this.ipRanges.get(isIPv6String(ip) ? 'IPv6' : 'IPv4')?.release(ip, owner);
    }
    for (const p of collectNodePorts(svc)) this.nodePorts.release(p, owner);
    if (needsHealthCheck(svc) && (s.healthCheckNodePort ?? 0) > 0) this.nodePorts.release(s.healthCheckNodePort ?? 0, owner);
  }

  /**
   * Rebuilds every allocation from the stored Services (after a restart). Returns one line per
   * problem found (an IP or port outside the configured ranges, or held twice); those are skipped.
   */
  restore(services: readonly Service[]): string[] {
    for (const r of this.ipRanges.values()) r.clear();
    this.nodePorts.clear();
    const problems: string[] = [];
    for (const stored of services) {
      const svc = structuredClone(stored);
      defaultOnRead(svc, this.primaryFamily);
      const owner = ownerOf(svc);
      const who = `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
      const s = specOf(svc);
      if (needsClusterIP(svc) && (s.clusterIPs ?? [])[0] !== CLUSTER_IP_NONE) {
        for (const ip of s.clusterIPs ?? []) {
          if (ip === '') continue;
          const range = this.ipRanges.get(isIPv6String(ip) ? 'IPv6' : 'IPv4');
          if (range === undefined || range.offsetOf(ip) === undefined) {
            problems.push(`Service ${who}: cluster IP ${ip} is not within the configured service CIDR`);
          } else if (range.has(ip)) {
            problems.push(`Service ${who}: cluster IP ${ip} is also allocated to another Service`);
          } else {
            range.allocate(ip, owner);
          }
        }
      }
      const ports = new Set(collectNodePorts(svc));
      if (needsHealthCheck(svc) && (s.healthCheckNodePort ?? 0) > 0) ports.add(s.healthCheckNodePort ?? 0);
      for (const p of ports) {
        if (!this.nodePorts.contains(p)) problems.push(`Service ${who}: port ${p} is not within the port range ${this.nodePorts.toString()}`);
        else if (this.nodePorts.has(p)) problems.push(`Service ${who}: port ${p} is also allocated to another Service`);
        else this.nodePorts.allocate(p, owner);
      }
    }
    return problems;
  }

  // ---- ClusterIPs ----

  private range(family: IPFamily, svc: Service): ClusterIPRange {
    const r = this.ipRanges.get(family);
    if (r === undefined) throw internalError(new Error(`IP family ${family} of Service ${nameOf(svc)} is not configured on this cluster`));
    return r;
  }

  /** allocClusterIPs: one IP per ipFamilies entry, requested or dynamic. Headless and ExternalName get none. */
  private allocClusterIPs(svc: Service, dryRun: boolean, owner: string): Map<IPFamily, string> {
    const s = (svc.spec ??= {});
    if (s.type === 'ExternalName') return new Map();
    if ((s.clusterIPs ?? [])[0] === CLUSTER_IP_NONE) return new Map();
    const ips = [...(s.clusterIPs ?? [])];
    const toAlloc: Array<[IPFamily, string]> = [];
    (s.ipFamilies ?? []).forEach((fam, i) => {
      if (i > ips.length - 1) ips.push(''); // a marker: allocate one
      toAlloc.push([fam as IPFamily, ips[i] ?? '']);
    });
    s.clusterIPs = ips;
    const allocated = this.allocIPs(svc, toAlloc, dryRun, owner);
    for (const [fam, ip] of allocated) {
      const i = (s.ipFamilies ?? []).indexOf(fam);
      if (i < 0) continue;
      ips[i] = ip;
      if (i === 0) s.clusterIP = ip;
    }
    return allocated;
  }

  /** allocIPs: all or nothing; on an error the IPs this call reserved are freed before it throws. */
  private allocIPs(svc: Service, toAlloc: Array<[IPFamily, string]>, dryRun: boolean, owner: string): Map<IPFamily, string> {
    const allocated = new Map<IPFamily, string>();
    try {
      for (const [family, ip] of toAlloc) {
        const range = this.range(family, svc);
        if (ip === '') {
          try {
            allocated.set(family, dryRun ? range.networkIP() : range.allocateNext(owner));
          } catch (err) {
            throw internalError(new Error(`failed to allocate a serviceIP: ${(err as Error).message}`));
          }
        } else {
          try {
            if (dryRun) range.checkInRange(ip);
            else range.allocate(ip, owner);
          } catch (err) {
            if (!(err instanceof AllocationError)) throw err;
            throw invalidService(svc, [{
              type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: { kind: 'strings', v: [...(specOf(svc).clusterIPs ?? [])] },
              detail: `failed to allocate IP ${ip}: ${err.message}`,
            }]);
          }
          allocated.set(family, ip);
        }
      }
    } catch (err) {
      if (!dryRun) this.releaseIPs(allocated, owner);
      throw err;
    }
    return allocated;
  }

  private releaseIPs(ips: ReadonlyMap<IPFamily, string>, owner: string): void {
    for (const [family, ip] of ips) this.ipRanges.get(family)?.release(ip, owner);
  }

  /** updateClusterIPs: type changes to/from ExternalName and dual-stack upgrade/downgrade. */
  private updateClusterIPs(svc: Service, old: Service, dryRun: boolean, owner: string): { allocated: Map<IPFamily, string>; toRelease: Map<IPFamily, string> } {
    const none = { allocated: new Map<IPFamily, string>(), toRelease: new Map<IPFamily, string>() };
    if (isMatchingPreferDualStackClusterIPFields(svc, old)) return none;
    const s = (svc.spec ??= {});
    const o = specOf(old);
    if (o.type === 'ExternalName' && s.type !== 'ExternalName') {
      return { allocated: this.allocClusterIPs(svc, dryRun, owner), toRelease: new Map() };
    }
    if ((o.clusterIPs ?? [])[0] === CLUSTER_IP_NONE) return none;
    if (o.type !== 'ExternalName' && s.type === 'ExternalName') {
      const toRelease = new Map<IPFamily, string>();
      (o.ipFamilies ?? []).forEach((fam, i) => {
        const ip = (o.clusterIPs ?? [])[i];
        if (ip !== undefined) toRelease.set(fam as IPFamily, ip);
      });
      return { allocated: new Map(), toRelease };
    }
    const oldFams = o.ipFamilies ?? [];
    const newFams = s.ipFamilies ?? [];
    if (oldFams.length === 1 && newFams.length === 2) {
      const ips = [...(s.clusterIPs ?? [])];
      if (ips.length < 2) ips.push('');
      s.clusterIPs = ips;
      const second = newFams[1] as IPFamily;
      const allocated = this.allocIPs(svc, [[second, ips[1] ?? '']], dryRun, owner);
      const ip = allocated.get(second);
      if (ip !== undefined) ips[1] = ip;
      return { allocated, toRelease: new Map() };
    }
    if (oldFams.length === 2 && newFams.length === 1) {
      const fam = oldFams[1] as IPFamily;
      const ip = (o.clusterIPs ?? [])[1];
      return { allocated: new Map(), toRelease: ip === undefined ? new Map() : new Map([[fam, ip]]) };
    }
    return none;
  }

  // ---- NodePorts ----

  private txnAllocNodePorts(svc: Service, dryRun: boolean, owner: string): Transaction {
    const op = new PortOperation(this.nodePorts, owner, dryRun);
    try {
      const t = specOf(svc).type;
      if (t === 'NodePort' || t === 'LoadBalancer') this.initNodePorts(svc, op);
      if (needsHealthCheck(svc)) this.allocHealthCheckNodePort(svc, op);
    } catch (err) {
      op.revert();
      throw err;
    }
    return op;
  }

  /** initNodePorts: ports sharing a `port` number share one nodePort; requested ones are reserved. */
  private initNodePorts(svc: Service, op: PortOperation): void {
    const ports = specOf(svc).ports ?? [];
    const byPort = new Map<number, number>();
    ports.forEach((sp, i) => {
      const np = sp.nodePort ?? 0;
      if (np === 0 && !allocatesNodePorts(svc)) return; // honour explicit requests only
      const already = byPort.get(sp.port ?? 0) ?? 0;
      if (already === 0) {
        const requested = findRequestedNodePort(sp.port ?? 0, ports);
        if (requested !== 0) {
          this.reserve(svc, op, requested, i);
          sp.nodePort = requested;
          byPort.set(sp.port ?? 0, requested);
        } else {
          const next = this.next(op);
          sp.nodePort = next;
          byPort.set(sp.port ?? 0, next);
        }
      } else if (np !== already) {
        if (np === 0) sp.nodePort = already;
        else this.reserve(svc, op, np, i);
      }
    });
  }

  private reserve(svc: Service, op: PortOperation, port: number, index: number): void {
    try {
      op.allocate(port);
    } catch (err) {
      if (!(err instanceof AllocationError)) throw err;
      throw invalidService(svc, [fieldErr.invalid(`spec.ports[${index}].nodePort`, port, err.message)]);
    }
  }

  private next(op: PortOperation): number {
    try {
      return op.allocateNext();
    } catch (err) {
      throw internalError(new Error(`failed to allocate a nodePort: ${(err as Error).message}`));
    }
  }

  private allocHealthCheckNodePort(svc: Service, op: PortOperation): void {
    const s = (svc.spec ??= {});
    const hc = s.healthCheckNodePort ?? 0;
    if (hc !== 0) {
      try {
        op.allocate(hc);
      } catch (err) {
        throw internalError(new Error(`failed to allocate requested HealthCheck NodePort ${hc}: ${(err as Error).message}`));
      }
      return;
    }
    try {
      s.healthCheckNodePort = op.allocateNext();
    } catch (err) {
      throw internalError(new Error(`failed to allocate a HealthCheck NodePort 0: ${(err as Error).message}`));
    }
  }

  private txnUpdateNodePorts(svc: Service, old: Service, dryRun: boolean, owner: string): Transaction {
    const op = new PortOperation(this.nodePorts, owner, dryRun);
    try {
      const o = specOf(old);
      const t = specOf(svc).type;
      const wasNodePort = o.type === 'NodePort' || o.type === 'LoadBalancer';
      if (wasNodePort && (t === 'ExternalName' || t === 'ClusterIP')) {
        for (const p of collectNodePorts(old)) op.releaseDeferred(p);
      }
      if (t === 'NodePort' || t === 'LoadBalancer') this.updateNodePorts(svc, old, op);
      this.updateHealthCheckNodePort(svc, old, op);
    } catch (err) {
      op.revert();
      throw err;
    }
    return op;
  }

  /** updateNodePorts: keep the old object's ports, reserve new requests, allocate the missing, free the dropped. */
  private updateNodePorts(svc: Service, old: Service, op: PortOperation): void {
    const oldNumbers = collectNodePorts(old);
    const seen: Array<{ protocol: string; nodePort: number }> = [];
    const reservedNow = new Set<number>();
    const ports = specOf(svc).ports ?? [];
    ports.forEach((sp, i) => {
      let np = sp.nodePort ?? 0;
      if (np === 0 && !allocatesNodePorts(svc)) return;
      if (np !== 0) {
        if (!oldNumbers.includes(np) && !reservedNow.has(np)) {
          this.reserve(svc, op, np, i);
          reservedNow.add(np);
        }
      } else {
        np = this.next(op);
        sp.nodePort = np;
      }
      const protocol = sp.protocol ?? '';
      if (seen.some((x) => x.protocol === protocol && x.nodePort === np)) {
        // Upstream returns a plain error here, which the API server reports as a 500 with no reason.
        throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `duplicate nodePort: {${protocol} ${np}}`, code: 500 });
      }
      seen.push({ protocol, nodePort: np });
    });
    const newNumbers = collectNodePorts(svc);
    for (const p of oldNumbers) if (!newNumbers.includes(p)) op.releaseDeferred(p);
  }

  /** updateHealthCheckNodePort: allocate when it becomes needed, free when it stops being needed. */
  private updateHealthCheckNodePort(svc: Service, old: Service, op: PortOperation): void {
    const needed = needsHealthCheck(old);
    const needs = needsHealthCheck(svc);
    if (!needed && needs) this.allocHealthCheckNodePort(svc, op);
    else if (needed && !needs) op.releaseDeferred(specOf(old).healthCheckNodePort ?? 0);
  }
}

/** findRequestedNodePort: the first nodePort the user asked for on any port with this `port` number. */
function findRequestedNodePort(port: number, ports: readonly ServicePort[]): number {
  for (const p of ports) if ((p.port ?? 0) === port && isSet(p.nodePort) && p.nodePort !== 0) return p.nodePort;
  return 0;
}
