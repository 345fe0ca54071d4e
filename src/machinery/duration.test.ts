import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, shortHumanDuration, translateTimestampSince } from './duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (duration.HumanDuration)', () => {
  const cases: { name: string; given: number; want: string }[] = [
    { name: 'far future', given: -2 * S, want: '<invalid>' },
    { name: 'just ahead counts as now', given: -1500, want: '0s' },
    { name: 'now', given: 0, want: '0s' },
    { name: 'seconds', given: 5 * S, want: '5s' },
    { name: 'under two minutes stays seconds', given: 119 * S, want: '119s' },
    { name: 'two minutes', given: 2 * M, want: '2m' },
    { name: 'minutes and seconds under ten minutes', given: 5 * M + 30 * S, want: '5m30s' },
    { name: 'ten minutes drops seconds', given: 10 * M + 5 * S, want: '10m' },
    { name: 'under three hours in minutes', given: 179 * M, want: '179m' },
    { name: 'three hours', given: 3 * H, want: '3h' },
    { name: 'hours and minutes', given: 3 * H + 2 * M, want: '3h2m' },
    { name: 'eight hours drops minutes', given: 8 * H + 30 * M, want: '8h' },
    { name: 'under two days in hours', given: 47 * H, want: '47h' },
    { name: 'two days', given: 2 * D, want: '2d' },
    { name: 'days and hours', given: 2 * D + 5 * H, want: '2d5h' },
    { name: 'eight days drops hours', given: 8 * D + 5 * H, want: '8d' },
    { name: 'under two years in days', given: 400 * D, want: '400d' },
    { name: 'years and days', given: 3 * 365 * D + 20 * D, want: '3y20d' },
    { name: 'whole years', given: 3 * 365 * D, want: '3y' },
    { name: 'eight years and more', given: 9 * 365 * D + 20 * D, want: '9y' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(humanDuration(tc.given), tc.want));
});

describe('shortHumanDuration', () => {
  const cases: { name: string; given: number; want: string }[] = [
    { name: 'seconds', given: 59 * S, want: '59s' },
    { name: 'minutes', given: 59 * M, want: '59m' },
    { name: 'hours', given: 23 * H, want: '23h' },
    { name: 'days', given: 364 * D, want: '364d' },
    { name: 'years', given: 800 * D, want: '2y' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(shortHumanDuration(tc.given), tc.want));
});

describe('translateTimestampSince', () => {
  const now = new Date('2024-05-01T10:00:00Z');
  const cases: { name: string; given: string | null | undefined; want: string }[] = [
    { name: 'absent', given: undefined, want: '<unknown>' },
    { name: 'null', given: null, want: '<unknown>' },
    { name: 'zero time', given: '0001-01-01T00:00:00Z', want: '<unknown>' },
    { name: 'five minutes', given: '2024-05-01T09:55:00Z', want: '5m' },
    { name: 'garbage', given: 'yesterday', want: '<invalid>' },
  ];
  for (const tc of cases) test(tc.name, () => assert.equal(translateTimestampSince(tc.given, now), tc.want));
});
