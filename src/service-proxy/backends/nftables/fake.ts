// An in-memory nftables table for tests: transactions are parsed and applied atomically with the
// kernel's checks that matter here (rules and verdicts must name existing chains and sets; a chain
// or set still referenced cannot be deleted; deleting a missing element fails), and the result
// is what the tracer walks. Product code, as STYLE asks of fakes.
import type { NftClient } from './client.ts';
import { family, tableName } from './render.ts';

export interface NftChain {
  hook: string;
  rules: string[];
}

export interface NftSet {
  kind: 'set' | 'map';
  decl: string;
  /** key → full element text (`key [comment ..] [: verdict]`). */
  elements: Map<string, string>;
}

export interface NftModel {
  exists: boolean;
  chains: Map<string, NftChain>;
  sets: Map<string, NftSet>;
}

function emptyModel(): NftModel {
  return { exists: false, chains: new Map(), sets: new Map() };
}

function cloneModel(m: NftModel): NftModel {
  return {
    exists: m.exists,
    chains: new Map([...m.chains].map(([k, v]) => [k, { hook: v.hook, rules: [...v.rules] }])),
    sets: new Map([...m.sets].map(([k, v]) => [k, { kind: v.kind, decl: v.decl, elements: new Map(v.elements) }])),
  };
}

/** Chain names a rule or element verdict jumps to. */
export function chainRefs(text: string): string[] {
  return [...text.matchAll(/\b(?:goto|jump) (\S+)/g)].map((m) => m[1] ?? '');
}

/** Set names a rule refers to (`@name`). */
export function setRefs(text: string): string[] {
  return [...text.matchAll(/@([^\s,}]+)/g)].map((m) => m[1] ?? '');
}

export class NftError extends Error {
  readonly code = 'ERR_NFT';
}

/** Applies one transaction to a copy of `m` and returns it (throws NftError, leaving `m` alone). */
export function applyTransaction(m: NftModel, text: string): NftModel {
  const w = cloneModel(m);
  const prefix = `${family} ${tableName} `;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (msg: string): never => {
      throw new NftError(`line ${i + 1}: ${msg}: ${line.slice(0, 200)}`);
    };
    const mm = /^(add|flush|delete) (table|chain|set|map|rule|element) (.*)$/.exec(line);
    if (mm === null) fail('unsupported command');
    const [, op, what, rest0] = mm as unknown as [string, string, string, string];
    if (!rest0.startsWith(prefix.trimEnd())) fail('not our table');
    const rest = rest0.slice(prefix.length);
    if (what === 'table') {
      if (op === 'add') w.exists = true;
      else if (op === 'delete') {
        if (!w.exists) fail('no such table');
        Object.assign(w, emptyModel());
      } else fail('unsupported');
      continue;
    }
    if (!w.exists) fail('no such table');
    const sp = rest.indexOf(' ');
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const tail = sp < 0 ? '' : rest.slice(sp + 1);
    switch (`${op} ${what}`) {
      case 'add chain':
        if (!w.chains.has(name)) w.chains.set(name, { hook: tail, rules: [] });
        break;
      case 'flush chain': {
        const c = w.chains.get(name) ?? fail('no such chain');
        c.rules = [];
        break;
      }
      case 'delete chain': {
        const c = w.chains.get(name) ?? fail('no such chain');
        if (c.rules.length > 0) fail('chain not empty');
        for (const [other, oc] of w.chains) if (oc.rules.some((r) => chainRefs(r).includes(name))) fail(`chain in use by ${other}`);
        for (const [sn, s] of w.sets) for (const e of s.elements.values()) if (chainRefs(e).includes(name)) fail(`chain in use by ${sn}`);
        w.chains.delete(name);
        break;
      }
      case 'add set': case 'add map':
        if (!w.sets.has(name)) w.sets.set(name, { kind: what as 'set' | 'map', decl: tail, elements: new Map() });
        break;
      case 'flush set': case 'flush map': {
        const s = w.sets.get(name) ?? fail('no such set');
        s.elements.clear();
        break;
      }
      case 'delete set': case 'delete map': {
        if (!w.sets.has(name)) fail('no such set');
        for (const [cn, c] of w.chains) if (c.rules.some((r) => setRefs(r).includes(name))) fail(`set in use by ${cn}`);
        w.sets.delete(name);
        break;
      }
      case 'add rule': {
        const c = w.chains.get(name) ?? fail('no such chain');
        for (const ref of chainRefs(tail)) if (!w.chains.has(ref)) fail(`no such chain ${ref}`);
        for (const ref of setRefs(tail)) if (!w.sets.has(ref)) fail(`no such set ${ref}`);
        c.rules.push(tail);
        break;
      }
      case 'add element': case 'delete element': {
        const s = w.sets.get(name) ?? fail('no such set');
        const body = /^\{ (.*) \}$/.exec(tail)?.[1] ?? fail('bad element');
        const key = body.split(/ comment | : /)[0] ?? '';
        if (op === 'delete') {
          if (!s.elements.delete(key)) fail('no such element');
        } else {
          for (const ref of chainRefs(body)) if (!w.chains.has(ref)) fail(`no such chain ${ref}`);
          const prev = s.elements.get(key);
          if (prev !== undefined && prev !== body) fail('element exists');
          s.elements.set(key, body);
        }
        break;
      }
      default:
        fail('unsupported');
    }
  }
  return w;
}

/** In-memory NftClient. */
export class FakeNft implements NftClient {
  model: NftModel = emptyModel();
  readonly transactions: string[] = [];
  failNext = 0;

  async run(transaction: string): Promise<void> {
    if (transaction === '') return;
    this.transactions.push(transaction);
    if (this.failNext > 0) {
      this.failNext--;
      throw new NftError('fake nft failure');
    }
    this.model = applyTransaction(this.model, transaction);
  }

  async list(): Promise<{ chains: Set<string>; sets: Set<string> } | undefined> {
    if (!this.model.exists) return undefined;
    return { chains: new Set(this.model.chains.keys()), sets: new Set([...this.model.sets].filter(([, s]) => s.kind === 'set').map(([k]) => k)) };
  }

  async deleteTable(): Promise<void> {
    this.model = emptyModel();
  }

  async exists(): Promise<boolean> {
    return this.model.exists && this.model.chains.has('services');
  }

  /** The table as `nft list`-like text (sorted), for golden comparisons of applied state. */
  dump(): string {
    const out: string[] = [];
    for (const [n, s] of [...this.model.sets].sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`${s.kind} ${n} ${s.decl}`);
      for (const e of [...s.elements.values()].sort()) out.push(`  element ${e}`);
    }
    for (const [n, c] of [...this.model.chains].sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`chain ${n}${c.hook === '' ? '' : ` ${c.hook}`}`);
      for (const r of c.rules) out.push(`  ${r}`);
    }
    return out.join('\n') + '\n';
  }
}
