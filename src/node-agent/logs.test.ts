import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { LogWriter, formatLines, parseCriLog, parseLogQuery, rfc3339Nano, type LogLine } from './logs.ts';

test('CRI log lines round trip, partial lines joined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-logs-'));
  try {
    const w = new LogWriter(join(dir, '0.log'));
    const seen: LogLine[] = [];
    w.on('line', (l: LogLine) => seen.push(l));
    w.write('stdout', 'hello\nwor');
    w.write('stderr', 'oops\n');
    w.write('stdout', 'ld\nno newline');
    w.close();
    const text = readFileSync(join(dir, '0.log'), 'utf8');
    assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello\n/);
    assert.deepEqual(parseCriLog(text).map((l) => `${l.stream}:${l.text}`), ['stdout:hello', 'stderr:oops', 'stdout:world', 'stdout:no newline']);
    assert.equal(seen.length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(parseCriLog('t1 stdout P ab\nt2 stdout F cd\n').map((l) => l.text), ['abcd']);
});

test('formatLines: tail, timestamps, since', () => {
  const lines: LogLine[] = [
    { time: '2026-01-01T00:00:01.000000000Z', stream: 'stdout', text: 'a' },
    { time: '2026-01-01T00:00:05.000000000Z', stream: 'stderr', text: 'b' },
    { time: '2026-01-01T00:00:09.000000000Z', stream: 'stdout', text: 'c' },
  ];
  const now = Date.parse('2026-01-01T00:00:10Z');
  const rows = [
    { name: 'all', q: '', want: 'a\nb\nc\n' },
    { name: 'tail', q: 'tailLines=2', want: 'b\nc\n' },
    { name: 'tail 0', q: 'tailLines=0', want: '' },
    { name: 'timestamps', q: 'tailLines=1&timestamps=true', want: '2026-01-01T00:00:09.000000000Z c\n' },
    { name: 'since', q: 'sinceSeconds=6', want: 'b\nc\n' },
  ];
  for (const r of rows) assert.equal(formatLines(lines, parseLogQuery(new URLSearchParams(r.q)), now), r.want, r.name);
  assert.throws(() => parseLogQuery(new URLSearchParams('tailLines=x')), /tailLines/);
  assert.equal(rfc3339Nano(Date.parse('2026-01-01T00:00:01.250Z'), 7), '2026-01-01T00:00:01.250000007Z');
});
