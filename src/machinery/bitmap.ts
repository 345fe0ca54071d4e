// An allocation bitmap over offsets [0, size), as kube-apiserver's allocator.AllocationBitmap with
// the random-scan-with-offset strategy (pkg/registry/core/service/allocator, KEP-3070/KEP-3668):
// dynamic allocation starts at a random offset in the upper band [staticBand, size) and scans
// forward with wrap-around; only when that band is full does it scan the lower (static) band.
// Every operation is synchronous, so callers that reserve inside one turn of the event loop can
// never hand the same offset out twice. Pure apart from the injected random source.

/** A source of uniformly distributed numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

export class AllocationBitmap {
  readonly size: number;
  /** Offsets [0, staticBand) are preferred for user-chosen values; dynamic allocation uses them last. */
  readonly staticBand: number;
  private readonly bits: Uint8Array;
  private readonly random: RandomSource;
  private count = 0;

  constructor(size: number, staticBand: number, random: RandomSource = Math.random) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`bitmap size must be a non-negative integer, got ${size}`);
    this.size = size;
    this.staticBand = staticBand > 0 && staticBand < size ? staticBand : 0;
    this.bits = new Uint8Array(Math.ceil(size / 8));
    this.random = random;
  }

  /** Offsets in use. */
  get used(): number {
    return this.count;
  }

  /** Offsets still free. */
  get free(): number {
    return this.size - this.count;
  }

  /** True when `offset` is allocated (false when out of range). */
  has(offset: number): boolean {
    if (!this.inRange(offset)) return false;
    return ((this.bits[offset >> 3] ?? 0) & (1 << (offset & 7))) !== 0;
  }

  /** Reserves `offset`; false when it is already taken. Throws RangeError when out of range. */
  allocate(offset: number): boolean {
    if (!this.inRange(offset)) throw new RangeError(`offset ${offset} is outside [0, ${this.size})`);
    if (this.has(offset)) return false;
    this.set(offset);
    return true;
  }

  /** Reserves a free offset (upper band first, random start); undefined when the bitmap is full. */
  allocateNext(): number | undefined {
    if (this.count >= this.size) return undefined;
    const upper = this.scanFrom(this.staticBand, this.size);
    if (upper !== undefined) {
      this.set(upper);
      return upper;
    }
    if (this.staticBand === 0) return undefined;
    const lower = this.scanFrom(0, this.staticBand);
    if (lower === undefined) return undefined;
    this.set(lower);
    return lower;
  }

  /** Frees `offset`; releasing a free or out-of-range offset does nothing. */
  release(offset: number): void {
    if (!this.has(offset)) return;
    const i = offset >> 3;
    this.bits[i] = (this.bits[i] ?? 0) & ~(1 << (offset & 7));
    this.count--;
  }

  /** Calls `fn` with each allocated offset, in ascending order. */
  forEach(fn: (offset: number) => void): void {
    for (let i = 0; i < this.bits.length; i++) {
      const b = this.bits[i] ?? 0;
      if (b === 0) continue;
      for (let j = 0; j < 8; j++) if ((b & (1 << j)) !== 0) fn(i * 8 + j);
    }
  }

  private inRange(offset: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && offset < this.size;
  }

  private set(offset: number): void {
    const i = offset >> 3;
    this.bits[i] = (this.bits[i] ?? 0) | (1 << (offset & 7));
    this.count++;
  }

  /** A free offset in [lo, hi), scanning from a random start and wrapping once. */
  private scanFrom(lo: number, hi: number): number | undefined {
    const n = hi - lo;
    if (n <= 0) return undefined;
    const start = lo + Math.min(n - 1, Math.floor(this.random() * n));
    return this.firstFree(start, hi) ?? this.firstFree(lo, start);
  }

  /** The first free offset in [from, to), skipping whole full bytes. */
  private firstFree(from: number, to: number): number | undefined {
    let i = from;
    while (i < to) {
      if ((i & 7) === 0 && i + 8 <= to && this.bits[i >> 3] === 0xff) {
        i += 8;
        continue;
      }
      if (!this.has(i)) return i;
      i++;
    }
    return undefined;
  }
}
