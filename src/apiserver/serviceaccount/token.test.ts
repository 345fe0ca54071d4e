import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkToken, claimsFor, defaultAudiences, defaultIssuer, loadSigningKey, signToken, tokenSpec } from './token.ts';

const dir = mkdtempSync(join(tmpdir(), 'sb-sa-key-'));
const k = loadSigningKey(dir);
const dir2 = mkdtempSync(join(tmpdir(), 'sb-sa-key2-'));
const other = loadSigningKey(dir2);
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(dir2, { recursive: true, force: true });
});

test('the key is made once and reloaded unchanged', () => {
  assert.equal(loadSigningKey(dir).kid, k.kid);
});

test('tokens: valid, expired, other key, other audience, tampered', () => {
  const now = 1_800_000_000;
  const sa = { namespace: 'test', name: 'default', uid: 'u-1' };
  const claims = claimsFor(sa, { audiences: defaultAudiences, expirationSeconds: 3600, boundPod: { name: 'web', uid: 'p-1' } }, now, 'j1');
  assert.equal(claims.sub, 'system:serviceaccount:test:default');
  assert.deepEqual(claims['kubernetes.io'], { namespace: 'test', serviceaccount: { name: 'default', uid: 'u-1' }, pod: { name: 'web', uid: 'p-1' } });
  const tok = signToken(k.key, claims, k.kid);
  const opts = { issuer: defaultIssuer, audiences: defaultAudiences, nowSeconds: now + 10 };
  const cases: Array<{ name: string; token: string; opts: typeof opts; valid: boolean }> = [
    { name: 'valid', token: tok, opts, valid: true },
    { name: 'expired', token: tok, opts: { ...opts, nowSeconds: now + 3600 }, valid: false },
    { name: 'signed by another key', token: signToken(other.key, claims, other.kid), opts, valid: false },
    { name: 'another audience', token: tok, opts: { ...opts, audiences: ['vault'] }, valid: false },
    { name: 'another issuer', token: tok, opts: { ...opts, issuer: 'https://elsewhere' }, valid: false },
    { name: 'payload swapped', token: [tok.split('.')[0], Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url'), tok.split('.')[2]].join('.'), opts, valid: false },
    { name: 'not a JWT', token: 'abc', opts, valid: false },
    { name: 'garbage parts', token: 'a.b.c', opts, valid: false },
  ];
  for (const c of cases) assert.equal(checkToken(k.pub, c.token, c.opts) !== undefined, c.valid, c.name);
});

test('TokenRequest specs: defaults and kube-apiserver\'s errors', () => {
  assert.deepEqual(tokenSpec(undefined), { spec: { audiences: defaultAudiences, expirationSeconds: 3600 }, errors: [] });
  assert.deepEqual(tokenSpec({ audiences: ['vault'], expirationSeconds: 600 }).spec, { audiences: ['vault'], expirationSeconds: 600 });
  assert.deepEqual(tokenSpec({ boundObjectRef: { kind: 'Pod', name: 'web', uid: 'x' } }).spec.boundPod, { name: 'web', uid: 'x' });
  const cases: Array<{ spec: unknown; field: string; detail: string }> = [
    { spec: { expirationSeconds: 300 }, field: 'spec.expirationSeconds', detail: 'may not specify a duration less than 10 minutes' },
    { spec: { expirationSeconds: 2 ** 33 }, field: 'spec.expirationSeconds', detail: 'may not specify a duration larger than 2^32 seconds' },
    { spec: { boundObjectRef: { kind: 'Node', name: 'n' } }, field: 'spec.boundObjectRef.kind', detail: 'supported values: "Pod"' },
  ];
  for (const c of cases) {
    const { errors } = tokenSpec(c.spec);
    assert.equal(errors[0]?.field, c.field);
    assert.equal(errors[0]?.detail, c.detail);
  }
});
