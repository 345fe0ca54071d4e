// The nftables data plane: keeps an in-memory picture of what it applied (chains, affinity sets,
// map elements) and sends one `nft -f` transaction per sync (large ones cut in pieces, see
// renderTransactions) with only the difference — changed services' chains and changed elements. The first sync (and any after a failure) is full: it
// reads which chains and sets exist (an earlier run's leftovers are deleted) and rewrites the
// table in one atomic transaction, leaving affinity sets' contents alone.
import type { Backend, SyncReport, SyncRequest } from '../../backend.ts';
import type { NftClient } from './client.ts';
import { appliedFrom, desiredState, elementCounts, renderTransactions, type NftApplied } from './render.ts';

export class NftablesBackend implements Backend {
  readonly mode = 'nftables' as const;
  readonly #client: NftClient;
  #applied: NftApplied | undefined;
  /** Size of the last transaction, for tests and the bench. */
  lastTransactionBytes = 0;

  readonly #maxLines: number;

  /** `maxTransactionLines`: larger syncs are cut into several transactions (default 20000; see renderTransactions). */
  constructor(o: { client: NftClient; maxTransactionLines?: number }) {
    this.#client = o.client;
    this.#maxLines = o.maxTransactionLines ?? 20_000;
  }

  async sync(req: SyncRequest): Promise<SyncReport> {
    const full = req.changedServices === undefined || this.#applied === undefined;
    const desired = desiredState(req.state, req.cfg, full ? undefined : req.changedServices);
    let existing: { chains: Set<string>; sets: Set<string> } | undefined;
    if (full) {
      const listed = await this.#client.list();
      if (listed !== undefined) {
        // Per-service chains have a "/" in their name; base chains and maps are rewritten anyway.
        existing = {
          chains: new Set([...listed.chains].filter((c) => c.includes('/'))),
          sets: new Set([...listed.sets].filter((s) => s.startsWith('affinity-'))),
        };
      }
    }
    const txs = renderTransactions({ desired, cfg: req.cfg, applied: full ? undefined : this.#applied, ...(existing === undefined ? {} : { existing }) }, this.#maxLines);
    this.lastTransactionBytes = txs.reduce((n, t) => n + t.length, 0);
    try {
      for (const tx of txs) await this.#client.run(tx);
    } catch (err) {
      this.#applied = undefined;
      throw err;
    }
    this.#applied = appliedFrom(desired);
    return { full, counts: elementCounts(desired), noLocalEndpoints: desired.noLocalEndpoints };
  }

  async healthy(): Promise<boolean> {
    return this.#client.exists();
  }

  async cleanup(): Promise<void> {
    await this.#client.deleteTable();
    this.#applied = undefined;
  }

  async close(): Promise<void> {
    // Nothing held open.
  }
}
