// The ClusterIP allocator for one service CIDR (pkg/registry/core/service/ipallocator/bitmap.go):
// a bitmap over the usable addresses (the network address and, for IPv4, the broadcast address
// are never allocatable; IPv6 ranges are capped at 65536 addresses), a static band at the bottom
// of min(max(16, size/16), 256) addresses that dynamic allocation uses only when the rest is full,
// and an owner per address so a stale release can never free another Service's IP.
import { AllocationBitmap, type RandomSource } from '../../machinery/bitmap.ts';
import { cidrContains, cidrSize, familyName, formatCIDR, formatIP, parseCIDR, parseIP, type CIDR } from '../../machinery/cidr.ts';
import type { IPFamily } from '../../api/service/helpers.ts';
import { ipAllocated, ipNotInRange, rangeFull } from './errors.ts';

/** calculateRangeOffset: the static band size for a CIDR of `size` addresses. */
export function ipRangeOffset(size: bigint): number {
  const min = 16n;
  const max = 256n;
  if (size <= min) return 0;
  const off = size / 16n;
  if (off < min) return Number(min);
  if (off > max) return Number(max);
  return Number(off);
}

export class ClusterIPRange {
  readonly cidr: CIDR;
  readonly family: IPFamily;
  /** The CIDR as upstream prints it in errors (`10.96.0.0/12`). */
  readonly cidrString: string;
  /** Usable addresses (bitmap size). */
  readonly max: number;
  /** Addresses at the bottom kept for user-chosen IPs. */
  readonly staticBand: number;
  private readonly base: bigint;
  private readonly bitmap: AllocationBitmap;
  private readonly owners = new Map<number, string>();

  constructor(cidr: string, random: RandomSource = Math.random) {
    const parsed = parseCIDR(cidr);
    if (parsed === undefined) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
    this.cidr = parsed;
    this.family = familyName(parsed.family);
    this.cidrString = formatCIDR(parsed);
    const size = cidrSize(parsed);
    // kube-apiserver refuses smaller ranges at start-up (ValidateServiceClusterIPRanges).
    if (size < 8n) throw new Error(`service CIDR ${this.cidrString} must hold at least 8 addresses`);
    let max = parsed.family === 6 ? (size > 65536n ? 65536n : size) : size - 1n; // no IPv4 broadcast
    max -= 1n; // no network address
    if (max < 0n) max = 0n;
    this.max = Number(max);
    this.base = parsed.network + 1n;
    this.staticBand = ipRangeOffset(size);
    this.bitmap = new AllocationBitmap(this.max, this.staticBand, random);
  }

  /** The bitmap offset of `ip`, or undefined when it is not allocatable in this range. */
  offsetOf(ip: string): number | undefined {
    const parsed = parseIP(ip);
    if (parsed === undefined || !cidrContains(this.cidr, parsed)) return undefined;
    const off = parsed.value - this.base;
    if (off < 0n || off >= BigInt(this.max)) return undefined;
    return Number(off);
  }

  /** The address at bitmap offset `offset`. */
  ipAt(offset: number): string {
    return formatIP({ family: this.cidr.family, value: this.base + BigInt(offset) });
  }

  /** The network address (what a dry-run dynamic allocation reports, as upstream). */
  networkIP(): string {
    return formatIP({ family: this.cidr.family, value: this.cidr.network });
  }

  /** Checks `ip` is allocatable here without reserving it (upstream's dry-run Allocate). */
  checkInRange(ip: string): void {
    if (this.offsetOf(ip) === undefined) throw ipNotInRange(this.display(ip), this.cidrString);
  }

  /** Reserves `ip` for `owner`; throws AllocationError not-in-range or allocated. */
  allocate(ip: string, owner: string): void {
    const off = this.offsetOf(ip);
    if (off === undefined) throw ipNotInRange(this.display(ip), this.cidrString);
    if (!this.bitmap.allocate(off)) throw ipAllocated();
    this.owners.set(off, owner);
  }

  /** Reserves a free address for `owner` (random, upper band first); throws AllocationError full. */
  allocateNext(owner: string): string {
    const off = this.bitmap.allocateNext();
    if (off === undefined) throw rangeFull();
    this.owners.set(off, owner);
    return this.ipAt(off);
  }

  /** Frees `ip` if `owner` holds it; returns whether it was freed. Unknown or foreign IPs are left alone. */
  release(ip: string, owner: string): boolean {
    const off = this.offsetOf(ip);
    if (off === undefined || this.owners.get(off) !== owner) return false;
    this.owners.delete(off);
    this.bitmap.release(off);
    return true;
  }

  has(ip: string): boolean {
    const off = this.offsetOf(ip);
    return off !== undefined && this.bitmap.has(off);
  }

  ownerOf(ip: string): string | undefined {
    const off = this.offsetOf(ip);
    return off === undefined ? undefined : this.owners.get(off);
  }

  get used(): number {
    return this.bitmap.used;
  }

  get free(): number {
    return this.bitmap.free;
  }

  /** Every allocated address with its owner, ascending. */
  entries(): Array<[ip: string, owner: string]> {
    const out: Array<[string, string]> = [];
    this.bitmap.forEach((off) => out.push([this.ipAt(off), this.owners.get(off) ?? '']));
    return out;
  }

  /** Frees everything (before rebuilding from storage). */
  clear(): void {
    for (const off of [...this.owners.keys()]) this.bitmap.release(off);
    this.owners.clear();
  }

  /** The IP as Go's net.IP prints it in ErrNotInRange (normalised when it parses). */
  private display(ip: string): string {
    const parsed = parseIP(ip);
    return parsed === undefined ? ip : formatIP(parsed);
  }
}
