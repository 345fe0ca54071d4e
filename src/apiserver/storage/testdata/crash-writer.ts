// Child process for the crash test in sqlite.test.ts: writes to the store at argv[2] until killed,
// printing "<i> <revision>" once write i is acknowledged. stdout to a pipe is synchronous on Linux,
// so a printed line means the write had returned before the process could be killed.
// Write i goes to key /crash/<i % 500>: creates first, then updates, so both paths are exercised.

import { writeSync } from 'node:fs';
import { SqliteStore } from '../sqlite.ts';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-writer.ts <db path>');
const store = SqliteStore.open(path);
for (let i = 0; ; i++) {
  const key = `/crash/${i % 500}`;
  const rev = (await store.currentRevision()) + 1;
  const value = `write ${i} at ${rev}`;
  const current = await store.get(key);
  const kv = current === undefined ? await store.create(key, value) : await store.update(key, value, current.modRevision);
  if (kv.modRevision !== rev) throw new Error(`write ${i} got revision ${kv.modRevision}, expected ${rev}`);
  writeSync(1, `${i} ${kv.modRevision}\n`);
}
