/**
 * Completeness check against upstream's round-trip fixtures, whose every field is populated:
 * kubernetes/api `testdata/HEAD/*.json` and apiextensions-apiserver `pkg/apis/testdata/HEAD/*.json`
 * of the same release. Every fixture of a kind in the table must yield no unknown field.
 *
 *   node src/api/schema/tools/check-fixtures.ts <testdata/HEAD dir> [more dirs...]
 *
 * Not run by tests (the fixtures are upstream files and are not copied here).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasSchema, unknownFieldPaths } from '../index.ts';

let checked = 0;
let failed = 0;
for (const dir of process.argv.slice(2)) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    let obj: unknown;
    try {
      obj = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch {
      continue;
    }
    if (typeof obj !== 'object' || obj === null) continue;
    const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') continue;
    const slash = apiVersion.indexOf('/');
    const gvk = slash < 0 ? { group: '', version: apiVersion, kind } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
    if (!hasSchema(gvk)) continue;
    checked++;
    const unknown = unknownFieldPaths(gvk, obj);
    if (unknown.length > 0) {
      failed++;
      process.stdout.write(`FAIL ${file}: ${unknown.join(', ')}\n`);
    } else {
      process.stdout.write(`ok   ${file}\n`);
    }
  }
}
process.stdout.write(`${checked} fixtures checked, ${failed} with unknown fields\n`);
process.exitCode = failed > 0 || checked === 0 ? 1 : 0;
