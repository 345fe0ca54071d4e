// Field selectors as apimachinery pkg/fields implements them (v0.32.4): `a=b,c!=d`, `a==b`, with
// `\`, `,` and `=` escaped by a backslash in values. Which fields a kind supports is the registry's
// business (src/api/resources.ts); this file parses, transforms, prints and matches. Pure: no I/O.
import { badRequest } from './status.ts';

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldOperator;
  readonly value: string;
}

/** A field lookup: a map of an object's selectable fields, or a function yielding them. */
export type FieldValues = Readonly<Record<string, string>> | ((field: string) => string | undefined);

/** Requirements ANDed together, in upstream's order (terms sorted as strings). Empty = everything. */
export class FieldSelector {
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: readonly FieldRequirement[]) {
    this.requirements = requirements;
  }

  /** The field names the selector mentions, in order (with repeats). */
  keys(): string[] {
    return this.requirements.map((r) => r.field);
  }

  /** Whether an object's fields satisfy every requirement (absent fields read as ""). */
  matches(values: FieldValues): boolean {
    return matchesFields(this, values);
  }

  isEverything(): boolean {
    return this.requirements.length === 0;
  }

  requiresExactMatch(field: string): string | undefined {
    return fieldRequiresExactMatch(this, field);
  }

  toString(): string {
    return fieldSelectorToString(this);
  }
}

export const everythingFields: FieldSelector = new FieldSelector([]);

/** Escapes `\`, `,` and `=` in a value. */
export function escapeValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Undoes escapeValue; throws a 400 BadRequest with upstream's text for a bad escape or a bare `,`/`=`. */
export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    // Go prints the rune with %v, i.e. as its code point number.
    else if (c === ',' || c === '=') throw badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0) ?? 0}`);
    else out += c;
  }
  if (inSlash) throw badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const termOperators: readonly FieldOperator[] = ['!=', '==', '='];

function splitTerm(term: string): [string, FieldOperator, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    const rest = term.slice(i);
    for (const op of termOperators) {
      if (rest.startsWith(op)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/** Parses the `fieldSelector` query parameter. Throws a 400 BadRequest StatusError on bad syntax. */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (t === undefined) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [field, operator, rhs] = t;
    reqs.push({ field, operator, value: unescapeValue(rhs) });
  }
  return new FieldSelector(reqs);
}

/**
 * Rewrites every requirement through `fn` (upstream's Transform with a field label conversion);
 * `fn` throws to reject a label. A result with empty field and value drops the requirement.
 */
export function transformFieldSelector(sel: FieldSelector, fn: (field: string, value: string) => [string, string]): FieldSelector {
  const reqs: FieldRequirement[] = [];
  for (const r of sel.requirements) {
    const [field, value] = fn(r.field, r.value);
    if (field === '' && value === '') continue;
    reqs.push({ field, operator: r.operator, value });
  }
  return new FieldSelector(reqs);
}

/** Whether an object's fields satisfy the selector; `values` yields a field's value (absent = ""). */
export function matchesFields(sel: FieldSelector, values: FieldValues): boolean {
  const get = typeof values === 'function' ? values : (f: string) => (Object.hasOwn(values, f) ? values[f] : undefined);
  return sel.requirements.every((r) => {
    const v = get(r.field) ?? '';
    return r.operator === '!=' ? v !== r.value : v === r.value;
  });
}

/** The value required for `field` by an `=`/`==` term, if any. */
export function fieldRequiresExactMatch(sel: FieldSelector, field: string): string | undefined {
  return sel.requirements.find((r) => r.field === field && r.operator !== '!=')?.value;
}

export function isEverythingFields(sel: FieldSelector): boolean {
  return sel.requirements.length === 0;
}

/** Upstream's String(): `f=v` / `f!=v` (`==` prints as `=`), values escaped, joined by `,`. */
export function fieldSelectorToString(sel: FieldSelector): string {
  return sel.requirements.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeValue(r.value)}`).join(',');
}
