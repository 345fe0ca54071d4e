// The storage layer: the revisioned Store contract and its local backends.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore } from './memory.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export * from './types.ts';
export { MemoryStore } from './memory.ts';
export { SqliteStore, type SqliteOptions } from './sqlite.ts';

/** Opens a store of the given kind; 'sqlite' keeps its data in `<dataDir>/state.db` (created if needed). */
export function openStore(kind: 'memory' | 'sqlite', dataDir: string): Store {
  if (kind === 'memory') return new MemoryStore();
  mkdirSync(dataDir, { recursive: true });
  return SqliteStore.open(join(dataDir, 'state.db'));
}
