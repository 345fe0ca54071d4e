import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector, fieldSelectorToString, matchesFields, transformFieldSelector, escapeValue, fieldRequiresExactMatch } from './fields.ts';
import { StatusError } from './status.ts';

describe('parseFieldSelector', () => {
  const cases: { name: string; given: string; want: { str: string; keys: string[] } }[] = [
    { name: 'empty', given: '', want: { str: '', keys: [] } },
    { name: 'equals', given: 'metadata.name=web', want: { str: 'metadata.name=web', keys: ['metadata.name'] } },
    { name: 'double equals prints as single', given: 'metadata.name==web', want: { str: 'metadata.name=web', keys: ['metadata.name'] } },
    { name: 'not equals', given: 'status.phase!=Running', want: { str: 'status.phase!=Running', keys: ['status.phase'] } },
    { name: 'terms sorted as strings', given: 'spec.nodeName=n1,metadata.name=a', want: { str: 'metadata.name=a,spec.nodeName=n1', keys: ['metadata.name', 'spec.nodeName'] } },
    { name: 'escaped comma and equals in value', given: 'a=x\\,y\\=z', want: { str: 'a=x\\,y\\=z', keys: ['a'] } },
    { name: 'empty terms skipped', given: 'a=1,,b=2', want: { str: 'a=1,b=2', keys: ['a', 'b'] } },
    { name: 'empty value', given: 'spec.nodeName=', want: { str: 'spec.nodeName=', keys: ['spec.nodeName'] } },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const sel = parseFieldSelector(tc.given);
      assert.equal(fieldSelectorToString(sel), tc.want.str);
      assert.deepEqual(sel.keys(), tc.want.keys);
    });
  }
  const errors: { name: string; given: string; want: string }[] = [
    { name: 'no operator', given: 'abc', want: "invalid selector: 'abc'; can't understand 'abc'" },
    { name: 'bad escape', given: 'a=x\\y', want: 'invalid field selector: invalid escape sequence: \\y' },
    { name: 'unescaped equals prints the rune number', given: 'a=x=y', want: 'invalid field selector: unescaped character in value: 61' },
    { name: 'trailing backslash', given: 'a=x\\', want: 'invalid field selector: invalid escape sequence: \\' },
  ];
  for (const tc of errors) {
    test(`error: ${tc.name}`, () => {
      assert.throws(() => parseFieldSelector(tc.given), (e: unknown) => e instanceof StatusError && e.code === 400 && e.status.message === tc.want);
    });
  }
});

describe('matching', () => {
  const fields: Record<string, string> = { 'metadata.name': 'web-1', 'status.phase': 'Running', 'spec.nodeName': '' };
  const cases: { name: string; given: string; want: boolean }[] = [
    { name: 'equal hit', given: 'metadata.name=web-1', want: true },
    { name: 'equal miss', given: 'metadata.name=web-2', want: false },
    { name: 'not equal', given: 'status.phase!=Succeeded', want: true },
    { name: 'empty value matches unset field', given: 'spec.nodeName=', want: true },
    { name: 'missing field reads as empty', given: 'spec.schedulerName=', want: true },
    { name: 'and', given: 'metadata.name=web-1,status.phase=Pending', want: false },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const sel = parseFieldSelector(tc.given);
      assert.equal(sel.matches(fields), tc.want);
      assert.equal(matchesFields(sel, (f) => fields[f]), tc.want);
    });
  }
});

test('transform rewrites and drops', () => {
  const sel = parseFieldSelector('spec.host=n1,x=y');
  const out = transformFieldSelector(sel, (f, v) => (f === 'spec.host' ? ['spec.nodeName', v] : ['', '']));
  assert.equal(fieldSelectorToString(out), 'spec.nodeName=n1');
  assert.equal(fieldRequiresExactMatch(out, 'spec.nodeName'), 'n1');
});

test('escapeValue', () => {
  assert.equal(escapeValue('a\\b,c=d'), 'a\\\\b\\,c\\=d');
});
