// TLS certificates from Secrets referenced by Ingress `spec.tls`: checked the way ingress-nginx
// checks them (a kubernetes.io/tls-style Secret with tls.crt and tls.key, a key that matches the
// certificate, a certificate that names the host). Pure (node:crypto parsing only, no I/O).
import { X509Certificate, createPrivateKey, createHash } from 'node:crypto';
import type { Secret } from '../../api/types.ts';

/** A usable certificate from a Secret. */
export interface SecretCertificate {
  cert: string;
  key: string;
  /** sha256 of the Secret's certificate and key (changes trigger a hot reload). */
  version: string;
  x509: X509Certificate;
}

/** Reads a Secret's `tls.crt` / `tls.key`; returns the certificate or why it cannot be used. */
export function certificateFromSecret(secret: Secret | undefined, ref: string): SecretCertificate | { error: string } {
  if (secret === undefined) return { error: `secret ${ref} not found` };
  const data = secret.data ?? {};
  const crtB64 = data['tls.crt'];
  const keyB64 = data['tls.key'];
  if (crtB64 === undefined || keyB64 === undefined) return { error: `secret ${ref} has no tls.crt and tls.key (type ${secret.type ?? 'Opaque'})` };
  const cert = Buffer.from(crtB64, 'base64').toString('utf8');
  const key = Buffer.from(keyB64, 'base64').toString('utf8');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    return { error: `secret ${ref}: tls.crt is not a PEM certificate (${err instanceof Error ? err.message : String(err)})` };
  }
  try {
    const k = createPrivateKey(key);
    if (!x509.checkPrivateKey(k)) return { error: `secret ${ref}: tls.key does not match the certificate in tls.crt` };
  } catch (err) {
    return { error: `secret ${ref}: tls.key is not a PEM private key (${err instanceof Error ? err.message : String(err)})` };
  }
  const version = createHash('sha256').update(cert).update('\0').update(key).digest('hex').slice(0, 16);
  return { cert, key, version, x509 };
}

/** True when the certificate names `host` (SAN, or CN without SANs); wildcard hosts are checked with a sample label. */
export function certificateCovers(x509: X509Certificate, host: string): boolean {
  const probe = host.startsWith('*.') ? `wildcard-probe${host.slice(1)}` : host;
  return x509.checkHost(probe) !== undefined;
}
