import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseSimpleJSONPath, evalSimpleJSONPath, goNumber, jsonPathText, cellForColumn } from './jsonpath.ts';

describe('parseSimpleJSONPath', () => {
  const cases: { name: string; given: string; want: ReturnType<typeof parseSimpleJSONPath> }[] = [
    { name: 'fields', given: '.spec.replicas', want: [{ kind: 'field', name: 'spec' }, { kind: 'field', name: 'replicas' }] },
    { name: 'braces', given: '{.spec}', want: [{ kind: 'field', name: 'spec' }] },
    { name: 'index', given: '.a[0].b', want: [{ kind: 'field', name: 'a' }, { kind: 'index', index: 0 }, { kind: 'field', name: 'b' }] },
    { name: 'quoted key', given: ".metadata.annotations['example.com/k']", want: [{ kind: 'field', name: 'metadata' }, { kind: 'field', name: 'annotations' }, { kind: 'field', name: 'example.com/k' }] },
    { name: 'escaped dot', given: '.metadata.labels.app\\.kubernetes\\.io/name', want: [{ kind: 'field', name: 'metadata' }, { kind: 'field', name: 'labels' }, { kind: 'field', name: 'app.kubernetes.io/name' }] },
    { name: 'wildcard unsupported', given: '.a[*].b', want: undefined },
    { name: 'filter unsupported', given: '.a[?(@.x)]', want: undefined },
  ];
  for (const tc of cases) test(tc.name, () => assert.deepEqual(parseSimpleJSONPath(tc.given), tc.want));
});

describe('evalSimpleJSONPath', () => {
  const obj = { spec: { list: [{ v: 1 }, { v: 2 }], nil: null }, metadata: { labels: { 'app.kubernetes.io/name': 'web' } } };
  const cases: { name: string; given: string; want: { found: boolean; value: unknown } }[] = [
    { name: 'nested', given: '.spec.list[1].v', want: { found: true, value: 2 } },
    { name: 'negative index', given: '.spec.list[-1].v', want: { found: true, value: 2 } },
    { name: 'out of range', given: '.spec.list[5].v', want: { found: false, value: undefined } },
    { name: 'missing', given: '.status.phase', want: { found: false, value: undefined } },
    { name: 'null value is found', given: '.spec.nil', want: { found: true, value: null } },
    { name: 'escaped label key', given: '.metadata.labels.app\\.kubernetes\\.io/name', want: { found: true, value: 'web' } },
  ];
  for (const tc of cases) test(tc.name, () => assert.deepEqual(evalSimpleJSONPath(obj, tc.given), tc.want));
});

describe('cell text', () => {
  const cases: { name: string; given: unknown; want: string | null }[] = [
    { name: 'string', given: 'x', want: 'x' },
    { name: 'integer', given: 1000000, want: '1000000' },
    { name: 'small float', given: 1.5, want: '1.5' },
    { name: 'big float uses exponent', given: 1234567.5, want: '1.2345675e+06' },
    { name: 'tiny float uses exponent', given: 0.00001, want: '1e-05' },
    { name: 'bool', given: false, want: 'false' },
    { name: 'map sorted', given: { b: 1, a: [true] }, want: '{"a":[true],"b":1}' },
    { name: 'null', given: null, want: null },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(jsonPathText(tc.given), tc.want));
  test('goNumber', () => assert.equal(goNumber(-3), '-3'));
  const typed: { name: string; given: [string, unknown]; want: unknown }[] = [
    { name: 'integer truncates floats', given: ['integer', 2.7], want: 2 },
    { name: 'integer rejects strings', given: ['integer', '2'], want: null },
    { name: 'number', given: ['number', 2.5], want: 2.5 },
    { name: 'boolean', given: ['boolean', true], want: true },
    { name: 'date', given: ['date', '2024-05-01T09:00:00Z'], want: 'AGE' },
    { name: 'bad date', given: ['date', 'tomorrow'], want: '<invalid>' },
    { name: 'unknown type', given: ['object', { a: 1 }], want: null },
  ];
  for (const tc of typed) test(`cellForColumn ${tc.name}`, () => assert.deepEqual(cellForColumn(tc.given[0], { found: true, value: tc.given[1] }, () => 'AGE'), tc.want));
  test('cellForColumn missing', () => assert.equal(cellForColumn('string', { found: false, value: undefined }, () => 'AGE'), null));
});
