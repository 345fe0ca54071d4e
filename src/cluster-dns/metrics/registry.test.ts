import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from './registry.ts';

test('registry renders the Prometheus text format', () => {
  const r = new Registry();
  const c = r.counter('x_total', 'Xs.', ['a']);
  c.inc({ a: 'q"\\\n' });
  c.inc({ a: 'q"\\\n' }, 2);
  const h = r.histogram('y_seconds', 'Ys.', [], [0.1, 1]);
  h.observe({}, 0.5);
  const g = r.gauge('z', 'Z.');
  g.set({}, 7);
  assert.equal(r.render(), [
    '# HELP x_total Xs.', '# TYPE x_total counter', 'x_total{a="q\\"\\\\\\n"} 3',
    '# HELP y_seconds Ys.', '# TYPE y_seconds histogram', 'y_seconds_bucket{le="0.1"} 0', 'y_seconds_bucket{le="1"} 1', 'y_seconds_bucket{le="+Inf"} 1', 'y_seconds_sum 0.5', 'y_seconds_count 1',
    '# HELP z Z.', '# TYPE z gauge', 'z 7', '',
  ].join('\n'));
  assert.equal(r.counter('x_total', 'Xs.', ['a']), c, 'same metric on re-registration');
  assert.throws(() => r.gauge('x_total', 'again'), /different types/);
});
