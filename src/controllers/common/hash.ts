// The pod-template hash controllers name ReplicaSets and revisions by, shaped as upstream's
// controller.ComputeHash: FNV-32a over the template (here its canonical JSON, upstream a Go dump of
// the struct), the collision count appended as 8 little-endian bytes, the decimal digits mapped
// through rand.SafeEncodeString's alphabet. Stable across restarts and processes. Pure.
import type { PodTemplateSpec } from '../../api/types.ts';
import { canonicalJSON } from './semantic.ts';

/** apimachinery's rand alphabet: no vowels, no confusable characters. */
const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits, over bytes. */
export function fnv32a(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of data) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each byte of `s` mapped into the alphabet (so "123" → 3 characters). */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += alphanums[b % alphanums.length] ?? '';
  return out;
}

/** The `pod-template-hash` / revision hash of a pod template (and collision count, when set). */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  const parts: Uint8Array[] = [Buffer.from(canonicalJSON(template ?? {}), 'utf8')];
  if (collisionCount !== undefined) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(collisionCount >>> 0, 0);
    parts.push(b);
  }
  return safeEncodeString(String(fnv32a(Buffer.concat(parts))));
}
