import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from './sqlite.ts';
import { runStoreConformance } from './store.conformance.ts';
import { StoreError, type Store } from './types.ts';

/** A temp directory, and every store opened in it, for one test. */
function tempStore(): { store: SqliteStore; reopen: () => Promise<Store>; cleanup: () => Promise<void>; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-sqlite-'));
  const path = join(dir, 'state.db');
  const opened: Store[] = [];
  const open = (): SqliteStore => {
    const s = SqliteStore.open(path);
    opened.push(s);
    return s;
  };
  return {
    store: open(),
    path,
    reopen: async () => open(),
    cleanup: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

runStoreConformance('sqlite', async () => tempStore());

test('sqlite: a second open of the same file fails while the first is open', async () => {
  const t = tempStore();
  try {
    assert.throws(() => SqliteStore.open(t.path), /locked/);
  } finally {
    await t.cleanup();
  }
});

test('sqlite: a history replay overtaken by compaction ends with compacted, not with a gap', async () => {
  const t = tempStore();
  try {
    const s = t.store;
    for (let i = 0; i < 2500; i++) await s.create(`/big/${i}`, 'v');
    const seen: number[] = [];
    const errors: unknown[] = [];
    await s.watch('/big/', 0, {
      onEvent: (ev) => {
        // Compacting from inside the first callback: later history batches may be gone.
        if (seen.push(ev.kv.modRevision) === 1) void s.compact(2000);
      },
      onError: (err) => errors.push(err),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof StoreError && errors[0].code === 'compacted', String(errors[0]));
    assert.deepEqual(seen, Array.from({ length: seen.length }, (_, i) => i + 1), 'what arrived has no gaps');
    assert.ok(seen.length < 2000, `${seen.length} events: the replay should have stopped at a batch boundary`);
  } finally {
    await t.cleanup();
  }
});

test('sqlite: every acknowledged write survives kill -9 of the writer', async () => {
  const t = tempStore();
  await t.store.close(); // the child owns the file until it dies
  try {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'testdata', 'crash-writer.ts'), t.path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // The child prints "<i> <revision>" after each write resolves; kill it mid-stream.
    const acked = new Map<number, number>();
    let buffered = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [i, rev] = line.split(' ').map(Number);
        if (i !== undefined && rev !== undefined) acked.set(i, rev);
      }
      if (acked.size >= 2000) child.kill('SIGKILL');
    });
    assert.equal(await exited, 'SIGKILL', 'the writer should still be writing when killed');
    assert.ok(acked.size >= 2000);

    const s = SqliteStore.open(t.path);
    try {
      // Every write is still in the log (nothing was compacted): replay it and look each one up.
      const logged = new Map<number, string>();
      const current = await s.currentRevision();
      const w = await s.watch('/crash/', 0, { onEvent: (ev) => logged.set(ev.kv.modRevision, `${ev.kv.key} ${ev.kv.value}`) });
      for (let waited = 0; logged.size < current && waited < 5000; waited += 5) await new Promise((r) => setTimeout(r, 5));
      w.cancel();
      assert.equal(logged.size, current, 'one log entry per revision');
      for (const [i, rev] of acked) assert.equal(logged.get(rev), `${writerKey(i)} ${writerValue(i, rev)}`, `write ${i}`);
      // Writes continue from the recovered revision.
      const next = await s.create('/crash/after', 'x');
      assert.equal(next.modRevision, current + 1);
      assert.ok(current >= Math.max(...acked.values()));
    } finally {
      await s.close();
    }
  } finally {
    await t.cleanup();
  }
});

/** Key and value of the crash writer's write `i` (kept in step with testdata/crash-writer.ts). */
function writerKey(i: number): string {
  return `/crash/${i % 500}`;
}
function writerValue(i: number, rev: number): string {
  return `write ${i} at ${rev}`;
}
