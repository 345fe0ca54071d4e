// The iptables data plane: renders with render.ts and applies with one `iptables-restore
// --noflush` per sync (large syncs in a few pieces, per-service chains first; see maxRestoreLines). Full syncs also (re)ensure the jump rules from the built-in chains and the
// canary chains, and read back which of our per-service chains exist so leftovers of an earlier
// run are deleted; partial syncs write only changed services. A failed restore makes the next
// sync full.
import type { Backend, SyncReport, SyncRequest } from '../../backend.ts';
import { iptablesServiceChainPrefixes } from '../../hash.ts';
import type { IptablesClient, IptablesTable } from './client.ts';
import { chains, jumpRules, renderIptables, topLevelChains } from './render.ts';
import { parseSave } from './ruleset.ts';

const canaryTables: readonly IptablesTable[] = ['mangle', 'nat', 'filter'];

export interface IptablesBackendOptions {
  readonly client: IptablesClient;
  /** Skip the KUBE-FORWARD ctstate INVALID drop (nf_conntrack_tcp_be_liberal=1). */
  readonly conntrackTCPBeLiberal?: boolean;
  /**
   * Per-service lines above which a sync is applied in several restores (default 20000).
   * iptables-nft 1.8.9's `--noflush` restore is superlinear in transaction size (measured here:
   * 43k lines 5.6 s, 86k lines 75 s; the same 86k lines in 21k-line pieces 6.2 s).
   */
  readonly maxRestoreLines?: number;
}

export class IptablesBackend implements Backend {
  readonly mode = 'iptables' as const;
  readonly #client: IptablesClient;
  /** Tables that did not exist before our first sync since the last cleanup (undefined: not looked yet). */
  #createdTables: Set<IptablesTable> | undefined;
  readonly #beLiberal: boolean;
  readonly #maxLines: number;
  /** Per-service chains we know exist; undefined until a full sync has read them. */
  #existing: Set<string> | undefined;
  #needFull = true;
  /** Size of the last restore input, for tests and the bench. */
  lastRestoreBytes = 0;

  constructor(o: IptablesBackendOptions) {
    this.#client = o.client;
    this.#beLiberal = o.conntrackTCPBeLiberal ?? false;
    this.#maxLines = o.maxRestoreLines ?? 20_000;
  }

  async sync(req: SyncRequest): Promise<SyncReport> {
    const full = req.changedServices === undefined || this.#needFull || this.#existing === undefined;
    if (full) {
      await this.#ensureHooks();
      this.#existing = await this.#readOurChains();
    }
    const out = renderIptables({
      state: req.state,
      cfg: req.cfg,
      ...(full ? {} : { changedServices: req.changedServices }),
      existingChains: this.#existing ?? new Set(),
      conntrackTCPBeLiberal: this.#beLiberal,
    });
    this.lastRestoreBytes = out.text.length;
    try {
      for (const tx of out.transactions(this.#maxLines)) await this.#client.restore(tx);
    } catch (err) {
      this.#needFull = true;
      this.#existing = undefined;
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { partial: !full });
    }
    this.#existing = out.activeChains;
    this.#needFull = false;
    return { full, counts: { filter: out.ruleCounts.filter, nat: out.ruleCounts.nat }, noLocalEndpoints: out.noLocalEndpoints };
  }

  async healthy(): Promise<boolean> {
    return this.#client.chainExists('mangle', chains.canary);
  }

  async cleanup(): Promise<void> {
    for (const j of jumpRules) await this.#client.deleteRule(j.table, j.from, [...j.args, '-j', j.to]);
    for (const table of ['nat', 'filter'] as const) {
      const t = parseSave(await this.#client.save(table)).get(table);
      if (t === undefined) continue;
      const top: readonly string[] = topLevelChains[table];
      const ours = [...t.keys()].filter((c) => top.includes(c) || c === chains.canary || iptablesServiceChainPrefixes.some((p) => c.startsWith(p)));
      // Flush first so no chain still jumps to another when it is deleted.
      const input = [`*${table}`, ...ours.map((c) => `:${c} - [0:0]`), ...ours.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
      if (ours.length > 0) await this.#client.restore(input);
    }
    await this.#client.deleteChain('mangle', chains.canary);
    for (const table of ['nat', 'filter'] as const) await this.#client.deleteChain(table, chains.canary);
    // Tables our first sync brought into being (iptables-nft makes them on first use) go too, when
    // nothing else has put anything in them since.
    for (const table of this.#createdTables ?? []) await this.#client.deleteTableIfEmpty(table);
    this.#createdTables = undefined;
    this.#existing = undefined;
    this.#needFull = true;
  }

  async close(): Promise<void> {
    // Nothing held open: rules stay until cleanup().
  }

  async #ensureHooks(): Promise<void> {
    if (this.#createdTables === undefined) {
      const created = new Set<IptablesTable>();
      for (const table of canaryTables) if (!(await this.#client.tableExists(table))) created.add(table);
      this.#createdTables = created;
    }
    for (const table of canaryTables) await this.#client.ensureChain(table, chains.canary);
    for (const ch of topLevelChains.filter) await this.#client.ensureChain('filter', ch);
    for (const ch of topLevelChains.nat) await this.#client.ensureChain('nat', ch);
    for (const j of jumpRules) await this.#client.ensureRule(j.table, j.from, [...j.args, '-j', j.to]);
  }

  async #readOurChains(): Promise<Set<string>> {
    const nat = parseSave(await this.#client.save('nat')).get('nat');
    const out = new Set<string>();
    for (const c of nat?.keys() ?? []) if (iptablesServiceChainPrefixes.some((p) => c.startsWith(p))) out.add(c);
    return out;
  }
}
