// An in-memory iptables for tests and the bench: restore input is parsed and applied with the
// kernel's --noflush semantics (and rejected when a rule jumps to a missing chain), so partial
// syncs are checked against the full picture. Product code, as STYLE asks of fakes.
import type { IptablesClient, IptablesTable } from './client.ts';
import { applyRestore, emptyTables, isBuiltinChain, saveTable, type Tables } from './ruleset.ts';

export class FakeIptables implements IptablesClient {
  readonly tables: Tables = emptyTables();
  /** Every restore input received, oldest first. */
  readonly restores: string[] = [];
  /** Fail the next N restores (to test retries and fall-back to full syncs). */
  failNextRestores = 0;
  /** Tables that do not exist yet, as with iptables-nft before first use (default: none, as legacy). */
  readonly missing = new Set<IptablesTable>();

  async restore(input: string): Promise<void> {
    this.restores.push(input);
    if (this.failNextRestores > 0) {
      this.failNextRestores--;
      throw new Error('fake iptables-restore failure');
    }
    applyRestore(this.tables, input);
  }

  async save(table: IptablesTable): Promise<string> {
    return saveTable(this.tables, table);
  }

  async ensureChain(table: IptablesTable, chain: string): Promise<void> {
    this.missing.delete(table);
    const t = this.tables.get(table);
    if (t !== undefined && !t.has(chain)) t.set(chain, []);
  }

  async ensureRule(table: IptablesTable, chain: string, args: readonly string[]): Promise<void> {
    const rules = this.tables.get(table)?.get(chain);
    if (rules === undefined) throw new Error(`no chain ${table}/${chain}`);
    if (rules.some((r) => r.join('\u0000') === args.join('\u0000'))) return;
    rules.unshift([...args]);
  }

  async deleteRule(table: IptablesTable, chain: string, args: readonly string[]): Promise<void> {
    const rules = this.tables.get(table)?.get(chain);
    if (rules === undefined) return;
    const i = rules.findIndex((r) => r.join('\u0000') === args.join('\u0000'));
    if (i >= 0) rules.splice(i, 1);
  }

  async chainExists(table: IptablesTable, chain: string): Promise<boolean> {
    return this.tables.get(table)?.has(chain) ?? false;
  }

  async deleteChain(table: IptablesTable, chain: string): Promise<void> {
    if (!isBuiltinChain(table, chain)) this.tables.get(table)?.delete(chain);
  }

  async tableExists(table: IptablesTable): Promise<boolean> {
    return !this.missing.has(table);
  }

  async deleteTableIfEmpty(table: IptablesTable): Promise<void> {
    const t = this.tables.get(table);
    if (t !== undefined && [...t].every(([chain, rules]) => isBuiltinChain(table, chain) && rules.length === 0)) this.missing.add(table);
  }

  /** Simulates another tool flushing our chains (`iptables -t nat -F; -X`). */
  wipe(): void {
    const fresh = emptyTables();
    for (const [k, v] of fresh) this.tables.set(k, v);
  }
}
