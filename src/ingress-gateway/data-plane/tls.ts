// TLS termination: certificates chosen by SNI (exact host, then a one-label wildcard, then the
// default certificate), swapped in place when Secrets change so new handshakes use them without a
// restart. SecureContexts are built once per Secret version.
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Certificate } from '../route-table/types.ts';
import { wildcardSuffix } from '../route-table/path.ts';
import { generateCertificate, type GeneratedCertificate } from './selfsigned.ts';

/** The controller's fallback certificate (ingress-nginx: "Kubernetes Ingress Controller Fake Certificate"). */
export function defaultCertificate(): GeneratedCertificate {
  return generateCertificate({ commonName: 'Switchboard Ingress Controller Fake Certificate', organization: 'Acme Co', dnsNames: ['ingress.local'], days: 365 });
}

export class CertificateStore {
  private exact = new Map<string, SecureContext>();
  private wildcard = new Map<string, SecureContext>();
  /** A certificate for every name nothing else matches (a Gateway HTTPS listener without hostname). */
  private fallback: SecureContext | undefined;
  private readonly built = new Map<string, { version: string; ctx: SecureContext }>();
  readonly defaultContext: SecureContext;
  readonly defaultCert: GeneratedCertificate;

  constructor(def: GeneratedCertificate = defaultCertificate()) {
    this.defaultCert = def;
    this.defaultContext = createSecureContext({ cert: def.cert, key: def.key });
  }

  /** Replaces the SNI map; contexts of unchanged Secrets are reused. Returns the secrets whose context failed to build. */
  update(certs: readonly Certificate[]): { secret: string; error: string }[] {
    const errors: { secret: string; error: string }[] = [];
    const exact = new Map<string, SecureContext>();
    const wildcard = new Map<string, SecureContext>();
    let fallback: SecureContext | undefined;
    const keep = new Set<string>();
    for (const c of certs) {
      keep.add(c.secret);
      let entry = this.built.get(c.secret);
      if (entry === undefined || entry.version !== c.version) {
        try {
          entry = { version: c.version, ctx: createSecureContext({ cert: c.cert, key: c.key }) };
          this.built.set(c.secret, entry);
        } catch (err) {
          errors.push({ secret: c.secret, error: err instanceof Error ? err.message : String(err) });
          continue;
        }
      }
      for (const h of c.hosts) {
        if (h === '*') fallback ??= entry.ctx;
        else if (h.startsWith('*.')) {
          if (!wildcard.has(h.slice(2))) wildcard.set(h.slice(2), entry.ctx);
        } else if (!exact.has(h)) exact.set(h, entry.ctx);
      }
    }
    for (const k of this.built.keys()) if (!keep.has(k)) this.built.delete(k);
    this.exact = exact;
    this.wildcard = wildcard;
    this.fallback = fallback;
    return errors;
  }

  /** The context for an SNI name (lower-cased); the default one when nothing matches or no SNI was sent. */
  contextFor(servername: string | undefined): SecureContext {
    if (servername === undefined || servername === '') return this.fallback ?? this.defaultContext;
    const h = servername.toLowerCase();
    const e = this.exact.get(h);
    if (e !== undefined) return e;
    const suffix = wildcardSuffix(h);
    if (suffix !== undefined) {
      const w = this.wildcard.get(suffix);
      if (w !== undefined) return w;
    }
    return this.fallback ?? this.defaultContext;
  }

  /** For tls.Server's SNICallback option. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    cb(null, this.contextFor(servername));
  };

  get size(): number {
    return this.built.size;
  }
}
