// Every Corefile example in README.md sets up, so the docs cannot rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blocksFrom, fakeEnv } from './plugin/testing.ts';
import { fixtureCluster } from './plugins/kubernetes/testdata.ts';

const readme = readFileSync(join(import.meta.dirname, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```corefile\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

test('README has Corefile examples', () => {
  assert.ok(examples.length >= 6);
});

for (const [i, text] of examples.entries()) {
  test(`README example ${i + 1} sets up`, async () => {
    const env = fakeEnv({ cluster: fixtureCluster(), files: { '/etc/hosts': '127.0.0.1 localhost\n', '/etc/resolv.conf': 'nameserver 127.0.0.1\n' } });
    const blocks = blocksFrom(text, env);
    assert.ok(blocks.length > 0);
    for (const p of blocks.flatMap((b) => b.plugins)) await p.stop?.();
  });
}
