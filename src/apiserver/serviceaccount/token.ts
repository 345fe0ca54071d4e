// ServiceAccount tokens as kube-apiserver issues them through TokenRequest (`kubectl create token`,
// and the kubelet for the kube-api-access volume): ES256-signed JWTs with the cluster's issuer and
// audience, `sub: system:serviceaccount:<ns>:<name>` and the `kubernetes.io` claim naming the
// ServiceAccount and, for bound tokens, the Pod. Signing and checking are pure over a key pair.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FieldError } from '../../machinery/status.ts';

export const defaultIssuer = 'https://kubernetes.default.svc.cluster.local';
export const defaultAudiences = [defaultIssuer];
/** kube-apiserver's floor for TokenRequest expirationSeconds (10 minutes). */
export const minExpirationSeconds = 600;

export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
  };
}

/** What a TokenRequest asks for (spec) once defaulted. */
export interface TokenSpec {
  audiences: string[];
  expirationSeconds: number;
  boundPod?: { name: string; uid: string };
}

/** Defaults and validates a TokenRequest spec, with kube-apiserver's field paths. */
export function tokenSpec(spec: unknown): { spec: TokenSpec; errors: FieldError[] } {
  const s = (spec ?? {}) as { audiences?: unknown; expirationSeconds?: unknown; boundObjectRef?: { kind?: string; name?: string; uid?: string; apiVersion?: string } | null };
  const errors: FieldError[] = [];
  const audiences = Array.isArray(s.audiences) && s.audiences.length > 0 ? s.audiences.map(String) : [...defaultAudiences];
  let expirationSeconds = 3600;
  if (s.expirationSeconds !== undefined && s.expirationSeconds !== null) {
    const n = Number(s.expirationSeconds);
    if (!Number.isInteger(n)) errors.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: { kind: 'string', v: String(s.expirationSeconds) }, detail: 'must be an integer' });
    else if (n < minExpirationSeconds) errors.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: { kind: 'int', v: n }, detail: 'may not specify a duration less than 10 minutes' });
    else if (n > 2 ** 32) errors.push({ type: 'FieldValueTooLong', field: 'spec.expirationSeconds', value: { kind: 'int', v: n }, detail: 'may not specify a duration larger than 2^32 seconds' });
    else expirationSeconds = n;
  }
  const out: TokenSpec = { audiences, expirationSeconds };
  const ref = s.boundObjectRef;
  if (ref !== undefined && ref !== null) {
    if (ref.kind !== 'Pod') errors.push({ type: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', value: { kind: 'string', v: ref.kind ?? '' }, detail: 'supported values: "Pod"' });
    else out.boundPod = { name: ref.name ?? '', uid: ref.uid ?? '' };
  }
  return { spec: out, errors };
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/** The signed JWT. */
export function signToken(key: KeyObject, claims: ServiceAccountClaims, kid: string): string {
  const header = b64url(JSON.stringify({ alg: 'ES256', kid }));
  const payload = b64url(JSON.stringify(claims));
  const sig = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${b64url(sig)}`;
}

/** The claims of a valid token for `audience` at `nowSeconds`, or undefined (bad signature, expired, wrong issuer/audience). */
export function checkToken(pub: KeyObject, token: string, opts: { issuer: string; audiences: readonly string[]; nowSeconds: number }): ServiceAccountClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
    if (header.alg !== 'ES256') return undefined;
    if (!verify('sha256', Buffer.from(`${h}.${p}`), { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) return undefined;
    const c = JSON.parse(Buffer.from(p, 'base64url').toString()) as ServiceAccountClaims;
    if (c.iss !== opts.issuer) return undefined;
    if (!Array.isArray(c.aud) || !c.aud.some((a) => opts.audiences.includes(a))) return undefined;
    if (typeof c.exp !== 'number' || c.exp <= opts.nowSeconds) return undefined;
    if (typeof c.nbf === 'number' && c.nbf > opts.nowSeconds + 60) return undefined;
    if (!/^system:serviceaccount:[^:]+:[^:]+$/.test(c.sub)) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

/** Claims for a ServiceAccount, issued at `nowSeconds`. */
export function claimsFor(sa: { namespace: string; name: string; uid: string }, spec: TokenSpec, nowSeconds: number, jti: string, issuer = defaultIssuer): ServiceAccountClaims {
  const k: ServiceAccountClaims['kubernetes.io'] = { namespace: sa.namespace, serviceaccount: { name: sa.name, uid: sa.uid } };
  if (spec.boundPod !== undefined) k.pod = spec.boundPod;
  return {
    iss: issuer, sub: `system:serviceaccount:${sa.namespace}:${sa.name}`, aud: spec.audiences,
    exp: nowSeconds + spec.expirationSeconds, iat: nowSeconds, nbf: nowSeconds, jti, 'kubernetes.io': k,
  };
}

/** The signing key in `<pki>/sa.key` (made on first use, as kubeadm's sa.key), and its public half. */
export function loadSigningKey(pkiDir: string): { key: KeyObject; pub: KeyObject; kid: string } {
  const path = join(pkiDir, 'sa.key');
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const key = createPrivateKey(readFileSync(path));
  const pub = createPublicKey(key);
  const der = pub.export({ type: 'spki', format: 'der' });
  const kid = b64url(der.subarray(der.length - 32));
  return { key, pub, kid };
}
