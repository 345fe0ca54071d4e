// A Store on node:sqlite laid out like kine: a log table with one row per revision. The row id is
// the revision; the newest row of a key is its current state; deletes are tombstone rows. Watches
// are served in-process (WatchHub): the store is the only writer, so it sees every commit.
// See README.md for the table layout and the durability argument.

import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { closedError, compactedError, conflictError, existsError, futureError, notFoundError } from './errors.ts';
import { compareKeys, prefixEnd } from './keys.ts';
import type { KeyValue, ListOptions, ListResult, Store, Watch, WatchCallbacks, WatchEvent } from './types.ts';
import { WatchHub } from './watchhub.ts';

/** Options for SqliteStore.open. */
export interface SqliteOptions {
  /**
   * 'normal' (default): WAL with synchronous=NORMAL; an acknowledged write survives the process
   * being killed, not necessarily power loss. 'full': fsync on every commit; survives power loss.
   */
  durability?: 'normal' | 'full';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id              INTEGER PRIMARY KEY AUTOINCREMENT, -- the revision of this write
  name            TEXT    NOT NULL,                  -- the key
  created         INTEGER NOT NULL,                  -- 1 if this write created the key
  deleted         INTEGER NOT NULL,                  -- 1 for a tombstone; value is then the deleted value
  create_revision INTEGER NOT NULL,
  prev_revision   INTEGER NOT NULL,                  -- id of the key's previous row, 0 if none
  value           TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
-- Two writes can never both follow the same version of a key.
CREATE UNIQUE INDEX IF NOT EXISTS kv_name_prev_revision ON kv (name, prev_revision);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', 1), ('compact_revision', 0);
`;

/** Upper bound for the empty prefix: SQLite orders every BLOB after every TEXT value. */
const NO_UPPER_BOUND = new Uint8Array([0xff]);
/** Rows per history read and per compaction transaction. */
const BATCH = 1000;

interface LatestRow {
  id: number;
  deleted: number;
  create_revision: number;
  value: string;
}

interface KvRow {
  id: number;
  name: string;
  create_revision: number;
  value: string;
}

interface HistoryRow extends KvRow {
  created: number;
  deleted: number;
  prev_revision: number;
  prev_value: string | null;
}

/** The SQLite-backed Store. One process owns the file: it is opened with an exclusive lock. */
export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #hub = new WatchHub();
  #rev: number;
  #compacted: number;
  #closed = false;
  /** Compactions run one at a time, each in batches. */
  #compaction: Promise<void> = Promise.resolve();

  readonly #begin: StatementSync;
  readonly #commit: StatementSync;
  readonly #rollback: StatementSync;
  readonly #latest: StatementSync;
  readonly #insert: StatementSync;
  readonly #list: StatementSync;
  readonly #count: StatementSync;
  readonly #history: StatementSync;
  readonly #compactBatchEnd: StatementSync;
  readonly #compactBatch: StatementSync;
  readonly #setMeta: StatementSync;

  /** Opens (creating if needed) the store in the SQLite file at `path`; resumes its revisions. */
  static open(path: string, opts: SqliteOptions = {}): SqliteStore {
    const db = new DatabaseSync(path);
    try {
      // Exclusive: the revision counter and watch fan-out live in this process, so no other
      // process may write. With it, WAL needs no shared-memory file either.
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      const mode = db.prepare('PRAGMA journal_mode = WAL').get()?.['journal_mode'];
      if (mode !== 'wal') throw new Error(`sqlite store ${path}: cannot use WAL (journal_mode ${String(mode)})`);
      // The default page cache (2 MiB) is small next to a few thousand ~1 KiB objects.
      db.exec('PRAGMA cache_size = -32768');
      db.exec(`PRAGMA synchronous = ${opts.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      // Taking the write lock now makes a second opener fail here, not at its first write.
      db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
      return new SqliteStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: DatabaseSync) {
    this.#db = db;
    const p = (sql: string): StatementSync => db.prepare(sql);
    this.#begin = p('BEGIN IMMEDIATE');
    this.#commit = p('COMMIT');
    this.#rollback = p('ROLLBACK');
    this.#latest = p('SELECT id, deleted, create_revision, value FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1');
    this.#insert = p('INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)');
    // A key's state at :rev is its newest row <= :rev, unless that row is a tombstone.
    this.#list = p(`
      SELECT r.id, r.name, r.create_revision, r.value FROM kv r
      WHERE r.name >= :lo AND r.name < :hi AND r.id <= :rev AND r.deleted = 0
        AND NOT EXISTS (SELECT 1 FROM kv s WHERE s.name = r.name AND s.id > r.id AND s.id <= :rev)
      ORDER BY r.name LIMIT :limit`);
    this.#count = p(`
      SELECT COUNT(*) AS n FROM kv r
      WHERE r.name >= :lo AND r.name < :hi AND r.deleted = 0
        AND NOT EXISTS (SELECT 1 FROM kv s WHERE s.name = r.name AND s.id > r.id)`);
    // The previous value of an update is its prev_revision row, which compaction always keeps
    // while the update is retained (it is then the key's newest row <= the compacted revision).
    this.#history = p(`
      SELECT r.id, r.name, r.created, r.deleted, r.create_revision, r.prev_revision, r.value, p.value AS prev_value
      FROM kv r LEFT JOIN kv p ON p.id = r.prev_revision AND r.created = 0 AND r.deleted = 0
      WHERE r.id > :after AND r.id <= :upto AND r.name >= :lo AND r.name < :hi
      ORDER BY r.id LIMIT :n`);
    this.#compactBatchEnd = p('SELECT MAX(id) AS id FROM (SELECT id FROM kv WHERE id > :lo AND id <= :rev ORDER BY id LIMIT :n)');
    // Superseded rows (a newer row of the key is <= :rev) and tombstones <= :rev.
    this.#compactBatch = p(`
      DELETE FROM kv WHERE id IN (
        SELECT r.id FROM kv r WHERE r.id > :lo AND r.id <= :hi
          AND (r.deleted = 1 OR EXISTS (SELECT 1 FROM kv s WHERE s.name = r.name AND s.id > r.id AND s.id <= :rev)))`);
    this.#setMeta = p('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');

    // AUTOINCREMENT keeps the highest id ever used in sqlite_sequence, even after compaction has
    // deleted that row (a tombstone), so it is the current revision.
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kv'`).get()?.['seq'];
    const compacted = db.prepare(`SELECT value FROM meta WHERE name = 'compact_revision'`).get()?.['value'];
    this.#compacted = Number(compacted ?? 0);
    this.#rev = Math.max(Number(seq ?? 0), this.#compacted);
  }

  async currentRevision(): Promise<number> {
    this.#check();
    return this.#rev;
  }

  async compactedRevision(): Promise<number> {
    this.#check();
    return this.#compacted;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.#check();
    const row = this.#latest.get(key) as LatestRow | undefined;
    if (row === undefined || row.deleted) return undefined;
    return { key, value: row.value, createRevision: row.create_revision, modRevision: row.id };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#check();
    const rev = this.#readRevision(opts.revision);
    const limit = opts.limit ?? 0;
    const lo = opts.startKey !== undefined && compareKeys(opts.startKey, prefix) > 0 ? opts.startKey : prefix;
    // One row beyond the limit tells whether there are more; -1 is SQLite for "no limit".
    const rows = this.#list.all({ lo, hi: upperBound(prefix), rev, limit: limit > 0 ? limit + 1 : -1 }) as unknown as KvRow[];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.pop();
    return { items: rows.map(toKeyValue), revision: rev, more };
  }

  async count(prefix: string): Promise<number> {
    this.#check();
    const row = this.#count.get({ lo: prefix, hi: upperBound(prefix) }) as { n: number };
    return row.n;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    return this.#write(key, (last, rev) => {
      if (last !== undefined && !last.deleted) throw existsError(key);
      const kv = { key, value, createRevision: rev, modRevision: rev };
      return { row: [1, 0, rev, last?.id ?? 0, value], kv, ev: { type: 'put', kv } };
    });
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    return this.#write(key, (last, rev) => {
      const prev = liveValue(key, last, expectedRevision);
      const kv = { key, value, createRevision: prev.createRevision, modRevision: rev };
      return { row: [0, 0, prev.createRevision, prev.modRevision, value], kv, ev: { type: 'put', kv, prev } };
    });
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return this.#write(key, (last, rev) => {
      const prev = liveValue(key, last, expectedRevision);
      const kv = { ...prev, modRevision: rev };
      return { row: [0, 1, prev.createRevision, prev.modRevision, prev.value], kv, ev: { type: 'delete', kv, prev } };
    });
  }

  async watch(prefix: string, afterRevision: number, cb: WatchCallbacks): Promise<Watch> {
    this.#check();
    if (afterRevision < this.#compacted) throw compactedError(afterRevision, this.#compacted);
    if (afterRevision > this.#rev) throw futureError(afterRevision, this.#rev);
    return this.#hub.watch(prefix, afterRevision, this.#rev, cb, this.#replay(prefix, afterRevision, this.#rev));
  }

  async compact(rev: number): Promise<void> {
    this.#check();
    if (rev > this.#rev) throw futureError(rev, this.#rev);
    if (rev <= this.#compacted) return;
    // Refuse older reads from now on, before any row goes; then delete (after earlier compactions).
    this.#compacted = rev;
    this.#setMeta.run('compact_revision', rev);
    const run = this.#compaction.then(() => this.#deleteHistory(rev));
    this.#compaction = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.close(closedError());
    this.#db.close();
  }

  #check(): void {
    if (this.#closed) throw closedError();
  }

  /**
   * Appends one row for `key` in its own transaction. `decide` sees the key's newest row and the
   * new revision, and returns the row's (created, deleted, create_revision, prev_revision, value),
   * the KeyValue to return and the event to publish, or throws a StoreError.
   */
  #write(
    key: string,
    decide: (last: LatestRow | undefined, rev: number) => { row: [number, number, number, number, string]; kv: KeyValue; ev: WatchEvent },
  ): KeyValue {
    this.#check();
    const rev = this.#rev + 1;
    let result: ReturnType<typeof decide>;
    this.#begin.run();
    try {
      result = decide(this.#latest.get(key) as LatestRow | undefined, rev);
      this.#insert.run(rev, key, ...result.row);
      this.#commit.run();
    } catch (err) {
      if (this.#db.isTransaction) this.#rollback.run();
      throw err;
    }
    this.#rev = rev;
    this.#hub.publish(result.ev);
    return result.kv;
  }

  #readRevision(revision: number | undefined): number {
    if (revision === undefined || revision === 0) return this.#rev;
    if (revision < this.#compacted) throw compactedError(revision, this.#compacted);
    if (revision > this.#rev) throw futureError(revision, this.#rev);
    return revision;
  }

  /** Events for `prefix` in (after, upto], read in batches; fails if compaction overtakes it. */
  *#replay(prefix: string, after: number, upto: number): Generator<WatchEvent> {
    const hi = upperBound(prefix);
    let cursor = after;
    for (;;) {
      // Callbacks run between batches and may compact past the cursor: rows may then be gone.
      if (this.#closed) throw closedError();
      if (this.#compacted > cursor) throw compactedError(cursor, this.#compacted);
      const rows = this.#history.all({ after: cursor, upto, lo: prefix, hi, n: BATCH }) as unknown as HistoryRow[];
      for (const row of rows) yield toEvent(row);
      if (rows.length < BATCH) return;
      cursor = (rows.at(-1) as HistoryRow).id;
    }
  }

  /** Deletes rows that compaction to `rev` made unreachable, BATCH rows per transaction. */
  async #deleteHistory(rev: number): Promise<void> {
    let lo = 0;
    while (!this.#closed) {
      const end = (this.#compactBatchEnd.get({ lo, rev, n: BATCH }) as { id: number | null }).id;
      if (end === null) return;
      this.#compactBatch.run({ lo, hi: end, rev });
      lo = end;
      // Let writes and reads in between; they never touch rows <= rev that this deletes.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/** Upper bound (exclusive) of the key range with `prefix`. */
function upperBound(prefix: string): string | Uint8Array {
  return prefixEnd(prefix) ?? NO_UPPER_BOUND;
}

/** The key's live value from its newest row, checked against `expectedRevision` when given. */
function liveValue(key: string, last: LatestRow | undefined, expectedRevision: number | undefined): KeyValue {
  if (last === undefined || last.deleted) throw notFoundError(key);
  const current = { key, value: last.value, createRevision: last.create_revision, modRevision: last.id };
  if (expectedRevision !== undefined && last.id !== expectedRevision) throw conflictError(current, expectedRevision);
  return current;
}

function toKeyValue(row: KvRow): KeyValue {
  return { key: row.name, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

function toEvent(row: HistoryRow): WatchEvent {
  const kv = toKeyValue(row);
  if (row.created) return { type: 'put', kv };
  // A tombstone holds the deleted value itself; an update's previous value comes from the join.
  const prevValue = row.deleted ? row.value : row.prev_value;
  if (prevValue === null) return { type: row.deleted ? 'delete' : 'put', kv }; // unreachable: see #history
  const prev = { key: row.name, value: prevValue, createRevision: row.create_revision, modRevision: row.prev_revision };
  return { type: row.deleted ? 'delete' : 'put', kv, prev };
}
