// The narrow interface the nftables backend programs the kernel through, and its real
// implementation over `nft` (one `nft -f -` per transaction). The in-memory twin is fake.ts.
import type { Executor } from '../../exec.ts';
import { ExecError } from '../../exec.ts';
import { family, tableName } from './render.ts';

export interface NftClient {
  /** Runs one transaction (`nft -f -`); all or nothing. */
  run(transaction: string): Promise<void>;
  /** Names of the chains and (non-map) sets in our table, or undefined when the table is absent. */
  list(): Promise<{ chains: Set<string>; sets: Set<string> } | undefined>;
  /** `nft delete table ip kube-proxy` (no error when absent). */
  deleteTable(): Promise<void>;
  /** True when our table and its dispatch chain exist (a cheap check). */
  exists(): Promise<boolean>;
}

function namesIn(text: string, kind: 'chain' | 'set'): Set<string> {
  const out = new Set<string>();
  let inTable = false;
  for (const line of text.split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t !== null) inTable = t[1] === family && t[2] === tableName;
    const m = new RegExp(`^\\s+${kind} (\\S+) \\{`).exec(line);
    if (inTable && m?.[1] !== undefined) out.add(m[1]);
  }
  return out;
}

/** The real nft(8); `executor` may be pinned to a network namespace. */
export function realNft(ex: Executor): NftClient {
  return {
    async run(transaction) {
      if (transaction === '') return;
      const r = await ex.run('nft', ['-f', '-'], transaction);
      if (r.code !== 0) throw new ExecError('nft -f', r);
    },
    async list() {
      const chains = await ex.run('nft', ['list', 'chains', family]);
      if (chains.code !== 0) throw new ExecError('nft list chains', chains);
      if (!new RegExp(`^table ${family} ${tableName} \\{`, 'm').test(chains.stdout)) {
        const t = await ex.run('nft', ['list', 'table', family, tableName]);
        if (t.code !== 0) return undefined;
      }
      const sets = await ex.run('nft', ['-t', 'list', 'sets', family]);
      return { chains: namesIn(chains.stdout, 'chain'), sets: namesIn(sets.stdout, 'set') };
    },
    async deleteTable() {
      await ex.run('nft', ['delete', 'table', family, tableName]);
    },
    async exists() {
      return (await ex.run('nft', ['list', 'chain', family, tableName, 'services'])).code === 0;
    },
  };
}
