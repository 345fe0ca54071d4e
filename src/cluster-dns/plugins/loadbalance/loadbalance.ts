// The loadbalance plugin: shuffles the address (A/AAAA) and MX records of successful answers,
// keeping CNAMEs first (glibc wants the chain before the addresses), then moves addresses inside
// `prefer` CIDRs to the front. Pure apart from the random source it is given.
import type { Handler, Next, Reply, Request } from '../../plugin/plugin.ts';
import { parseIPv4, parseIPv6 } from '../../dns/ip.ts';
import { Rcode, Type, type RR } from '../../dns/types.ts';

export interface Cidr {
  bytes: Uint8Array;
  bits: number;
}

/** Parses `10.0.0.0/8` or `fd00::/8`; undefined when malformed. */
export function parseCidr(s: string): Cidr | undefined {
  const [ip, b] = s.split('/');
  if (ip === undefined || b === undefined || !/^\d+$/.test(b)) return undefined;
  const bytes = parseIPv4(ip) ?? (ip.includes(':') ? parseIPv6(ip) : undefined);
  if (bytes === undefined) return undefined;
  const bits = Number(b);
  if (bits > bytes.length * 8) return undefined;
  return { bytes, bits };
}

function contains(c: Cidr, ip: Uint8Array): boolean {
  if (c.bytes.length !== ip.length) return false;
  for (let i = 0; i < c.bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if (((c.bytes[byte] ?? 0) & mask) !== ((ip[byte] ?? 0) & mask)) return false;
  }
  return true;
}

function shuffle<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i] as T;
    a[i] = a[j] as T;
    a[j] = t;
  }
}

/** CNAMEs, then other records, then shuffled addresses (preferred ones first), then shuffled MX. */
export function roundRobin(rrs: RR[], random: () => number, prefer: readonly Cidr[]): RR[] {
  if (rrs.length < 2) return rrs;
  const cname: RR[] = [];
  const addr: RR[] = [];
  const mx: RR[] = [];
  const rest: RR[] = [];
  for (const r of rrs) {
    if (r.type === 'CNAME') cname.push(r);
    else if (r.type === 'A' || r.type === 'AAAA') addr.push(r);
    else if (r.type === 'MX') mx.push(r);
    else rest.push(r);
  }
  shuffle(addr, random);
  shuffle(mx, random);
  let ordered = addr;
  if (prefer.length > 0) {
    const first: RR[] = [];
    const other: RR[] = [];
    for (const r of addr) {
      const ip = r.type === 'A' ? parseIPv4(r.address) : r.type === 'AAAA' ? parseIPv6(r.address) : undefined;
      if (ip !== undefined && prefer.some((c) => contains(c, ip))) first.push(r);
      else other.push(r);
    }
    ordered = [...first, ...other];
  }
  return [...cname, ...rest, ...ordered, ...mx];
}

export class LoadBalance implements Handler {
  readonly name = 'loadbalance';
  private readonly random: () => number;
  private readonly prefer: readonly Cidr[];

  constructor(random: () => number, prefer: readonly Cidr[]) {
    this.random = random;
    this.prefer = prefer;
  }

  async serve(req: Request, next: Next): Promise<Reply> {
    const r = await next(req);
    if (r.msg.rcode !== Rcode.NOERROR || req.qtype === Type.AXFR || req.qtype === Type.IXFR) return r;
    r.msg.answer = roundRobin(r.msg.answer, this.random, this.prefer);
    r.msg.authority = roundRobin(r.msg.authority, this.random, []);
    r.msg.additional = roundRobin(r.msg.additional, this.random, this.prefer);
    return r;
  }
}
