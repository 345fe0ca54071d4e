import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseSelector, selectorFromLabelSelector, selectorFromSet, selectorToString, matches, formatLabels,
  formatLabelSelector, requiresExactMatch, isEverything, type LabelSelector,
} from './labels.ts';
import { StatusError } from './status.ts';

const labelValueRegexMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const nameRegexMsg =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe('parseSelector: string form', () => {
  const cases: { name: string; given: string; want: string }[] = [
    { name: 'empty selects everything', given: '', want: '' },
    { name: 'blank selects everything', given: '   ', want: '' },
    { name: 'equals', given: 'a=b', want: 'a=b' },
    { name: 'double equals kept', given: 'a==b', want: 'a==b' },
    { name: 'not equals', given: 'a!=b', want: 'a!=b' },
    { name: 'in sorts values', given: 'e in (y,x)', want: 'e in (x,y)' },
    { name: 'notin', given: 'f notin (z)', want: 'f notin (z)' },
    { name: 'exists', given: 'g', want: 'g' },
    { name: 'does not exist', given: '!h', want: '!h' },
    { name: 'requirements sorted by key', given: 'x=1,a=2', want: 'a=2,x=1' },
    { name: 'empty value', given: 'a=', want: 'a=' },
    { name: 'whitespace around tokens', given: '  a = b , c  ', want: 'a=b,c' },
    { name: 'all forms together', given: 'a=b,c!=d,e in (x,y),f notin (z),g,!h', want: 'a=b,c!=d,e in (x,y),f notin (z),g,!h' },
    { name: 'in with leading empty value', given: 'a in (,b)', want: 'a in (,b)' },
    { name: 'in with empty parens is the empty value', given: 'a in ()', want: 'a in ()' },
    { name: 'duplicate values collapse', given: 'a in (x,x,y)', want: 'a in (x,y)' },
    { name: 'keyword as value', given: 'a in (in,notin)', want: 'a in (in,notin)' },
    { name: 'greater than', given: 'k>5', want: 'k>5' },
    { name: 'less than', given: 'k<5', want: 'k<5' },
    { name: 'prefixed key', given: 'app.kubernetes.io/name=web', want: 'app.kubernetes.io/name=web' },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      assert.equal(selectorToString(parseSelector(tc.given)), tc.want);
      assert.equal(parseSelector(tc.given).toString(), tc.want);
    });
  }
});

describe('parseSelector: errors', () => {
  const cases: { name: string; given: string; want: string }[] = [
    { name: 'missing operator', given: 'a b', want: "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" },
    { name: 'junk after requirement', given: 'a=b c', want: "found 'c', expected: ',' or 'end of string'" },
    { name: 'trailing comma', given: 'a=b,', want: "found '', expected: identifier after ','" },
    { name: 'leading comma', given: ',a', want: "found ',', expected: !, identifier, or 'end of string'" },
    { name: 'in without parens', given: 'a in x', want: "unable to parse requirement: found 'x' expected: '('" },
    { name: 'unclosed in', given: 'a in (x', want: "unable to parse requirement: found '', expected: ',' or ')'" },
    { name: 'operator after does-not-exist', given: '!a=b', want: "found '=', expected: ',' or 'end of string'" },
    { name: 'invalid value', given: 'app=-x', want: `unable to parse requirement: values[0][app]: Invalid value: "-x": ${labelValueRegexMsg}` },
    { name: 'invalid key (nil path)', given: '-a=b', want: `unable to parse requirement: <nil>: Invalid value: "-a": ${nameRegexMsg}` },
    { name: 'non-integer for gt', given: 'k>x', want: `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer` },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      assert.throws(() => parseSelector(tc.given), (e: unknown) => {
        assert.ok(e instanceof StatusError);
        assert.equal(e.code, 400);
        assert.equal(e.reason, 'BadRequest');
        assert.equal(e.status.message, tc.want);
        return true;
      });
    });
  }
});

describe('matching', () => {
  const labels = { app: 'web', tier: 'fe', n: '7' };
  const cases: { name: string; given: string; want: boolean }[] = [
    { name: 'equals hit', given: 'app=web', want: true },
    { name: 'equals miss', given: 'app=db', want: false },
    { name: 'equals on missing key', given: 'zone=a', want: false },
    { name: 'not equals on other value', given: 'app!=db', want: true },
    { name: 'not equals on missing key', given: 'zone!=a', want: true },
    { name: 'in hit', given: 'tier in (fe,be)', want: true },
    { name: 'in miss', given: 'tier in (be)', want: false },
    { name: 'notin on missing key', given: 'zone notin (a)', want: true },
    { name: 'notin hit', given: 'tier notin (fe)', want: false },
    { name: 'exists', given: 'app', want: true },
    { name: 'exists missing', given: 'zone', want: false },
    { name: 'does not exist', given: '!zone', want: true },
    { name: 'does not exist present', given: '!app', want: false },
    { name: 'gt', given: 'n>5', want: true },
    { name: 'lt', given: 'n<5', want: false },
    { name: 'gt on non-numeric label', given: 'app>5', want: false },
    { name: 'and of requirements', given: 'app=web,tier=be', want: false },
    { name: 'everything', given: '', want: true },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      assert.equal(matches(parseSelector(tc.given), labels), tc.want);
      assert.equal(parseSelector(tc.given).matches(labels), tc.want);
    });
  }
  test('absent labels are an empty map', () => {
    assert.equal(parseSelector('!a').matches(undefined), true);
    assert.equal(parseSelector('a').matches(undefined), false);
  });
});

describe('selectorFromLabelSelector', () => {
  const cases: { name: string; given: LabelSelector | undefined; want: { str: string; matchesWeb: boolean; everything: boolean } }[] = [
    { name: 'nil selects nothing', given: undefined, want: { str: '', matchesWeb: false, everything: false } },
    { name: 'empty selects everything', given: {}, want: { str: '', matchesWeb: true, everything: true } },
    {
      name: 'labels and expressions sorted by key',
      given: { matchLabels: { tier: 'fe' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }, { key: 'old', operator: 'DoesNotExist' }] },
      want: { str: 'app in (api,web),!old,tier=fe', matchesWeb: true, everything: false },
    },
    { name: 'exists and notin', given: { matchExpressions: [{ key: 'app', operator: 'Exists' }, { key: 'tier', operator: 'NotIn', values: ['be'] }] }, want: { str: 'app,tier notin (be)', matchesWeb: true, everything: false } },
  ];
  for (const tc of cases) {
    test(tc.name, () => {
      const sel = selectorFromLabelSelector(tc.given);
      assert.equal(selectorToString(sel), tc.want.str);
      assert.equal(sel.matches({ app: 'web', tier: 'fe' }), tc.want.matchesWeb);
      assert.equal(isEverything(sel), tc.want.everything);
    });
  }
  const errors: { name: string; given: LabelSelector; want: string }[] = [
    { name: 'unknown operator', given: { matchExpressions: [{ key: 'a', operator: 'Has' }] }, want: '"Has" is not a valid label selector operator' },
    { name: 'in without values', given: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, want: "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty" },
    { name: 'bad label value', given: { matchLabels: { app: 'a b' } }, want: `values[0][app]: Invalid value: "a b": ${labelValueRegexMsg}` },
    { name: 'exists with values', given: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, want: 'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist' },
  ];
  for (const tc of errors) {
    test(`error: ${tc.name}`, () => {
      assert.throws(() => selectorFromLabelSelector(tc.given), (e: unknown) => e instanceof StatusError && e.status.message === tc.want);
    });
  }
});

describe('helpers', () => {
  test('selectorFromSet', () => {
    assert.equal(selectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
    assert.equal(selectorFromSet({}).isEverything(), true);
  });
  test('requiresExactMatch', () => {
    assert.equal(requiresExactMatch(parseSelector('a=1,b in (x),c in (x,y)'), 'a'), '1');
    assert.equal(requiresExactMatch(parseSelector('a=1,b in (x),c in (x,y)'), 'b'), 'x');
    assert.equal(requiresExactMatch(parseSelector('a=1,b in (x),c in (x,y)'), 'c'), undefined);
  });
  const fmt: { name: string; given: Record<string, string> | undefined; want: string }[] = [
    { name: 'none', given: undefined, want: '<none>' },
    { name: 'sorted', given: { run: 'web', app: 'x' }, want: 'app=x,run=web' },
  ];
  for (const tc of fmt) test(`formatLabels ${tc.name}`, () => assert.equal(formatLabels(tc.given), tc.want));
  test('formatLabelSelector', () => {
    assert.equal(formatLabelSelector(undefined), '<none>');
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(formatLabelSelector({ matchLabels: { app: 'web' } }), 'app=web');
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' }] }), '<error>');
  });
});
