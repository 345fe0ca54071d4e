// Response classification and TTL rules shared by cache and log (CoreDNS plugin/pkg/response and
// dnsutil.MinimalTTL, RFC 2308). Pure.
import { Rcode, type Message } from './types.ts';

export type ResponseType = 'NoError' | 'NameError' | 'NoData' | 'Delegation' | 'ServerError' | 'OtherError';

/** What kind of answer a response is (response.Typify). */
export function typify(m: Message): ResponseType {
  if (m.rcode === Rcode.NOERROR) {
    if (m.answer.length > 0) return 'NoError';
    const soa = m.authority.some((r) => r.type === 'SOA');
    const ns = m.authority.some((r) => r.type === 'NS');
    if (!soa && ns) return 'Delegation';
    return 'NoData';
  }
  if (m.rcode === Rcode.NXDOMAIN) return 'NameError';
  if (m.rcode === Rcode.SERVFAIL || m.rcode === Rcode.NOTIMP) return 'ServerError';
  return 'OtherError';
}

/** The log plugin's classes: success, denial (NXDOMAIN, NODATA) or error. */
export function responseClass(t: ResponseType): 'success' | 'denial' | 'error' {
  if (t === 'NoError' || t === 'Delegation') return 'success';
  if (t === 'NameError' || t === 'NoData') return 'denial';
  return 'error';
}

/** Seconds a negative answer without SOA may be kept (dnsutil.MinimalDefaultTTL). */
export const minimalDefaultTTL = 5;
/** Upper bound for any computed TTL (dnsutil.MaximumDefaulTTL). */
export const maximumDefaultTTL = 3600;

/**
 * The TTL a response may be cached for (dnsutil.MinimalTTL): negative answers use the SOA's
 * min(TTL, minimum) (RFC 2308 §5); otherwise the lowest TTL over all sections (OPT excluded).
 */
export function minimalTTL(m: Message, t: ResponseType): number {
  if (t === 'NameError' || t === 'NoData') {
    for (const r of m.authority) if (r.type === 'SOA') return Math.min(r.ttl, r.minimum);
    return minimalDefaultTTL;
  }
  let min = maximumDefaultTTL;
  let any = false;
  for (const sec of [m.answer, m.authority, m.additional]) {
    for (const r of sec) {
      any = true;
      if (r.ttl < min) min = r.ttl;
    }
  }
  return any ? min : minimalDefaultTTL;
}

/** Comma-separated header flags as the log plugin prints them (`qr,aa,rd`). */
export function flagsText(m: Message): string {
  const f: string[] = [];
  if (m.qr) f.push('qr');
  if (m.aa) f.push('aa');
  if (m.tc) f.push('tc');
  if (m.rd) f.push('rd');
  if (m.ra) f.push('ra');
  if (m.z) f.push('z');
  if (m.ad) f.push('ad');
  if (m.cd) f.push('cd');
  return f.join(',');
}
