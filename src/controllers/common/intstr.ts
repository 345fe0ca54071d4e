// intstr.GetScaledValueFromIntOrPercent: `maxSurge: 25%` of 10 replicas is 3 rounded up, 2 rounded
// down. Pure.
import type { IntOrString } from '../../api/types.ts';

/** An invalid int-or-string (`"abc"`, `"1.5%"`), worded as upstream. */
export class IntOrStringError extends Error {
  readonly code = 'ERR_INT_OR_STRING';
  constructor(message: string) {
    super(message);
    this.name = 'IntOrStringError';
  }
}

/**
 * The value of an int, or `percent × total / 100` rounded up or down. Throws IntOrStringError for a
 * string that is not `<int>%`, with upstream's message.
 */
export function scaledValue(v: IntOrString | null | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) throw new IntOrStringError('nil value for IntOrString');
  if (typeof v === 'number') return Math.trunc(v);
  if (!v.endsWith('%')) throw new IntOrStringError('invalid value for IntOrString: invalid type: string is not a percentage');
  const digits = v.slice(0, -1);
  if (!/^[+-]?\d+$/.test(digits)) {
    throw new IntOrStringError(`invalid value for IntOrString: invalid value "${v}": strconv.Atoi: parsing "${digits}": invalid syntax`);
  }
  const pct = Number(digits);
  const x = (pct * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}
