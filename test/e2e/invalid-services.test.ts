// The invalid-Service table, sent by the real kubectl to a real `switchboard up`: each row is
// refused with the text kube-apiserver's users see, and leaves no allocation behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Switchboard, kubectlMissing } from '../helpers/switchboard.ts';
import { invalidServices } from '../../src/api/service/testdata/invalid-services.ts';

const skip = kubectlMissing();
if (skip !== false) console.log(`# skipping: ${skip}`);
let sb: Switchboard;
before(async () => { if (skip === false) sb = await Switchboard.start(); });
after(async () => { if (skip === false) await sb.stop(); });

function expectedText(row: (typeof invalidServices)[number]): string | undefined {
  if (row.want.kubectl !== undefined) return row.want.kubectl;
  const causes = row.want.causes;
  if (causes === undefined || (row.want.code ?? 422) !== 422) return undefined;
  const head = `The Service "${row.given.metadata.name ?? ''}" is invalid`;
  const uniq = [...new Set(causes)];
  return uniq.length === 1 ? `${head}: ${uniq[0] ?? ''}` : `${head}: \n${uniq.map((c) => `* ${c}`).join('\n')}`;
}

test('kubectl create of each invalid Service prints the upstream error', { skip }, async () => {
  let checked = 0;
  for (const row of invalidServices) {
    if (row.mutate !== undefined) continue; // update rows are covered in-process
    const want = expectedText(row);
    if (want === undefined) continue;
    for (const e of row.existing ?? []) {
      const r = await sb.kubectl(['create', '-f', '-'], { input: JSON.stringify(e) });
      assert.equal(r.code, 0, `${row.name}: existing ${e.metadata.name ?? ''}: ${r.stderr}`);
    }
    const r = await sb.kubectl(['create', '-f', '-'], { input: JSON.stringify(row.given) });
    assert.notEqual(r.code, 0, `${row.name}: should be refused`);
    assert.equal(r.stderr.trimEnd(), want, row.name);
    for (const e of row.existing ?? []) await sb.kubectl(['delete', 'svc', e.metadata.name ?? '', '--wait=false']);
    checked++;
  }
  assert.ok(checked >= 30, `at least 30 rows checked end to end, got ${checked}`);
  // Nothing leaked: every Service left is a bootstrap one.
  const left = await sb.kubectl(['get', 'svc', '-A', '-o', 'name']);
  assert.deepEqual(left.stdout.trim().split('\n').sort(), ['service/kube-dns', 'service/kubernetes']);
});
