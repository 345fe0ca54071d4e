// StoreError constructors shared by the backends, so every backend words its errors alike.

import { StoreError, type KeyValue } from './types.ts';

/** StoreError 'compacted' for a read or watch at `rev`, below the compacted revision. */
export function compactedError(rev: number, compacted: number): StoreError {
  return new StoreError('compacted', `revision ${rev} has been compacted (compacted revision ${compacted})`, { compactRevision: compacted });
}

/** StoreError 'future-revision' for a read or watch at `rev`, beyond the current revision. */
export function futureError(rev: number, current: number): StoreError {
  return new StoreError('future-revision', `revision ${rev} is beyond the current revision ${current}`);
}

/** StoreError 'closed' for any call on a closed store. */
export function closedError(): StoreError {
  return new StoreError('closed', 'store is closed');
}

/** StoreError 'not-found' for an update or delete of a missing key. */
export function notFoundError(key: string): StoreError {
  return new StoreError('not-found', `key ${key} not found`);
}

/** StoreError 'exists' for a create of a live key. */
export function existsError(key: string): StoreError {
  return new StoreError('exists', `key ${key} already exists`);
}

/** StoreError 'conflict' for a write whose expected revision is stale; carries the current value. */
export function conflictError(current: KeyValue, expected: number): StoreError {
  return new StoreError('conflict', `key ${current.key} is at revision ${current.modRevision}, not ${expected}`, { current });
}
