import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IntOrStringError, scaledValue } from './intstr.ts';

describe('scaledValue', () => {
  const rows = [
    { name: 'int', given: { v: 3, total: 10, up: true }, want: 3 },
    { name: '25% of 10 up', given: { v: '25%', total: 10, up: true }, want: 3 },
    { name: '25% of 10 down', given: { v: '25%', total: 10, up: false }, want: 2 },
    { name: '25% of 3 up', given: { v: '25%', total: 3, up: true }, want: 1 },
    { name: '25% of 3 down', given: { v: '25%', total: 3, up: false }, want: 0 },
    { name: '100% of 7', given: { v: '100%', total: 7, up: false }, want: 7 },
    { name: '0%', given: { v: '0%', total: 7, up: true }, want: 0 },
    { name: '33% of 100 up', given: { v: '33%', total: 100, up: true }, want: 33 },
    { name: '50% of 1 up', given: { v: '50%', total: 1, up: true }, want: 1 },
    { name: '50% of 1 down', given: { v: '50%', total: 1, up: false }, want: 0 },
  ];
  for (const r of rows) test(r.name, () => assert.equal(scaledValue(r.given.v, r.given.total, r.given.up), r.want));

  const bad = [
    { name: 'not a percentage', given: 'abc', want: 'invalid value for IntOrString: invalid type: string is not a percentage' },
    { name: 'fraction', given: '1.5%', want: 'invalid value for IntOrString: invalid value "1.5%": strconv.Atoi: parsing "1.5": invalid syntax' },
  ];
  for (const r of bad) {
    test(r.name, () => assert.throws(() => scaledValue(r.given, 10, true), (e: unknown) => e instanceof IntOrStringError && e.message === r.want));
  }
});
