// DNS message model (RFC 1035, 6891): the shapes the codec reads and writes and every plugin
// handles. Pure types and constants.

/** Record and query types by name (RFC 1035 §3.2.2, 3.2.3 and later RFCs). */
export const Type = {
  A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10, WKS: 11, PTR: 12,
  HINFO: 13, MINFO: 14, MX: 15, TXT: 16, RP: 17, AFSDB: 18, AAAA: 28, LOC: 29, SRV: 33, NAPTR: 35,
  CERT: 37, DNAME: 39, OPT: 41, DS: 43, SSHFP: 44, RRSIG: 46, NSEC: 47, DNSKEY: 48, NSEC3: 50,
  NSEC3PARAM: 51, TLSA: 52, SVCB: 64, HTTPS: 65, SPF: 99, IXFR: 251, AXFR: 252, ANY: 255, CAA: 257,
} as const;

const typeNames = new Map<number, string>(Object.entries(Type).map(([k, v]) => [v, k]));

/** `A`, `AAAA`, ... or `TYPE123` for a type without a name (RFC 3597). */
export function typeName(code: number): string {
  return typeNames.get(code) ?? `TYPE${code}`;
}

/** The code of a type name (`A`, `srv`, `TYPE65280`); undefined when unknown. */
export function typeCode(name: string): number | undefined {
  const up = name.toUpperCase();
  const known = (Type as Record<string, number>)[up];
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(up);
  if (m?.[1] !== undefined) {
    const n = Number(m[1]);
    if (n <= 0xffff) return n;
  }
  return undefined;
}

export const Class = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

const classNames = new Map<number, string>(Object.entries(Class).map(([k, v]) => [v, k]));

/** `IN`, `CH`, ... or `CLASS7`. */
export function className(code: number): string {
  return classNames.get(code) ?? `CLASS${code}`;
}

/** Response codes (RFC 1035 §4.1.1, RFC 6891 §9 for the extended ones). */
export const Rcode = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6,
  YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10, BADVERS: 16,
} as const;

const rcodeNames = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

/** `NOERROR`, `NXDOMAIN`, ... or `RCODE12`. */
export function rcodeName(code: number): string {
  return rcodeNames.get(code) ?? `RCODE${code}`;
}

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

export interface Question {
  /** Presentation form with the trailing dot, letter case as sent (`Web.Default.svc.cluster.local.`). */
  name: string;
  type: number;
  class: number;
}

interface RRBase {
  /** Owner name, presentation form with the trailing dot, case preserved. */
  name: string;
  class: number;
  ttl: number;
}

export interface ARecord extends RRBase { type: 'A'; address: string }
export interface AAAARecord extends RRBase { type: 'AAAA'; address: string }
/** Records whose data is one domain name. */
export interface NameRecord extends RRBase { type: 'NS' | 'CNAME' | 'PTR' | 'DNAME'; target: string }
export interface SOARecord extends RRBase {
  type: 'SOA';
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
export interface MXRecord extends RRBase { type: 'MX'; preference: number; exchange: string }
export interface SRVRecord extends RRBase { type: 'SRV'; priority: number; weight: number; port: number; target: string }
/** TXT: each character string as a JS string whose char codes are the bytes (latin1). */
export interface TXTRecord extends RRBase { type: 'TXT'; texts: string[] }
export interface HINFORecord extends RRBase { type: 'HINFO'; cpu: string; os: string }
/** Any other type, data kept as bytes (RFC 3597); names inside are never compressed by RFC. */
export interface RawRecord extends RRBase { type: 'RAW'; code: number; rdata: Uint8Array }

/** One resource record. */
export type RR = ARecord | AAAARecord | NameRecord | SOARecord | MXRecord | SRVRecord | TXTRecord | HINFORecord | RawRecord;

/** The numeric type of a record. */
export function rrType(rr: RR): number {
  return rr.type === 'RAW' ? rr.code : Type[rr.type];
}

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

/** The OPT pseudo-record (RFC 6891), kept apart from the additional section. */
export interface Edns {
  /** Requestor's UDP payload size. */
  udpSize: number;
  version: number;
  /** DNSSEC OK. */
  do: boolean;
  options: EdnsOption[];
}

/** A DNS message. `rcode` is the full 12-bit code; the upper 8 bits travel in the OPT record. */
export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** The reserved Z bit (must be zero; kept to echo it faithfully). */
  z: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  question: Question[];
  answer: RR[];
  authority: RR[];
  additional: RR[];
  edns: Edns | undefined;
}

/** An empty message with the given id. */
export function newMessage(id = 0): Message {
  return {
    id, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, z: false, ad: false, cd: false,
    rcode: 0, question: [], answer: [], authority: [], additional: [], edns: undefined,
  };
}

/**
 * A reply skeleton for a query: same id, opcode, question, RD and CD; QR set; EDNS echoed (the
 * requestor's size, its DO bit, no options) when the query had it.
 */
export function replyTo(q: Message, rcode = 0): Message {
  const m = newMessage(q.id);
  m.qr = true;
  m.opcode = q.opcode;
  m.rd = q.rd;
  m.cd = q.cd;
  m.rcode = rcode;
  m.question = q.question.slice(0, 1);
  if (q.edns !== undefined) m.edns = { udpSize: Math.max(512, q.edns.udpSize), version: 0, do: q.edns.do, options: [] };
  return m;
}
