import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type JsonValue, cloneJson, jsonEqual, toJsonValue } from './json.ts';

describe('jsonEqual', () => {
  const rows: { name: string; given: [JsonValue, JsonValue]; want: boolean }[] = [
    { name: 'member order ignored', given: [{ a: 1, b: 2 }, { b: 2, a: 1 }], want: true },
    { name: 'array order matters', given: [[1, 2], [2, 1]], want: false },
    { name: 'string vs number', given: ['10', 10], want: false },
    { name: 'null vs missing member', given: [{ a: null }, {}], want: false },
    { name: 'nested', given: [{ a: [{ b: [true, null] }] }, { a: [{ b: [true, null] }] }], want: true },
    { name: 'object vs array', given: [{}, []], want: false },
  ];
  for (const { name, given, want } of rows) it(name, () => assert.equal(jsonEqual(given[0], given[1]), want));
});

describe('toJsonValue', () => {
  const rows: { name: string; given: unknown; want: JsonValue | undefined }[] = [
    { name: 'undefined members dropped', given: { a: 1, b: undefined }, want: { a: 1 } },
    { name: 'undefined array elements become null', given: [1, undefined], want: [1, null] },
    { name: 'non-finite numbers become null', given: { a: Number.NaN }, want: { a: null } },
    { name: 'toJSON honoured', given: { t: new Date(0) }, want: { t: '1970-01-01T00:00:00.000Z' } },
    { name: 'undefined itself', given: undefined, want: undefined },
  ];
  for (const { name, given, want } of rows) it(name, () => assert.deepEqual(toJsonValue(given), want));
  it('refuses functions and cycles', () => {
    assert.throws(() => toJsonValue({ f: () => 1 }), /cannot be represented in JSON/);
    const cyc: Record<string, unknown> = {};
    cyc['self'] = cyc;
    assert.throws(() => toJsonValue(cyc), /cyclic/);
  });
});

describe('cloneJson', () => {
  it('copies deeply and keeps __proto__ as data', () => {
    const src = JSON.parse('{"a":{"b":[1,{"c":2}]},"__proto__":{"x":1}}') as JsonValue;
    const copy = cloneJson(src);
    assert.ok(jsonEqual(copy, src));
    assert.notEqual(copy, src);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.ok(Object.hasOwn(copy as object, '__proto__'));
  });
});
