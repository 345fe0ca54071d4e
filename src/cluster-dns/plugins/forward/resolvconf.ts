// Nameservers from a resolv.conf (resolv.conf(5)): `nameserver` lines, in order. Pure.
import { canonicalIP } from '../../dns/ip.ts';

export function resolvConfNameservers(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*/, '').trim();
    const m = /^nameserver\s+(\S+)/.exec(line);
    if (m?.[1] === undefined) continue;
    const ip = canonicalIP(m[1].replace(/%.*$/, ''));
    if (ip !== undefined) out.push(ip);
  }
  return out;
}
