import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryStore, openStore, SqliteStore } from './index.ts';

test('openStore opens the named backend; sqlite lives in <dataDir>/state.db', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'switchboard-open-')), 'nested');
  try {
    const mem = openStore('memory', dir);
    assert.ok(mem instanceof MemoryStore);
    await mem.close();
    const sql = openStore('sqlite', dir);
    assert.ok(sql instanceof SqliteStore);
    await sql.create('/k', 'v');
    await sql.close();
    assert.ok(existsSync(join(dir, 'state.db')));
    const again = openStore('sqlite', dir);
    assert.equal((await again.get('/k'))?.value, 'v');
    await again.close();
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});
