// The `fallthrough [ZONES...]` option several plugins share: which names pass down the chain
// instead of getting a name error. Pure.
import { isSubdomain } from '../dns/names.ts';

export interface Fallthrough {
  /** Zones whose names fall through; ['.'] for `fallthrough` without arguments; [] for none. */
  readonly zones: readonly string[];
}

export const noFallthrough: Fallthrough = { zones: [] };

/** True when `name` (lower case, FQDN) falls through. */
export function fallsThrough(f: Fallthrough, name: string): boolean {
  for (const z of f.zones) if (isSubdomain(name, z)) return true;
  return false;
}
