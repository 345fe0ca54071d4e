// X.509 certificates without openssl: a minimal DER encoder (RFC 5280 TBSCertificate with subject
// alternative names, basic constraints, key usage, server auth) signed with an EC P-256 key by
// node:crypto. Used for the controller's default ("fake") certificate and by tests that need
// certificates. Pure apart from key generation and randomness.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (b: boolean) => tlv(0x01, Buffer.from([b ? 0xff : 0]));
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.subarray(i);
  if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const stack: number[] = [];
    let v = p;
    do {
      stack.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < stack.length - 1; i++) stack[i] = (stack[i] ?? 0) | 0x80;
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const p = (n: number) => String(n).padStart(2, '0');
  const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(`${p(y % 100)}${body}`));
  return tlv(0x18, Buffer.from(`${y}${body}`));
}

function name(cn: string, org?: string): Buffer {
  const rdns = [set(seq(oid('2.5.4.3'), utf8(cn)))];
  if (org !== undefined) rdns.unshift(set(seq(oid('2.5.4.10'), utf8(org))));
  return seq(...rdns);
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

export interface CertificateRequest {
  commonName: string;
  organization?: string;
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Validity in days from now (default 365). */
  days?: number;
  /** Starts this many seconds before now (default 3600, for clock skew). */
  backdateSeconds?: number;
  isCA?: boolean;
  /** Sign with this CA instead of self-signing. */
  issuer?: { cert: string; key: string };
}

export interface GeneratedCertificate {
  cert: string;
  key: string;
}

const ecdsaWithSHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** Generates an EC P-256 key and a certificate for it (self-signed unless `issuer` is given). */
export function generateCertificate(req: CertificateRequest): GeneratedCertificate {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const now = Date.now();
  const notBefore = new Date(now - (req.backdateSeconds ?? 3600) * 1000);
  const notAfter = new Date(now + (req.days ?? 365) * 86_400_000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  let issuerName = name(req.commonName, req.organization);
  let signer: KeyObject = privateKey;
  if (req.issuer !== undefined) {
    const ca = new X509Certificate(req.issuer.cert);
    issuerName = Buffer.from(caSubjectDER(ca));
    signer = createPrivateKey(req.issuer.key);
  }
  const san: Buffer[] = [];
  for (const d of req.dnsNames ?? []) san.push(tlv(0x82, Buffer.from(d, 'ascii')));
  for (const ip of req.ipAddresses ?? []) san.push(tlv(0x87, ipBytes(ip)));
  const exts: Buffer[] = [
    seq(oid('2.5.29.19'), bool(true), octets(req.isCA === true ? seq(bool(true)) : seq())),
    seq(oid('2.5.29.15'), bool(true), octets(bits(Buffer.from([req.isCA === true ? 0x86 : 0x80])))), // digitalSignature (+ keyCertSign, cRLSign)
  ];
  if (req.isCA !== true) exts.push(seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1')))));
  if (san.length > 0) exts.push(seq(oid('2.5.29.17'), octets(seq(...san))));
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSHA256,
    issuerName,
    seq(time(notBefore), time(notAfter)),
    name(req.commonName, req.organization),
    Buffer.from(spki),
    tlv(0xa3, seq(...exts)),
  );
  const sig = sign('sha256', tbs, signer);
  const der = seq(tbs, ecdsaWithSHA256, bits(sig));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The DER of a certificate's subject Name (the issuer field of certificates it signs). */
function caSubjectDER(ca: X509Certificate): Buffer {
  // Walk Certificate → TBSCertificate → fields; subject is the 6th element (after version, serial, sigAlg, issuer, validity).
  const der = ca.raw;
  const readTL = (off: number): { tag: number; start: number; end: number } => {
    const tag = der[off] ?? 0;
    let l = der[off + 1] ?? 0;
    let start = off + 2;
    if (l & 0x80) {
      const n = l & 0x7f;
      l = 0;
      for (let i = 0; i < n; i++) l = l * 256 + (der[off + 2 + i] ?? 0);
      start += n;
    }
    return { tag, start, end: start + l };
  };
  const cert = readTL(0);
  const tbs = readTL(cert.start);
  let off = tbs.start;
  for (let i = 0; i < 5; i++) off = readTL(off).end;
  const subject = readTL(off);
  return der.subarray(off, subject.end);
}
