// Label selectors as apimachinery pkg/labels implements them (v0.32.4): the string form
// (`a=b,c!=d,e in (x,y),f notin (z),g,!h`, `==`, `>`/`<`), metav1.LabelSelector, matching and
// printing. Parse errors are 400 BadRequest StatusErrors worded as kube-apiserver words them.
// Pure: no I/O.
import { badRequest, goQuote } from './status.ts';
import { isQualifiedName, isValidLabelValue } from './validation.ts';

/** selection.Operator values, as they appear in upstream messages. */
export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

const binaryOperators: readonly Operator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

/** One requirement of a selector; all requirements must hold (AND). */
export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  /** In the order given (parsed selectors: sorted and deduplicated, as upstream's sets.String). */
  readonly values: readonly string[];
}

/**
 * A label selector: requirements sorted by key, all of which must hold; none = everything.
 * `nothing` is the selector of a nil metav1.LabelSelector: it matches no object.
 */
export class Selector {
  readonly requirements: readonly Requirement[];
  readonly nothing: boolean;

  constructor(requirements: readonly Requirement[], nothing = false) {
    this.requirements = requirements;
    this.nothing = nothing;
  }

  /** Whether an object's labels (absent = empty) satisfy every requirement. */
  matches(labels: Readonly<Record<string, string>> | null | undefined): boolean {
    return matches(this, labels);
  }

  /** True when the selector does not restrict anything. */
  isEverything(): boolean {
    return isEverything(this);
  }

  /** The value required for `key` (`key=v`, `key==v`, `key in (v)`), if any. */
  requiresExactMatch(key: string): string | undefined {
    return requiresExactMatch(this, key);
  }

  /** The string form (`a=b,c in (x,y)`); `""` for everything and for nothing. */
  toString(): string {
    return selectorToString(this);
  }
}

/** metav1.LabelSelector as it appears in specs. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | (string & {});
  values?: string[];
}

export const everything: Selector = new Selector([]);
export const nothing: Selector = new Selector([], true);

// ---- errors as field.Error / utilerrors.Aggregate print them ----

function invalidMsg(path: string, value: string | readonly string[], detail: string): string {
  const v = typeof value === 'string' ? goQuote(value) : `[]string{${value.map(goQuote).join(', ')}}`;
  return `${path}: Invalid value: ${v}: ${detail}`;
}

function aggregate(msgs: string[]): string | undefined {
  const uniq = [...new Set(msgs)];
  if (uniq.length === 0) return undefined;
  if (uniq.length === 1) return uniq[0];
  return `[${uniq.join(', ')}]`;
}

/** A key that is not a qualified name, as validateLabelKey words it (`path` "<nil>" from the string parser). */
function keyError(key: string, path: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length === 0 ? undefined : invalidMsg(path, key, errs.join('; '));
}

function isGoInt64(s: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/**
 * Builds a requirement with upstream's NewRequirement checks; returns the error text (an
 * aggregate of field errors) instead of throwing.
 */
export function newRequirement(key: string, operator: Operator, values: readonly string[]): Requirement | string {
  const errs: string[] = [];
  const ke = keyError(key, 'key');
  if (ke !== undefined) errs.push(ke);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(invalidMsg('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalidMsg('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(invalidMsg('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(invalidMsg('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (!isGoInt64(v)) errs.push(invalidMsg(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length > 0) errs.push(invalidMsg(`values[${i}][${key}]`, v, ve.join('; ')));
  });
  const msg = aggregate(errs);
  return msg === undefined ? { key, operator, values: [...values] } : msg;
}

function byKey(reqs: Requirement[]): Requirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---- the string form: lexer ----

const Tok = {
  Error: 0,
  EOS: 1,
  ClosedPar: 2,
  Comma: 3,
  DoesNotExist: 4,
  DoubleEquals: 5,
  Equals: 6,
  GreaterThan: 7,
  Identifier: 8,
  In: 9,
  LessThan: 10,
  NotEquals: 11,
  NotIn: 12,
  OpenPar: 13,
} as const;
type Tok = (typeof Tok)[keyof typeof Tok];

const string2token: ReadonlyMap<string, Tok> = new Map<string, Tok>([
  [')', Tok.ClosedPar],
  [',', Tok.Comma],
  ['!', Tok.DoesNotExist],
  ['==', Tok.DoubleEquals],
  ['=', Tok.Equals],
  ['>', Tok.GreaterThan],
  ['in', Tok.In],
  ['<', Tok.LessThan],
  ['!=', Tok.NotEquals],
  ['notin', Tok.NotIn],
  ['(', Tok.OpenPar],
]);

interface Item {
  tok: Tok;
  lit: string;
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSpecialSymbol(ch: string): boolean {
  return ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';
}

function lex(s: string): Item[] {
  let pos = 0;
  const read = (): string => (pos < s.length ? s[pos++] ?? '' : '');
  const items: Item[] = [];
  for (;;) {
    let ch = read();
    while (ch !== '' && isWhitespace(ch)) ch = read();
    if (ch === '') {
      items.push({ tok: Tok.EOS, lit: '' });
      return items;
    }
    pos--;
    if (isSpecialSymbol(ch)) {
      // Longest run of special symbols that still forms an operator.
      let buffer = '';
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === '') break;
        if (!isSpecialSymbol(c)) {
          pos--;
          break;
        }
        buffer += c;
        const t = string2token.get(buffer);
        if (t !== undefined) last = { tok: t, lit: buffer };
        else if (last !== undefined) {
          pos--;
          break;
        }
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buffer}'` });
    } else {
      let buffer = '';
      for (;;) {
        const c = read();
        if (c === '') break;
        if (isSpecialSymbol(c) || isWhitespace(c)) {
          pos--;
          break;
        }
        buffer += c;
      }
      const t = string2token.get(buffer);
      items.push({ tok: t ?? Tok.Identifier, lit: buffer });
    }
  }
}

// ---- the string form: parser ----

class ParseError extends Error {}

class Parser {
  private readonly items: Item[];
  private position = 0;

  constructor(s: string) {
    this.items = lex(s);
  }

  /** In the Values context the keywords `in`/`notin` are plain identifiers. */
  private at(i: number, values: boolean): Item {
    const it = this.items[i] ?? { tok: Tok.EOS, lit: '' };
    if (values && (it.tok === Tok.In || it.tok === Tok.NotIn)) return { tok: Tok.Identifier, lit: it.lit };
    return it;
  }

  private lookahead(values: boolean): Item {
    return this.at(this.position, values);
  }

  private consume(values: boolean): Item {
    return this.at(this.position++, values);
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      if (tok === Tok.Identifier || tok === Tok.DoesNotExist) {
        let r: Requirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          throw new ParseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const t = this.consume(true);
        if (t.tok === Tok.EOS) return reqs;
        if (t.tok === Tok.Comma) {
          const t2 = this.lookahead(true);
          if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist) throw new ParseError(`found '${t2.lit}', expected: identifier after ','`);
        } else {
          throw new ParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === Tok.EOS) {
        return reqs;
      } else {
        throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    const [key, inferred] = this.parseKeyAndInferOperator();
    let values: string[];
    let operator: Operator;
    if (inferred === 'exists' || inferred === '!') {
      operator = inferred;
      values = [];
    } else {
      operator = this.parseOperator();
      values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    }
    // sets.String.List(): sorted, unique.
    const sorted = [...new Set(values)].sort();
    const r = newRequirement(key, operator, sorted);
    if (typeof r === 'string') throw new Error(r);
    return r;
  }

  private parseKeyAndInferOperator(): [string, Operator | ''] {
    let operator: Operator | '' = '';
    let t = this.consume(true);
    if (t.tok === Tok.DoesNotExist) {
      operator = '!';
      t = this.consume(true);
    }
    if (t.tok !== Tok.Identifier) throw new Error(`found '${t.lit}', expected: identifier`);
    // The string parser validates keys against a nil field path, which prints as "<nil>".
    const ke = keyError(t.lit, '<nil>');
    if (ke !== undefined) throw new Error(ke);
    const next = this.lookahead(true).tok;
    if ((next === Tok.EOS || next === Tok.Comma) && operator !== '!') operator = 'exists';
    return [t.lit, operator];
  }

  private parseOperator(): Operator {
    const { tok, lit } = this.consume(false);
    switch (tok) {
      case Tok.In: return 'in';
      case Tok.Equals: return '=';
      case Tok.DoubleEquals: return '==';
      case Tok.GreaterThan: return 'gt';
      case Tok.LessThan: return 'lt';
      case Tok.NotIn: return 'notin';
      case Tok.NotEquals: return '!=';
      default: throw new Error(`found '${lit}', expected: ${binaryOperators.join(', ')}`);
    }
  }

  private parseValues(): string[] {
    let t = this.consume(true);
    if (t.tok !== Tok.OpenPar) throw new Error(`found '${t.lit}' expected: '('`);
    t = this.lookahead(true);
    switch (t.tok) {
      case Tok.Identifier:
      case Tok.Comma: {
        const s = this.parseIdentifiersList();
        // Upstream reports the literal seen before the list, not the offending token.
        if (this.consume(true).tok !== Tok.ClosedPar) throw new Error(`found '${t.lit}', expected: ')'`);
        return s;
      }
      case Tok.ClosedPar:
        this.consume(true);
        return [''];
      default:
        throw new Error(`found '${t.lit}', expected: ',', ')' or identifier`);
    }
  }

  private parseIdentifiersList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const t = this.consume(true);
      if (t.tok === Tok.Identifier) {
        s.add(t.lit);
        const t2 = this.lookahead(true);
        if (t2.tok === Tok.Comma) continue;
        if (t2.tok === Tok.ClosedPar) return [...s];
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.tok === Tok.Comma) {
        if (s.size === 0) s.add('');
        const t2 = this.lookahead(true);
        if (t2.tok === Tok.ClosedPar) {
          s.add('');
          return [...s];
        }
        if (t2.tok === Tok.Comma) {
          this.consume(true);
          s.add('');
        }
      } else {
        throw new Error(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const la = this.lookahead(true).tok;
    if (la === Tok.EOS || la === Tok.Comma) return [''];
    const t = this.consume(true);
    if (t.tok === Tok.Identifier) return [t.lit];
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/**
 * Parses the string form of a label selector (the `labelSelector` query parameter).
 * Throws a 400 BadRequest StatusError with upstream's message on bad input.
 */
export function parseSelector(s: string): Selector {
  try {
    return new Selector(byKey(new Parser(s).parse()));
  } catch (e) {
    if (e instanceof ParseError) throw badRequest(e.message);
    throw e;
  }
}

/**
 * Converts a metav1.LabelSelector (as in Deployment/Service-like specs) to a Selector:
 * absent → nothing, empty → everything. Throws a 400 BadRequest StatusError when invalid.
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === null || ls === undefined) return nothing;
  const matchLabels = ls.matchLabels ?? {};
  const exprs = ls.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return everything;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(matchLabels)) {
    const r = newRequirement(k, '=', [v]);
    if (typeof r === 'string') throw badRequest(r);
    reqs.push(r);
  }
  for (const e of exprs) {
    let op: Operator;
    switch (e.operator) {
      case 'In': op = 'in'; break;
      case 'NotIn': op = 'notin'; break;
      case 'Exists': op = 'exists'; break;
      case 'DoesNotExist': op = '!'; break;
      default: throw badRequest(`${goQuote(e.operator)} is not a valid label selector operator`);
    }
    const r = newRequirement(e.key, op, [...(e.values ?? [])]);
    if (typeof r === 'string') throw badRequest(r);
    reqs.push(r);
  }
  return new Selector(byKey(reqs));
}

/** Like selectorFromLabelSelector, but returns undefined instead of throwing (printers show `<invalid>`). */
export function trySelectorFromLabelSelector(ls: LabelSelector | null | undefined): Selector | undefined {
  try {
    return selectorFromLabelSelector(ls);
  } catch {
    return undefined;
  }
}

/** The selector matching exactly these labels (a Service's `spec.selector`); empty → everything. Unvalidated. */
export function selectorFromSet(set: Record<string, string> | null | undefined): Selector {
  const reqs = Object.entries(set ?? {}).map(([key, v]): Requirement => ({ key, operator: '=', values: [v] }));
  return new Selector(byKey(reqs));
}

function parseGoInt(s: string): bigint | undefined {
  return isGoInt64(s) ? BigInt(s) : undefined;
}

/** Whether one requirement holds for these labels. */
export function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] ?? '' : '';
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const lv = parseGoInt(value);
      const rv = parseGoInt(r.values[0] ?? '');
      if (lv === undefined || rv === undefined) return false;
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

/** Whether the selector matches an object's labels (absent labels = empty map). */
export function matches(sel: Selector, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  if (sel.nothing) return false;
  const l = labels ?? {};
  return sel.requirements.every((r) => requirementMatches(r, l));
}

/** True when the selector does not restrict anything. */
export function isEverything(sel: Selector): boolean {
  return !sel.nothing && sel.requirements.length === 0;
}

/** The value a selector requires for `key` (`key=v`, `key==v` or `key in (v)`), if any. */
export function requiresExactMatch(sel: Selector, key: string): string | undefined {
  const r = sel.requirements.find((x) => x.key === key);
  if (r === undefined) return undefined;
  if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
  return undefined;
}

/** One requirement in upstream's String() form: `k=v`, `k in (a,b)`, `!k`, `k>3`. */
export function requirementToString(r: Requirement): string {
  let s = r.operator === '!' ? `!${r.key}` : r.key;
  switch (r.operator) {
    case '=': s += '='; break;
    case '==': s += '=='; break;
    case '!=': s += '!='; break;
    case 'in': s += ' in '; break;
    case 'notin': s += ' notin '; break;
    case 'gt': s += '>'; break;
    case 'lt': s += '<'; break;
    case 'exists':
    case '!':
      return s;
  }
  const vals = r.values.length === 1 ? r.values[0] ?? '' : [...r.values].sort().join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${s}(${vals})` : `${s}${vals}`;
}

/** The selector's string form, requirements joined by `,` (`""` for everything and for nothing). */
export function selectorToString(sel: Selector): string {
  return sel.requirements.map(requirementToString).join(',');
}

/** labels.FormatLabels: `k=v,k2=v2` sorted by key, or `<none>`. */
export function formatLabels(set: Readonly<Record<string, string>> | null | undefined): string {
  const s = Object.keys(set ?? {}).sort().map((k) => `${k}=${set?.[k] ?? ''}`).join(',');
  return s === '' ? '<none>' : s;
}

/** metav1.FormatLabelSelector: the selector string, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  const sel = trySelectorFromLabelSelector(ls);
  if (sel === undefined) return '<error>';
  const s = selectorToString(sel);
  return s === '' ? '<none>' : s;
}
