// Times 10,000 sequential creates (each awaited) per backend: `node src/apiserver/storage/bench.ts`.
// Values are ~1 KiB JSON, about the size of a Service object.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from './memory.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

const N = 10_000;
const value = JSON.stringify({ kind: 'Service', apiVersion: 'v1', metadata: { name: 'x', namespace: 'default' }, spec: { pad: 'x'.repeat(900) } });

async function run(name: string, store: Store): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < N; i++) await store.create(`/registry/services/specs/default/svc-${i}`, value);
  const created = performance.now() - start;
  const listStart = performance.now();
  const { items } = await store.list('/registry/services/specs/');
  const listed = performance.now() - listStart;
  console.log(`${name.padEnd(16)} ${N} creates: ${created.toFixed(0)} ms (${((created * 1000) / N).toFixed(0)} µs each); list of ${items.length}: ${listed.toFixed(0)} ms`);
  await store.close();
}

await run('memory', new MemoryStore());
for (const durability of ['normal', 'full'] as const) {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  try {
    await run(`sqlite ${durability}`, SqliteStore.open(join(dir, 'state.db'), { durability }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
