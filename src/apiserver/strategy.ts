// Per-resource hooks the generic registry calls around writes, as kube-apiserver's RESTCreateStrategy /
// RESTUpdateStrategy do: defaulting, clearing fields the caller may not set, validation, and
// allocations that must be committed or reverted with the write (Service IPs and NodePorts).
import type { FieldError } from '../machinery/status.ts';
import type { KubeObject } from '../api/types.ts';

/** An allocation made before a write; committed when the write lands, reverted when it fails. */
export interface Transaction {
  commit(): void;
  revert(): void;
}

export const noopTransaction: Transaction = { commit() {}, revert() {} };

export interface Strategy {
  /** Clears or sets fields on create (e.g. status reset). Mutates `obj`. */
  prepareForCreate?(obj: KubeObject): void;
  /** Same for update; `old` is the stored object. Mutates `obj`. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Reserves resources before validation, as upstream's BeginCreate does (allocation errors surface first). */
  beginCreate?(obj: KubeObject, dryRun: boolean): Promise<Transaction>;
  beginUpdate?(obj: KubeObject, old: KubeObject, dryRun: boolean): Promise<Transaction>;
  validate?(obj: KubeObject): FieldError[];
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Called after an object is really removed from storage (release allocations). */
  afterDelete?(obj: KubeObject): void;
  /** Graceful deletion: the grace period to apply, or 0 for immediate removal. */
  gracePeriod?(obj: KubeObject, requested: number | undefined): number;
}
