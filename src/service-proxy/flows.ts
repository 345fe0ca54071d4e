// The packet-flow table format every backend is held to: {source, destination IP:port, protocol →
// endpoint list | REJECT | DROP | ACCEPT | "" (not ours), masqueraded?}. A backend supplies a
// tracer (rules walked, or the userspace picker asked) and `checkFlows` compares. Pure.
import type { Protocol, ProxyMode } from './types.ts';

export interface Packet {
  readonly sourceIP: string;
  readonly destIP: string;
  readonly destPort: number;
  readonly protocol: Protocol;
}

/** What happens to a packet: every endpoint it may reach (", "-joined, chain order) or a verdict. */
export interface FlowResult {
  readonly output: string;
  readonly masq: boolean;
}

/** Per-backend difference from the common expectation (nftables is stricter, userspace proxies). */
export interface FlowOverride {
  readonly output?: string;
  readonly masq?: boolean;
}

export interface FlowCase {
  readonly name: string;
  readonly sourceIP: string;
  readonly destIP: string;
  readonly destPort: number;
  /** Default TCP. */
  readonly protocol?: Protocol;
  readonly output: string;
  /** Default false. */
  readonly masq?: boolean;
  readonly backends?: Partial<Record<ProxyMode, FlowOverride>>;
}

export type FlowTracer = (p: Packet) => FlowResult;

/** The expectation of `c` for `mode`. */
export function expected(c: FlowCase, mode: ProxyMode): FlowResult {
  const o = c.backends?.[mode];
  return { output: o?.output ?? c.output, masq: o?.masq ?? c.masq ?? false };
}

/** Runs every case through `trace`; returns one message per mismatch (empty = all pass). */
export function checkFlows(mode: ProxyMode, cases: readonly FlowCase[], trace: FlowTracer, opts: { compareMasq?: boolean } = {}): string[] {
  const errors: string[] = [];
  for (const c of cases) {
    const want = expected(c, mode);
    const got = trace({ sourceIP: c.sourceIP, destIP: c.destIP, destPort: c.destPort, protocol: c.protocol ?? 'TCP' });
    const bad: string[] = [];
    if (got.output !== want.output) bad.push(`output ${JSON.stringify(got.output)}, want ${JSON.stringify(want.output)}`);
    if ((opts.compareMasq ?? true) && got.masq !== want.masq) bad.push(`masq ${got.masq}, want ${want.masq}`);
    if (bad.length > 0) errors.push(`${mode} "${c.name}" (${c.protocol ?? 'TCP'} ${c.sourceIP} → ${c.destIP}:${c.destPort}): ${bad.join('; ')}`);
  }
  return errors;
}
