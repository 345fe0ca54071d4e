// The NodePort allocator (pkg/registry/core/service/portallocator): a bitmap over the port range
// (default 30000-32767), a static band at the bottom of min(max(16, size/32), 128) ports (86 for
// the default range, KEP-3668) that dynamic allocation uses only when the rest is full, and an
// owner per port so a stale release can never free another Service's port.
import { AllocationBitmap, type RandomSource } from '../../machinery/bitmap.ts';
import { portAllocated, portNotInRange, rangeFull } from './errors.ts';

export interface PortRange {
  base: number;
  size: number;
}

/** Parses `30000-32767`, `30000+2767` or a single port, as utilnet.ParsePortRange does. */
export function parsePortRange(s: string): PortRange {
  const v = s.trim();
  const num = (x: string): number => {
    if (!/^[0-9]+$/.test(x)) throw new Error(`invalid port range ${JSON.stringify(s)}`);
    const n = Number(x);
    if (n > 65535) throw new Error(`invalid port range ${JSON.stringify(s)}: port ${n} out of range`);
    return n;
  };
  let low: number;
  let high: number;
  const dash = v.indexOf('-');
  const plus = v.indexOf('+');
  if (dash >= 0) {
    low = num(v.slice(0, dash));
    high = num(v.slice(dash + 1));
  } else if (plus >= 0) {
    low = num(v.slice(0, plus));
    high = low + num(v.slice(plus + 1));
  } else {
    low = num(v);
    high = low;
  }
  if (high > 65535 || high < low) throw new Error(`invalid port range ${JSON.stringify(s)}`);
  return { base: low, size: high - low + 1 };
}

/** calculateRangeOffset for ports. */
export function portRangeOffset(size: number): number {
  const min = 16;
  const max = 128;
  if (size <= min) return 0;
  const off = Math.floor(size / 32);
  if (off < min) return min;
  if (off > max) return max;
  return off;
}

export class NodePortRange {
  readonly base: number;
  readonly size: number;
  readonly staticBand: number;
  private readonly bitmap: AllocationBitmap;
  private readonly owners = new Map<number, string>();

  constructor(range: string | PortRange = '30000-32767', random: RandomSource = Math.random) {
    const r = typeof range === 'string' ? parsePortRange(range) : range;
    this.base = r.base;
    this.size = r.size;
    this.staticBand = portRangeOffset(r.size);
    this.bitmap = new AllocationBitmap(r.size, this.staticBand, random);
  }

  /** `30000-32767`, as upstream's PortRange.String() prints it. */
  toString(): string {
    return `${this.base}-${this.base + this.size - 1}`;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port < this.base + this.size;
  }

  /** Reserves `port` for `owner`; throws AllocationError not-in-range or allocated. */
  allocate(port: number, owner: string): void {
    if (!this.contains(port)) throw portNotInRange(this.toString());
    if (!this.bitmap.allocate(port - this.base)) throw portAllocated();
    this.owners.set(port, owner);
  }

  /** Reserves a free port for `owner` (random, upper band first); throws AllocationError full. */
  allocateNext(owner: string): number {
    const off = this.bitmap.allocateNext();
    if (off === undefined) throw rangeFull();
    const port = this.base + off;
    this.owners.set(port, owner);
    return port;
  }

  /** Frees `port` if `owner` holds it; returns whether it was freed. */
  release(port: number, owner: string): boolean {
    if (!this.contains(port) || this.owners.get(port) !== owner) return false;
    this.owners.delete(port);
    this.bitmap.release(port - this.base);
    return true;
  }

  /** True when `port` is in range and allocated. */
  has(port: number): boolean {
    return this.contains(port) && this.bitmap.has(port - this.base);
  }

  ownerOf(port: number): string | undefined {
    return this.owners.get(port);
  }

  get used(): number {
    return this.bitmap.used;
  }

  get free(): number {
    return this.bitmap.free;
  }

  /** Every allocated port with its owner, ascending. */
  entries(): Array<[port: number, owner: string]> {
    const out: Array<[number, string]> = [];
    this.bitmap.forEach((off) => out.push([this.base + off, this.owners.get(this.base + off) ?? '']));
    return out;
  }

  clear(): void {
    for (const port of [...this.owners.keys()]) this.bitmap.release(port - this.base);
    this.owners.clear();
  }
}
