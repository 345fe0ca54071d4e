// iptables rules as data: parsing `iptables-restore` / `iptables-save` text into tables of chains
// of rules (argument lists), applying a restore with --noflush semantics, and printing it back.
// Shared by the in-memory fake and the packet tracer. Pure.

/** table → chain → rules, each rule the arguments after `-A <chain>`. */
export type Tables = Map<string, Map<string, string[][]>>;

const builtinChains: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};

/** Targets that are not chains. */
export const builtinTargets = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE', 'MARK', 'LOG', 'CONNMARK', 'NOTRACK', 'CT']);

/** Empty tables holding only the built-in chains. */
export function emptyTables(): Tables {
  const t: Tables = new Map();
  for (const [table, chs] of Object.entries(builtinChains)) t.set(table, new Map(chs.map((c) => [c, []])));
  return t;
}

export function isBuiltinChain(table: string, chain: string): boolean {
  return builtinChains[table]?.includes(chain) ?? false;
}

/** Splits a rule line into words, honouring double quotes as iptables-restore does. */
export function splitWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (const ch of line) {
    if (ch === '"') {
      inQuote = !inQuote;
      has = true;
    } else if (!inQuote && (ch === ' ' || ch === '\t')) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** Joins words back, quoting those with spaces. */
export function joinWords(words: readonly string[]): string {
  return words.map((w) => (w.includes(' ') || w === '' ? `"${w}"` : w)).join(' ');
}

/** An error in restore input, with the line it happened on. */
export class RestoreError extends Error {
  readonly code = 'ERR_IPTABLES_RESTORE';
  constructor(line: number, msg: string) {
    super(`line ${line}: ${msg}`);
  }
}

/**
 * Applies restore input to `tables` as `iptables-restore --noflush` does: a chain line creates or
 * flushes that chain, `-A` appends, `-X` deletes, `-F` flushes; each table commits atomically.
 * Jumps to chains that do not exist after the commit are errors.
 */
export function applyRestore(tables: Tables, text: string, opts: { checkJumps?: boolean } = {}): void {
  let table: string | undefined;
  let work: Map<string, string[][]> | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    const n = i + 1;
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1);
      const cur = tables.get(table);
      if (cur === undefined) throw new RestoreError(n, `unknown table ${table}`);
      work = new Map([...cur].map(([k, v]) => [k, [...v]]));
      continue;
    }
    if (table === undefined || work === undefined) throw new RestoreError(n, 'rule outside a table');
    if (line === 'COMMIT') {
      if (opts.checkJumps ?? true) checkJumps(table, work, n);
      tables.set(table, work);
      table = undefined;
      work = undefined;
      continue;
    }
    if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0] ?? '';
      work.set(chain, []);
      continue;
    }
    const words = splitWords(line);
    const [op, chain, ...rest] = words;
    if (chain === undefined) throw new RestoreError(n, `bad line ${line}`);
    const rules = work.get(chain);
    switch (op) {
      case '-A':
        if (rules === undefined) throw new RestoreError(n, `chain ${chain} does not exist`);
        rules.push(rest);
        break;
      case '-F':
        if (rules === undefined) throw new RestoreError(n, `chain ${chain} does not exist`);
        rules.length = 0;
        break;
      case '-X':
        if (isBuiltinChain(table, chain)) throw new RestoreError(n, `cannot delete built-in chain ${chain}`);
        work.delete(chain);
        break;
      default:
        throw new RestoreError(n, `unsupported operation ${op ?? ''}`);
    }
  }
  if (table !== undefined) throw new RestoreError(lines.length, `table ${table} has no COMMIT`);
}

/** The target of a rule (`-j X` or `-g X`), if any. */
export function ruleTarget(rule: readonly string[]): string | undefined {
  for (let i = 0; i < rule.length - 1; i++) if (rule[i] === '-j' || rule[i] === '-g') return rule[i + 1];
  return undefined;
}

function checkJumps(table: string, chains: Map<string, string[][]>, line: number): void {
  for (const [chain, rules] of chains) {
    for (const r of rules) {
      const t = ruleTarget(r);
      if (t !== undefined && !builtinTargets.has(t) && !chains.has(t)) throw new RestoreError(line, `${table}/${chain} jumps to missing chain ${t}`);
    }
  }
}

/** Prints one table as `iptables-save` does (chains sorted after built-ins). */
export function saveTable(tables: Tables, table: string): string {
  const chs = tables.get(table);
  if (chs === undefined) return '';
  const names = [...chs.keys()].sort((a, b) => Number(isBuiltinChain(table, b)) - Number(isBuiltinChain(table, a)) || (isBuiltinChain(table, a) ? 0 : a.localeCompare(b)));
  const out = [`*${table}`];
  for (const c of names) out.push(`:${c} ${isBuiltinChain(table, c) ? 'ACCEPT' : '-'} [0:0]`);
  for (const c of names) for (const r of chs.get(c) ?? []) out.push(`-A ${c} ${joinWords(r)}`);
  out.push('COMMIT');
  return out.join('\n') + '\n';
}

/** Parses `iptables-save` output (one or more tables) into Tables. */
export function parseSave(text: string): Tables {
  const t = emptyTables();
  for (const table of ['filter', 'nat', 'mangle']) t.set(table, new Map((builtinChains[table] ?? []).map((c) => [c, []])));
  applyRestore(t, text.split('\n').filter((l) => !/^:\S+ (ACCEPT|DROP) /.test(l)).join('\n'), { checkJumps: false });
  return t;
}
