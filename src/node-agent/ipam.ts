// Addresses on the node: which /24 of the cluster's Pod CIDR this node takes, and the Pod IPs inside
// it (the gateway is .1 on the node bridge; Pods get .2-.254, handed out round-robin so a freed
// address is not reused at once and stale ARP or conntrack entries cannot reach a new Pod). Pure.
import { createHash } from 'node:crypto';
import { formatCIDR, formatIP, parseCIDR, parseIP, type CIDR } from '../machinery/cidr.ts';

/** Parses an IPv4 CIDR or throws. */
export function mustCIDR(s: string): CIDR {
  const c = parseCIDR(s);
  if (c === undefined || c.family !== 4) throw new Error(`not an IPv4 CIDR: ${s}`);
  return c;
}

function overlaps(a: CIDR, b: CIDR): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const mask = p === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - p)) - 1n);
  return (a.network & mask) === (b.network & mask);
}

/**
 * The first /`size` subnet of `cluster` that no other Node uses and no route on this machine
 * overlaps, as the node IPAM controller hands them out (in order). Undefined when all are taken.
 */
export function pickPodCIDR(cluster: string, size: number, takenByNodes: readonly string[], hostRoutes: readonly string[]): string | undefined {
  const c = mustCIDR(cluster);
  if (size < c.prefix || size > 30) throw new Error(`node CIDR size /${size} does not fit in ${cluster}`);
  const taken = [...takenByNodes, ...hostRoutes].map((s) => parseCIDR(s.includes('/') ? s : `${s}/32`)).filter((x): x is CIDR => x !== undefined && x.family === 4);
  const count = 1 << (size - c.prefix);
  const step = 1n << BigInt(32 - size);
  for (let i = 0; i < count; i++) {
    const cand: CIDR = { family: 4, network: c.network + BigInt(i) * step, prefix: size };
    if (!taken.some((t) => overlaps(t, cand))) return formatCIDR(cand);
  }
  return undefined;
}

/** Pod IPs of one node subnet: .1 is the gateway, the network and broadcast addresses are never used. */
export class PodIPAllocator {
  readonly cidr: CIDR;
  readonly gateway: string;
  readonly prefix: number;
  private readonly size: number;
  private readonly used = new Set<number>();
  private next = 2;

  constructor(cidr: string) {
    this.cidr = mustCIDR(cidr);
    this.prefix = this.cidr.prefix;
    this.size = 2 ** (32 - this.cidr.prefix);
    this.gateway = this.addr(1);
  }

  private addr(offset: number): string {
    return formatIP({ family: 4, value: this.cidr.network + BigInt(offset) });
  }

  /** The next free address, or undefined when the subnet is full. */
  allocate(): string | undefined {
    for (let n = 0; n < this.size; n++) {
      const off = this.next;
      this.next = this.next + 1 >= this.size - 1 ? 2 : this.next + 1;
      if (off < 2 || off >= this.size - 1 || this.used.has(off)) continue;
      this.used.add(off);
      return this.addr(off);
    }
    return undefined;
  }

  /** Marks an address as used (an address recorded before a restart); false when it is not ours or taken. */
  reserve(ip: string): boolean {
    const off = this.offsetOf(ip);
    if (off === undefined || off < 2 || off >= this.size - 1 || this.used.has(off)) return false;
    this.used.add(off);
    return true;
  }

  release(ip: string): void {
    const off = this.offsetOf(ip);
    if (off !== undefined) this.used.delete(off);
  }

  get inUse(): number {
    return this.used.size;
  }

  private offsetOf(ip: string): number | undefined {
    const p = parseIP(ip);
    if (p === undefined || p.family !== 4) return undefined;
    const off = p.value - this.cidr.network;
    if (off < 0n || off >= BigInt(this.size)) return undefined;
    return Number(off);
  }
}

/**
 * Host-mode addresses: Pods are processes on the host, so their IPs are loopback addresses that mirror
 * the node's subnet (10.244.3.0/24 → 127.244.3.x). Every 127/8 address is local on Linux.
 */
export function loopbackMirror(cidr: string): string {
  const c = mustCIDR(cidr);
  const v = (c.network & 0x00ffffffn) | (127n << 24n);
  return formatCIDR({ family: 4, network: v, prefix: Math.max(c.prefix, 8) });
}

/** A short stable id (hex) for names: the same input gives the same id across restarts. */
export function shortHash(s: string, hexChars: number): string {
  return createHash('sha256').update(s).digest('hex').slice(0, hexChars);
}
