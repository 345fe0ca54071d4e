// The narrow interface the iptables backend programs the kernel through, and its real
// implementation over `iptables-restore`, `iptables-save` and `iptables` (nft backend of iptables
// 1.8, or legacy). The in-memory twin is fake.ts.
import type { Executor } from '../../exec.ts';
import { ExecError, mustRun } from '../../exec.ts';
import { isBuiltinChain, parseSave } from './ruleset.ts';

export type IptablesTable = 'filter' | 'nat' | 'mangle';

export interface IptablesClient {
  /** `iptables-restore --noflush --counters` with `input` on stdin: one transaction per table. */
  restore(input: string): Promise<void>;
  /** `iptables-save -t <table>`. */
  save(table: IptablesTable): Promise<string>;
  /** Creates `chain` if missing. */
  ensureChain(table: IptablesTable, chain: string): Promise<void>;
  /** Inserts the rule at the top of `chain` unless an identical rule exists (`-C`, then `-I`). */
  ensureRule(table: IptablesTable, chain: string, args: readonly string[]): Promise<void>;
  /** Deletes the rule if present. */
  deleteRule(table: IptablesTable, chain: string, args: readonly string[]): Promise<void>;
  /** True when the chain exists. */
  chainExists(table: IptablesTable, chain: string): Promise<boolean>;
  /** Flushes and deletes a chain if it exists. */
  deleteChain(table: IptablesTable, chain: string): Promise<void>;
  /** False when the table does not exist yet (iptables-nft makes tables on first use; legacy tables always exist). */
  tableExists(table: IptablesTable): Promise<boolean>;
  /** Removes the table when it holds nothing but empty built-in chains (iptables-nft; a no-op on legacy). */
  deleteTableIfEmpty(table: IptablesTable): Promise<void>;
}

/** The real client; `executor` may be pinned to a network namespace. */
export function realIptables(ex: Executor): IptablesClient {
  const ipt = (args: readonly string[]) => ex.run('iptables', ['-w', '5', ...args]);
  let nftBased: Promise<boolean> | undefined;
  const isNft = (): Promise<boolean> => (nftBased ??= ex.run('iptables', ['-V']).then((r) => /nf_tables/.test(r.stdout), () => false));
  return {
    async restore(input) {
      const r = await ex.run('iptables-restore', ['-w', '5', '--noflush', '--counters'], input);
      if (r.code !== 0) throw new ExecError('iptables-restore', r);
    },
    save(table) {
      return mustRun(ex, 'iptables-save', ['-t', table]);
    },
    async ensureChain(table, chain) {
      const r = await ipt(['-t', table, '-N', chain]);
      if (r.code !== 0 && !/exists/i.test(r.stderr)) throw new ExecError(`iptables -t ${table} -N ${chain}`, r);
    },
    async ensureRule(table, chain, args) {
      const c = await ipt(['-t', table, '-C', chain, ...args]);
      if (c.code === 0) return;
      const r = await ipt(['-t', table, '-I', chain, ...args]);
      if (r.code !== 0) throw new ExecError(`iptables -t ${table} -I ${chain}`, r);
    },
    async deleteRule(table, chain, args) {
      for (let i = 0; i < 10; i++) {
        const r = await ipt(['-t', table, '-D', chain, ...args]);
        if (r.code !== 0) return;
      }
    },
    async chainExists(table, chain) {
      const r = await ipt(['-t', table, '-S', chain, '1']);
      return r.code === 0;
    },
    async deleteChain(table, chain) {
      await ipt(['-t', table, '-F', chain]);
      await ipt(['-t', table, '-X', chain]);
    },
    async tableExists(table) {
      if (!(await isNft())) return true;
      return (await ex.run('nft', ['list', 'table', 'ip', table])).code === 0;
    },
    async deleteTableIfEmpty(table) {
      if (!(await isNft())) return;
      const t = parseSave(await mustRun(ex, 'iptables-save', ['-t', table])).get(table);
      const empty = t === undefined || [...t].every(([chain, rules]) => isBuiltinChain(table, chain) && rules.length === 0);
      if (empty) await ex.run('nft', ['delete', 'table', 'ip', table]);
    },
  };
}
