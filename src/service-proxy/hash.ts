// Chain and set names derived from service-port names exactly as kube-proxy derives them, so
// `iptables-save` and `nft list table` read the same as on a kubeadm node and tools that grep for
// KUBE-SVC-XPGD46QRK7WJZT7O keep working. Pure.
import { createHash } from 'node:crypto';
import type { EndpointInfo, ServicePortInfo } from './types.ts';
import { protoLower } from './types.ts';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with the standard alphabet and padding (Go's base32.StdEncoding). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

// Names are asked for again on every sync; hashing 100k endpoints each time would dominate a
// partial sync, so results are remembered (and forgotten wholesale when the memo grows large).
const memo = new Map<string, string>();

function sha256base32(s: string): string {
  let v = memo.get(s);
  if (v === undefined) {
    if (memo.size > 1_000_000) memo.clear();
    v = base32(createHash('sha256').update(s).digest());
    memo.set(s, v);
  }
  return v;
}

/** The 16-character hash shared by KUBE-SVC/SVL/EXT/FW chains: sha256(nameString + proto). */
export function servicePortHash(svc: Pick<ServicePortInfo, 'nameString' | 'protocol'>): string {
  return sha256base32(svc.nameString + protoLower(svc.protocol)).slice(0, 16);
}

export type IptablesServiceChainKind = 'SVC' | 'SVL' | 'EXT' | 'FW';

/** `KUBE-SVC-<hash>` and friends for a service port. */
export function iptablesServiceChain(kind: IptablesServiceChainKind, svc: Pick<ServicePortInfo, 'nameString' | 'protocol'>): string {
  return `KUBE-${kind}-${servicePortHash(svc)}`;
}

/** `KUBE-SEP-<hash>`: sha256(nameString + proto + "ip:port"). */
export function iptablesEndpointChain(svc: Pick<ServicePortInfo, 'nameString' | 'protocol'>, endpoint: string): string {
  return `KUBE-SEP-${sha256base32(svc.nameString + protoLower(svc.protocol) + endpoint).slice(0, 16)}`;
}

/** Prefixes that mark an iptables chain as one of ours per service (stale-chain clean-up). */
export const iptablesServiceChainPrefixes = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-SEP-'] as const;

/** nft names: `<8 hash chars>-<name>`, cut to 256 characters with `...` (knftables limit). */
export function hashAndTruncate(name: string): string {
  const full = `${sha256base32(name).slice(0, 8)}-${name}`;
  return full.length > 256 ? `${full.slice(0, 253)}...` : full;
}

/** `<hash>-<ns>/<svc>/<proto>/<portName>`: the base of a service port's nft chain names. */
export function nftServiceBase(svc: Pick<ServicePortInfo, 'name' | 'protocol'>): string {
  return hashAndTruncate(`${svc.name.namespace}/${svc.name.name}/${protoLower(svc.protocol)}/${svc.name.port}`);
}

/** `<hash>-<ns>/<svc>/<proto>/<portName>__<ip>/<port>` (IPv6 colons become dots). */
export function nftEndpointBase(svc: Pick<ServicePortInfo, 'name' | 'protocol'>, ep: Pick<EndpointInfo, 'ip' | 'port'>): string {
  const ip = ep.ip.replaceAll(':', '.');
  return hashAndTruncate(`${svc.name.namespace}/${svc.name.name}/${protoLower(svc.protocol)}/${svc.name.port}__${ip}/${ep.port}`);
}
